-- Resolves dispute $1 with decision $2 and its document $3, by $4.
UPDATE disputes SET status = 'resolved', decision = $2, decision_document_id = $3, resolved_by = $4, resolved_at = now()
WHERE id = $1;
