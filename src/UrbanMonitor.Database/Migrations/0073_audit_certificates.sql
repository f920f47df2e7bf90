-- The audit log (0070) records certificate issues too.
SELECT um_audit_attach('certificates', '''city_id'', ''id''');
