-- Informal settlements over time (issue 6): survey rounds, upgrading status, the five UN-Habitat household
-- deprivations as shares of households (0..1) and the slum classification derived from them; every version of a
-- settlement's boundary kept per survey round in settlement_rounds.

ALTER TABLE settlements
    ADD COLUMN survey_round          text CHECK (survey_round <> ''),
    ADD COLUMN upgrading_status      text CHECK (upgrading_status IN ('none', 'planned', 'in-progress', 'upgraded')),
    -- Share of the settlement's households lacking each of the five (UN-Habitat / SDG 11.1.1 definition).
    ADD COLUMN lacks_water           numeric CHECK (lacks_water BETWEEN 0 AND 1),
    ADD COLUMN lacks_sanitation      numeric CHECK (lacks_sanitation BETWEEN 0 AND 1),
    ADD COLUMN lacks_living_area     numeric CHECK (lacks_living_area BETWEEN 0 AND 1),
    ADD COLUMN lacks_durable_housing numeric CHECK (lacks_durable_housing BETWEEN 0 AND 1),
    ADD COLUMN lacks_tenure_security numeric CHECK (lacks_tenure_security BETWEEN 0 AND 1);

-- A household is a slum household when it lacks one or more of the five. The largest share is a lower bound of the
-- share of slum households, so a settlement is 'slum' when that bound reaches one half; 'not-slum' only when all five
-- are known and every one stays below it; otherwise 'unknown'.
ALTER TABLE settlements ADD COLUMN slum_class text GENERATED ALWAYS AS (
    CASE
        WHEN greatest(lacks_water, lacks_sanitation, lacks_living_area, lacks_durable_housing, lacks_tenure_security) >= 0.5 THEN 'slum'
        WHEN lacks_water IS NULL OR lacks_sanitation IS NULL OR lacks_living_area IS NULL
             OR lacks_durable_housing IS NULL OR lacks_tenure_security IS NULL THEN 'unknown'
        ELSE 'not-slum'
    END) STORED;

-- A settlement without a round gets the year of its survey date, else the current year.
CREATE FUNCTION um_settlement_round() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.survey_round := coalesce(NEW.survey_round, to_char(NEW.surveyed_on, 'YYYY'), to_char(now(), 'YYYY'));
    RETURN NEW;
END
$$;
CREATE TRIGGER settlements_round BEFORE INSERT OR UPDATE ON settlements
    FOR EACH ROW EXECUTE FUNCTION um_settlement_round();

-- Every boundary a settlement (city + code) had, one row per survey round; the current layer is the latest import,
-- earlier rounds stay here when an import replaces the layer. A rerun of the same round overwrites it.
CREATE TABLE settlement_rounds (
    city_id       integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    code          text NOT NULL,
    survey_round  text NOT NULL,
    settlement_id bigint NOT NULL,
    name          text NOT NULL,
    population    bigint,
    households    bigint,
    surveyed_on   date,
    upgrading_status text,
    slum_class    text,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    geom          geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, code, survey_round)
);
CREATE INDEX settlement_rounds_geom_gist ON settlement_rounds USING gist (geom);

CREATE FUNCTION um_settlement_rounds_record() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO settlement_rounds AS r (city_id, code, survey_round, settlement_id, name, population, households, surveyed_on,
                                        upgrading_status, slum_class, geom)
    SELECT city_id, code, survey_round, id, name, population, households, surveyed_on, upgrading_status, slum_class, geom
    FROM new_rows
    ON CONFLICT (city_id, code, survey_round) DO UPDATE SET
        settlement_id = EXCLUDED.settlement_id, name = EXCLUDED.name, population = EXCLUDED.population,
        households = EXCLUDED.households, surveyed_on = EXCLUDED.surveyed_on, upgrading_status = EXCLUDED.upgrading_status,
        slum_class = EXCLUDED.slum_class, geom = EXCLUDED.geom, recorded_at = now();
    RETURN NULL;
END
$$;
CREATE TRIGGER settlements_rounds_insert AFTER INSERT ON settlements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION um_settlement_rounds_record();
CREATE TRIGGER settlements_rounds_update AFTER UPDATE ON settlements REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION um_settlement_rounds_record();

INSERT INTO settlement_rounds (city_id, code, survey_round, settlement_id, name, population, households, surveyed_on, geom)
SELECT city_id, code, coalesce(to_char(surveyed_on, 'YYYY'), to_char(now(), 'YYYY')), id, name, population, households, surveyed_on, geom
FROM settlements;
UPDATE settlements SET survey_round = coalesce(to_char(surveyed_on, 'YYYY'), to_char(now(), 'YYYY')) WHERE survey_round IS NULL;
