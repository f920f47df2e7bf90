INSERT INTO idempotency_keys (city_id, user_id, key, request_hash, response_status, response_body, location, etag)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);
