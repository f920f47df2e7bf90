-- Property search (issue 4): party names found case- and diacritic-insensitively, Arabic-script aware.
-- um_fold_name folds a name to the form searches compare: lower case, Latin diacritics removed (unaccent), Arabic and
-- Persian letter variants made one (ي ى → ی, ك → ک, ة ۀ → ه, أ إ آ ٱ → ا, ؤ → و, ئ → ی), harakat (tashkeel), the
-- superscript alef, tatweel, ZWNJ/ZWJ and bidi marks dropped, runs of white space made one space.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE FUNCTION um_fold_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT btrim(regexp_replace(
    translate(
        regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, name)),
                       '[\u064B-\u065F\u0670\u0640\u200C\u200D\u200E\u200F\u202A-\u202E\u2066-\u2069]', '', 'g'),
        'يىكةۀأإآٱؤئ',
        'ییکههااااوی'),
    '\s+', ' ', 'g'))
$$;

CREATE INDEX parties_name_fold_trgm ON parties USING gin (um_fold_name(name) gin_trgm_ops);
CREATE INDEX properties_code_prefix ON properties (code text_pattern_ops);
