-- The noded street graph of each city for SDG 11.2.1 along the network (issue 7): built from the streets layer when an
-- indicator first needs it and rebuilt only when the streets layer changed (its data version or the city's count of
-- segments), so a full recompute (the city and every district) nodes the streets once. Geometries in the city's UTM
-- zone, stored with SRID 0 (street_graphs.srid says which zone) so that one index serves cities in different zones
-- without mixing SRIDs; lengths in metres.
CREATE TABLE street_graphs (
    city_id         integer PRIMARY KEY REFERENCES cities (id) ON DELETE CASCADE,
    srid            integer NOT NULL,
    streets_version bigint,
    streets         bigint NOT NULL,
    nodes           bigint NOT NULL,
    edges           bigint NOT NULL,
    built_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE street_graph_nodes (
    city_id integer NOT NULL REFERENCES street_graphs (city_id) ON DELETE CASCADE,
    id      bigint NOT NULL,
    geom    geometry(Point) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX street_graph_nodes_geom_gist ON street_graph_nodes USING gist (geom);
CREATE TABLE street_graph_edges (
    city_id integer NOT NULL REFERENCES street_graphs (city_id) ON DELETE CASCADE,
    id      bigint NOT NULL,
    source  bigint NOT NULL,
    target  bigint NOT NULL,
    cost    double precision NOT NULL,
    geom    geometry(LineString) NOT NULL,
    PRIMARY KEY (city_id, id)
);
CREATE INDEX street_graph_edges_geom_gist ON street_graph_edges USING gist (geom);
