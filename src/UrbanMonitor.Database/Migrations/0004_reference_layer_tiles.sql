-- Map tiles for the reference layers (0002): the same maintained EPSG:3857 copy, GiST index, data version and
-- change announcements as 0003_tiles.sql gives the core layers.

ALTER TABLE streets ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE open_spaces ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE built_up ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE population_units ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE hazard_zones ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;
ALTER TABLE facilities ADD COLUMN geom3857 geometry(Geometry, 3857) GENERATED ALWAYS AS (tiles_web_mercator(geom)) STORED;

CREATE INDEX streets_geom3857_gist ON streets USING gist (geom3857);
CREATE INDEX open_spaces_geom3857_gist ON open_spaces USING gist (geom3857);
CREATE INDEX built_up_geom3857_gist ON built_up USING gist (geom3857);
CREATE INDEX population_units_geom3857_gist ON population_units USING gist (geom3857);
CREATE INDEX hazard_zones_geom3857_gist ON hazard_zones USING gist (geom3857);
CREATE INDEX facilities_geom3857_gist ON facilities USING gist (geom3857);

INSERT INTO layer_versions (layer) VALUES ('streets'), ('open-spaces'), ('built-up'), ('population-units'), ('hazard-zones'), ('facilities') ON CONFLICT DO NOTHING;

CREATE TRIGGER streets_tiles_insert AFTER INSERT ON streets REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('streets');
CREATE TRIGGER streets_tiles_update AFTER UPDATE ON streets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('streets');
CREATE TRIGGER streets_tiles_delete AFTER DELETE ON streets REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('streets');
CREATE TRIGGER streets_tiles_truncate AFTER TRUNCATE ON streets
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('streets');

CREATE TRIGGER open_spaces_tiles_insert AFTER INSERT ON open_spaces REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('open-spaces');
CREATE TRIGGER open_spaces_tiles_update AFTER UPDATE ON open_spaces REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('open-spaces');
CREATE TRIGGER open_spaces_tiles_delete AFTER DELETE ON open_spaces REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('open-spaces');
CREATE TRIGGER open_spaces_tiles_truncate AFTER TRUNCATE ON open_spaces
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('open-spaces');

CREATE TRIGGER built_up_tiles_insert AFTER INSERT ON built_up REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('built-up');
CREATE TRIGGER built_up_tiles_update AFTER UPDATE ON built_up REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('built-up');
CREATE TRIGGER built_up_tiles_delete AFTER DELETE ON built_up REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('built-up');
CREATE TRIGGER built_up_tiles_truncate AFTER TRUNCATE ON built_up
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('built-up');

CREATE TRIGGER population_units_tiles_insert AFTER INSERT ON population_units REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('population-units');
CREATE TRIGGER population_units_tiles_update AFTER UPDATE ON population_units REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('population-units');
CREATE TRIGGER population_units_tiles_delete AFTER DELETE ON population_units REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('population-units');
CREATE TRIGGER population_units_tiles_truncate AFTER TRUNCATE ON population_units
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('population-units');

CREATE TRIGGER hazard_zones_tiles_insert AFTER INSERT ON hazard_zones REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('hazard-zones');
CREATE TRIGGER hazard_zones_tiles_update AFTER UPDATE ON hazard_zones REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('hazard-zones');
CREATE TRIGGER hazard_zones_tiles_delete AFTER DELETE ON hazard_zones REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('hazard-zones');
CREATE TRIGGER hazard_zones_tiles_truncate AFTER TRUNCATE ON hazard_zones
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('hazard-zones');

CREATE TRIGGER facilities_tiles_insert AFTER INSERT ON facilities REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_insert('facilities');
CREATE TRIGGER facilities_tiles_update AFTER UPDATE ON facilities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_update('facilities');
CREATE TRIGGER facilities_tiles_delete AFTER DELETE ON facilities REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_delete('facilities');
CREATE TRIGGER facilities_tiles_truncate AFTER TRUNCATE ON facilities
    FOR EACH STATEMENT EXECUTE FUNCTION tiles_on_truncate('facilities');
