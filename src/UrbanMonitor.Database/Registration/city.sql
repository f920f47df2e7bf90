SELECT id, code FROM cities WHERE slug = $1;
