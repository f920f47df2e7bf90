-- Records the decision ($2 approved or rejected) on transaction $1 by $3, with a note $4 and the property version $5 it made.
UPDATE transactions SET status = $2, decided_by = $3, decided_at = now(), decision_note = $4, applied_version = $5
WHERE id = $1;
