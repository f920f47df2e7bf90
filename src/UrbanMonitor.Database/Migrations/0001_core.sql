-- Core tables of the foundation: cities and the layers the demo loads.
-- Every table of city data carries city_id; tables that grow large are keyed (city_id, id)
-- so the schema can later be distributed by city. Geometries are EPSG:4326 with GiST indexes.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE cities (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9]{2,8}$'),
    name        text NOT NULL,
    country     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE city_population (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    year        integer NOT NULL CHECK (year BETWEEN 1800 AND 2200),
    population  bigint  NOT NULL CHECK (population >= 0),
    source      text,
    PRIMARY KEY (city_id, year)
);

-- Where each layer of a city came from, shown in TileJSON attribution and OGC license links.
CREATE TABLE layer_sources (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    layer       text NOT NULL,
    source      text NOT NULL,
    licence     text NOT NULL,
    url         text,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, layer)
);

CREATE TABLE districts (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (code <> ''),
    name        text NOT NULL,
    population  bigint CHECK (population >= 0),
    households  bigint CHECK (households >= 0),
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code)
);
CREATE INDEX districts_geom_gist ON districts USING gist (geom);

CREATE TABLE settlements (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (code <> ''),
    name        text NOT NULL,
    population  bigint CHECK (population >= 0),
    households  bigint CHECK (households >= 0),
    source      text,
    surveyed_on date,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code)
);
CREATE INDEX settlements_geom_gist ON settlements USING gist (geom);

CREATE TABLE properties (
    city_id       integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id            bigint GENERATED ALWAYS AS IDENTITY,
    code          text NOT NULL CHECK (code ~ '^[A-Z0-9]+-[^-]+-[^-]+-[^-]+(/[0-9]+)*$'),
    district_code text NOT NULL,
    block         text NOT NULL,
    parcel        text NOT NULL,
    status        text NOT NULL DEFAULT 'surveyed'
                  CHECK (status IN ('surveyed', 'verified', 'registered', 'retired')),
    attributes    jsonb NOT NULL DEFAULT '{}',
    geom          geometry(MultiPolygon, 4326) NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code)
);
CREATE INDEX properties_geom_gist ON properties USING gist (geom);

CREATE TABLE transit_stops (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    code        text NOT NULL CHECK (code <> ''),
    name        text,
    capacity    text NOT NULL CHECK (capacity IN ('low', 'high')),
    mode        text NOT NULL,
    attributes  jsonb NOT NULL DEFAULT '{}',
    geom        geometry(Point, 4326) NOT NULL,
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, code)
);
CREATE INDEX transit_stops_geom_gist ON transit_stops USING gist (geom);
