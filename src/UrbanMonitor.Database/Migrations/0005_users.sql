-- Users of the service and their district assignments. Tokens are issued from these rows (CLI) or by an external
-- identity provider whose tokens carry the same claims.

CREATE TABLE users (
    id          uuid PRIMARY KEY,
    login       text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._@-]{2,64}$'),
    name        text NOT NULL CHECK (name <> ''),
    roles       text[] NOT NULL CHECK (
                    cardinality(roles) > 0 AND
                    roles <@ ARRAY['admin', 'land-officer', 'supervisor', 'planner', 'gis-reader', 'community-facilitator']),
    all_districts boolean NOT NULL DEFAULT false,
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE user_districts (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    city_id       integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    district_code text NOT NULL,
    PRIMARY KEY (user_id, city_id, district_code)
);
