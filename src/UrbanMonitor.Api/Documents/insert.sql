-- Stores a document's bytes ($7) with its SHA-256 ($8); returns its metadata.
INSERT INTO documents (city_id, record_kind, record_id, kind, file_name, media_type, size_bytes, content, sha256, uploaded_by)
VALUES ($1, $2, $3, $4, $5, $6, length($7::bytea), $7, $8, $9)
RETURNING json_build_object('id', id, 'record', record_kind || ':' || record_id, 'kind', kind, 'fileName', file_name,
                            'mediaType', media_type, 'sizeBytes', size_bytes, 'sha256', sha256, 'uploadedAt', uploaded_at,
                            'content', '/api/documents/' || id || '/content')::text;
