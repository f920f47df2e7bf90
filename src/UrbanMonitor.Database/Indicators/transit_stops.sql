-- Stop counts behind SDG 11.2.1 ($1 city id).
SELECT count(*) FILTER (WHERE coalesce(peak_departures, 1) > 0) AS stops_used,
       count(*) FILTER (WHERE coalesce(peak_departures, 1) > 0 AND capacity = 'low') AS low_capacity_stops,
       count(*) FILTER (WHERE coalesce(peak_departures, 1) > 0 AND capacity = 'high') AS high_capacity_stops,
       count(*) FILTER (WHERE peak_departures = 0) AS stops_without_peak_service,
       count(*) FILTER (WHERE peak_departures IS NOT NULL) AS stops_with_timetable,
       (SELECT count(*) FROM streets WHERE city_id = $1) AS street_segments
FROM transit_stops WHERE city_id = $1;
