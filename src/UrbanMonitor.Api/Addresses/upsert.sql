-- Sets the address of property $2 of city $1.
INSERT INTO property_addresses (city_id, property_id, street, number, locality) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (city_id, property_id) DO UPDATE SET street = EXCLUDED.street, number = EXCLUDED.number, locality = EXCLUDED.locality
RETURNING json_build_object('street', street, 'number', number, 'locality', locality)::text;
