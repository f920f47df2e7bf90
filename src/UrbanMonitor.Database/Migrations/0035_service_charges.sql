-- Municipal service charge (safayi): fiscal calendars, charge rules, assessments, a per-property ledger, payments,
-- and gapless invoice/receipt counters. Money is numeric(14,2) in AFN. The ledger is append-only: a charge or an
-- adjustment is a debit (positive amount), a payment a credit (negative amount); a property's balance is the sum.

-- When a city's fiscal year starts: month/day in the Solar Hijri calendar (1/1 = 1 Hamal, about 21 March) or in the
-- Gregorian one. Fiscal year N is labelled by the (Solar Hijri or Gregorian) year in which it starts.
CREATE TABLE fiscal_calendars (
    city_id     integer PRIMARY KEY REFERENCES cities (id) ON DELETE CASCADE,
    calendar    text NOT NULL CHECK (calendar IN ('solar-hijri', 'gregorian')),
    start_month integer NOT NULL CHECK (start_month BETWEEN 1 AND 12),
    start_day   integer NOT NULL CHECK (start_day BETWEEN 1 AND 31)
);

-- One rule per city and fiscal year; [starts, ends) never overlap within a city (checked under a city lock).
CREATE TABLE charge_rules (
    city_id          integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    fiscal_year      integer NOT NULL CHECK (fiscal_year BETWEEN 1000 AND 3000),
    starts           date NOT NULL,
    ends             date NOT NULL CHECK (ends > starts),
    default_land_use text NOT NULL,
    minimum          numeric(14,2) NOT NULL DEFAULT 0 CHECK (minimum >= 0),
    maximum          numeric(14,2) CHECK (maximum IS NULL OR maximum >= minimum),
    exempt_land_uses text[] NOT NULL DEFAULT '{}',
    set_by           text NOT NULL,
    set_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city_id, fiscal_year)
);

-- Rates per m² by land use, optionally by zone (a district code or the code of one of the rule's zone polygons).
CREATE TABLE charge_rates (
    city_id     integer NOT NULL,
    fiscal_year integer NOT NULL,
    land_use    text NOT NULL,
    zone        text NOT NULL DEFAULT '',   -- '' = every zone
    rate_per_m2 numeric(14,4) NOT NULL CHECK (rate_per_m2 >= 0),
    PRIMARY KEY (city_id, fiscal_year, land_use, zone),
    FOREIGN KEY (city_id, fiscal_year) REFERENCES charge_rules (city_id, fiscal_year) ON DELETE CASCADE
);

-- Zone polygons of a rule; a property lies in the zone holding its point on surface (first by code), else in its district.
CREATE TABLE charge_zones (
    city_id     integer NOT NULL,
    fiscal_year integer NOT NULL,
    code        text NOT NULL CHECK (code <> ''),
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (city_id, fiscal_year, code),
    FOREIGN KEY (city_id, fiscal_year) REFERENCES charge_rules (city_id, fiscal_year) ON DELETE CASCADE
);
CREATE INDEX charge_zones_geom_gist ON charge_zones USING gist (geom);

-- The assessment of one property for one fiscal year: its inputs and amount as last assessed. Re-assessing updates
-- the row and books the difference in the ledger as an adjustment; the invoice number is given once and kept.
CREATE TABLE charge_assessments (
    city_id        integer NOT NULL,
    property_id    bigint NOT NULL,
    fiscal_year    integer NOT NULL,
    invoice_number text NOT NULL,
    district_code  text NOT NULL,
    land_use       text NOT NULL,
    zone           text NOT NULL,
    area_m2        numeric(14,2) NOT NULL,
    rate_per_m2    numeric(14,4) NOT NULL,
    exempt         boolean NOT NULL,
    amount         numeric(14,2) NOT NULL CHECK (amount >= 0),
    rule_set_at    timestamptz NOT NULL,
    assessed_at    timestamptz NOT NULL DEFAULT now(),
    assessed_by    text NOT NULL,
    PRIMARY KEY (city_id, property_id, fiscal_year),
    UNIQUE (city_id, invoice_number),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, fiscal_year) REFERENCES charge_rules (city_id, fiscal_year)
);
CREATE INDEX charge_assessments_year ON charge_assessments (city_id, fiscal_year);

-- Payments: personal data (staff only). Idempotency-Key per user makes a retried POST return the first payment.
CREATE TABLE charge_payments (
    city_id         integer NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    property_id     bigint NOT NULL,
    receipt_number  text NOT NULL,
    fiscal_year     integer NOT NULL,
    paid_on         date NOT NULL,
    amount          numeric(14,2) NOT NULL CHECK (amount > 0),
    method          text NOT NULL CHECK (method IN ('cash', 'bank', 'mobile', 'cheque')),
    reference       text,
    received_by     text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    idempotency_key text,
    request_hash    text,
    PRIMARY KEY (city_id, id),
    UNIQUE (city_id, receipt_number),
    UNIQUE (city_id, received_by, idempotency_key),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE
);
CREATE INDEX charge_payments_property ON charge_payments (city_id, property_id);

CREATE TABLE ledger_entries (
    city_id        integer NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    property_id    bigint NOT NULL,
    fiscal_year    integer NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('charge', 'adjustment', 'payment')),
    amount         numeric(14,2) NOT NULL CHECK (amount <> 0 AND (kind <> 'payment' OR amount < 0) AND (kind <> 'charge' OR amount > 0)),
    entry_date     date NOT NULL,
    invoice_number text,
    payment_id     bigint,
    entered_at     timestamptz NOT NULL DEFAULT now(),
    entered_by     text NOT NULL,
    PRIMARY KEY (city_id, id),
    FOREIGN KEY (city_id, property_id) REFERENCES properties (city_id, id) ON DELETE CASCADE,
    FOREIGN KEY (city_id, payment_id) REFERENCES charge_payments (city_id, id)
);
CREATE INDEX ledger_entries_property ON ledger_entries (city_id, property_id, id);
CREATE INDEX ledger_entries_year ON ledger_entries (city_id, fiscal_year);

-- Gapless numbering: one row per city, series ('invoice', 'receipt') and fiscal year, locked by the transaction that
-- takes numbers, so a rolled-back transaction gives its numbers back.
CREATE TABLE number_counters (
    city_id     integer NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    series      text NOT NULL CHECK (series IN ('invoice', 'receipt')),
    fiscal_year integer NOT NULL,
    last        bigint NOT NULL DEFAULT 0 CHECK (last >= 0),
    PRIMARY KEY (city_id, series, fiscal_year)
);
