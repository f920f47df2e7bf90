INSERT INTO cities (slug, code, name, country)
VALUES ($1, $2, $3, $4)
RETURNING id;
