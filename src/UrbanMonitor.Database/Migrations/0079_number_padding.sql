-- Document numbers (invoices, receipts, certificates) print their counter with at least six digits: 42 → 000042. lpad
-- alone cuts a longer text to the width (lpad('1000000', 6) = '100000'), so the millionth invoice of a city-year would
-- repeat the 100,000th; this pads without ever cutting.
CREATE FUNCTION um_document_number(n bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lpad(n::text, greatest(6, length(n::text)), '0')
$$;
