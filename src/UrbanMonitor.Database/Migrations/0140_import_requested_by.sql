-- Who asked for an import: the service's user (their login) or the CLI's operating-system user ("cli:<name>").
-- The publish transaction names them as the audit log's actor and names the job (urbanmonitor.import_job), so the
-- rows an import writes, and the summary entry of a bulk publish, say who and which job.
ALTER TABLE import_jobs ADD COLUMN requested_by text;
