-- Reference layers of a city, and import jobs with their staging rows and per-feature report.

CREATE TABLE streets (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text,
    class       text,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiLineString, 4326) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX streets_geom_gist ON streets USING gist (geom);

CREATE TABLE open_spaces (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text,
    kind        text,
    public_access boolean NOT NULL DEFAULT true,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX open_spaces_geom_gist ON open_spaces USING gist (geom);

-- Built-up extent per epoch (a year), for SDG 11.3.1 land consumption.
CREATE TABLE built_up (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    epoch       integer NOT NULL CHECK (epoch BETWEEN 1800 AND 2200),
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX built_up_geom_gist ON built_up USING gist (geom);
CREATE INDEX built_up_epoch ON built_up (city_id, epoch);

-- Census or estimate units for areal interpolation of population.
CREATE TABLE population_units (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    code        text,
    population  bigint NOT NULL CHECK (population >= 0),
    year        integer,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX population_units_geom_gist ON population_units USING gist (geom);

CREATE TABLE hazard_zones (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    hazard      text NOT NULL,
    level       text,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX hazard_zones_geom_gist ON hazard_zones USING gist (geom);

CREATE TABLE facilities (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    kind        text NOT NULL,
    name        text,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX facilities_geom_gist ON facilities USING gist (geom);

-- Departures per hour in the busiest weekday hour (GTFS imports), for SDG 11.2.1.
ALTER TABLE transit_stops ADD COLUMN peak_departures integer CHECK (peak_departures >= 0);

CREATE TABLE import_jobs (
    city_id       integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    layer         text NOT NULL,
    format        text NOT NULL,
    mode          text NOT NULL CHECK (mode IN ('all-or-nothing', 'valid-only')),
    file_name     text,
    source_srid   integer,
    status        text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    phase         text,
    features_read bigint NOT NULL DEFAULT 0,
    features_invalid bigint NOT NULL DEFAULT 0,
    features_published bigint NOT NULL DEFAULT 0,
    error         text,
    options       jsonb NOT NULL DEFAULT '{}',
    timings       jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    PRIMARY KEY (city_id, id),
    UNIQUE (id)
);

-- One row per rejected feature: which one, why, and where.
CREATE TABLE import_issues (
    city_id       integer NOT NULL,
    job_id        uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    feature_index bigint NOT NULL,
    rule          text NOT NULL,
    reason        text NOT NULL,
    location      geometry(Point, 4326),
    PRIMARY KEY (job_id, feature_index, rule)
);

-- Staging rows of running imports: unlogged (rebuilt by a rerun), deleted when the job ends.
CREATE UNLOGGED TABLE import_staging (
    city_id       integer NOT NULL,
    job_id        uuid NOT NULL,
    feature_index bigint NOT NULL,
    properties    jsonb NOT NULL,
    geom          geometry,
    parse_error   text,
    invalid       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, feature_index)
);

-- A date from text, or NULL when the text is no date: lets imports check dates set-wise without failing.
CREATE FUNCTION um_try_date(value text) RETURNS date
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN left(btrim(value), 10)::date;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
