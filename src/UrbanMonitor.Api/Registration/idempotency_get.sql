SELECT request_hash, response_status, response_body, location, etag
FROM idempotency_keys
WHERE city_id = $1 AND user_id = $2 AND key = $3;
