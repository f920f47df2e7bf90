-- Community facilitators (issue 13) edit only the councils they are assigned to: the `councils` claim of their token
-- ({slug}:{council code}), issued from these rows as `districts` is from user_districts.
CREATE TABLE user_councils (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    city_id      integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    council_code text NOT NULL,
    PRIMARY KEY (user_id, city_id, council_code),
    FOREIGN KEY (city_id, council_code) REFERENCES councils (city_id, code)
);

SELECT um_audit_attach('user_councils', '''user_id'', ''city_id'', ''council_code''');
