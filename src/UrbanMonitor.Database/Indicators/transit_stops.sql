-- Stop counts behind SDG 11.2.1 ($1 city id), the city's street segments and whether pgRouting is installed (its
-- version) or at least available to install.
SELECT count(*) FILTER (WHERE coalesce(peak_departures, 1) > 0) AS stops_used,
       count(*) FILTER (WHERE coalesce(peak_departures, 1) > 0 AND capacity = 'low') AS low_capacity_stops,
       count(*) FILTER (WHERE coalesce(peak_departures, 1) > 0 AND capacity = 'high') AS high_capacity_stops,
       count(*) FILTER (WHERE peak_departures = 0) AS stops_without_peak_service,
       count(*) FILTER (WHERE peak_departures IS NOT NULL) AS stops_with_timetable,
       (SELECT count(*) FROM streets WHERE city_id = $1) AS street_segments,
       (SELECT extversion FROM pg_extension WHERE extname = 'pgrouting') AS pgrouting,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgrouting') AS pgrouting_available
FROM transit_stops WHERE city_id = $1;
