-- Cross-property work queues (issue 10): a city's pending transactions and open disputes, read in id order a page at a
-- time (keyset), so the supervisor's list costs the same on the last page as on the first.
CREATE INDEX transactions_queue ON transactions (city_id, status, id);
CREATE INDEX disputes_queue ON disputes (city_id, status, id);
