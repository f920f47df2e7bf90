-- Property $2 of city $1 came from property $3 by operation $4 ('split' or 'merge'), done by $5.
INSERT INTO property_lineage (city_id, child_id, parent_id, operation, changed_by) VALUES ($1, $2, $3, $4, $5);
