-- Projects can be imported as a job (layer `projects`, issue 13): like councils (0080), a project keeps the source
-- file's other attributes. Staff-only: not a public column of the layer (tiles and feeds list their columns).
ALTER TABLE projects ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}';
