-- What each council asked for, on the public layer `councils` (tiles, feeds, exports): the needs of its latest action
-- plan, most pressing first, comma-separated (MVT properties hold no arrays); null before its first plan. Kept by a
-- trigger, as the composition counts are (0080); a plan is never changed in place, a newer one supersedes it.
ALTER TABLE councils ADD COLUMN needs text;

CREATE FUNCTION community_council_needs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE councils c SET needs = x.needs, updated_at = now()
    FROM (SELECT DISTINCT ON (p.city_id, p.council_id) p.city_id, p.council_id, array_to_string(p.needs, ',') AS needs
          FROM community_action_plans p
          WHERE (p.city_id, p.council_id) IN (SELECT n.city_id, n.council_id FROM new_rows n)
          ORDER BY p.city_id, p.council_id, p.adopted_on DESC, p.id DESC) x
    WHERE c.city_id = x.city_id AND c.id = x.council_id AND c.needs IS DISTINCT FROM x.needs;
    RETURN NULL;
END
$$;
CREATE TRIGGER community_action_plans_needs AFTER INSERT ON community_action_plans REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION community_council_needs();

UPDATE councils c SET needs = x.needs
FROM (SELECT DISTINCT ON (p.city_id, p.council_id) p.city_id, p.council_id, array_to_string(p.needs, ',') AS needs
      FROM community_action_plans p ORDER BY p.city_id, p.council_id, p.adopted_on DESC, p.id DESC) x
WHERE c.city_id = x.city_id AND c.id = x.council_id;
