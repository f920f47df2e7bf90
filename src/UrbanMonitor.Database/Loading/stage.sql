-- A session-local staging table for one layer at a time; dropped at commit.
CREATE TEMP TABLE IF NOT EXISTS stage (
    ord           bigint NOT NULL,
    code          text,
    name          text,
    population    bigint,
    households    bigint,
    district_code text,
    block         text,
    parcel        text,
    capacity      text,
    mode          text,
    source        text,
    surveyed_on   date,
    kind          text,
    year          integer,
    peak_departures integer,
    attributes    jsonb NOT NULL,
    geom          geometry(Geometry, 4326) NOT NULL
) ON COMMIT DROP;
TRUNCATE stage;
