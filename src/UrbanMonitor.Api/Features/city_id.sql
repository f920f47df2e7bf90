-- The id of a city by its slug ($1); no row when there is none.
SELECT id FROM cities WHERE slug = $1;
