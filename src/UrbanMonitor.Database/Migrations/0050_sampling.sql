-- Sample areas (UN-Habitat National Sample of Cities method, within a city): a design holds the grid, its
-- stratification, allocation and seed; its cells are the sampling frame, the drawn ones marked with π and 1/π.
CREATE TABLE sample_designs (
    city_id        integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    code           text NOT NULL,
    shape          text NOT NULL CHECK (shape IN ('square', 'hexagon')),
    cell_area_m2   double precision NOT NULL CHECK (cell_area_m2 > 0),
    srid           integer NOT NULL,
    extent_source  text NOT NULL,
    epoch          integer,
    stratification text NOT NULL CHECK (stratification IN ('none', 'district', 'settlement', 'density')),
    allocation     text NOT NULL CHECK (allocation IN ('proportional', 'equal', 'neyman')),
    sample_size    integer NOT NULL CHECK (sample_size > 0),
    seed           bigint NOT NULL,
    frame_size     integer NOT NULL,
    strata         jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, id),
    UNIQUE (code)
);

CREATE TABLE sample_cells (
    city_id        integer NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    design_id      bigint NOT NULL,
    cell           integer NOT NULL,
    stratum        text NOT NULL,
    sampled        boolean NOT NULL DEFAULT false,
    inclusion_probability double precision CHECK (inclusion_probability > 0 AND inclusion_probability <= 1),
    weight         double precision CHECK (weight >= 1),
    geom           geometry(Polygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, design_id, cell),
    FOREIGN KEY (city_id, design_id) REFERENCES sample_designs (city_id, id) ON DELETE CASCADE,
    CHECK (sampled = (weight IS NOT NULL))
);
CREATE INDEX sample_cells_design ON sample_cells (city_id, design_id, sampled);
CREATE INDEX sample_cells_geom_gist ON sample_cells USING gist (geom);

-- National samples of cities: the universe as uploaded and the drawn result, both kept for provenance.
CREATE TABLE national_samples (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE,
    allocation     text NOT NULL CHECK (allocation IN ('proportional', 'equal', 'neyman')),
    sample_size    integer NOT NULL CHECK (sample_size > 0),
    seed           bigint NOT NULL,
    universe       jsonb NOT NULL,
    result         jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
