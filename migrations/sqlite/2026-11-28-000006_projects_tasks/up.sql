-- A workspace's projects (each optionally for a client) and their tasks.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- Deleting a client leaves its projects without one, as Clockify does.
    client_id BIGINT REFERENCES clients (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    -- #RRGGBB
    color TEXT NOT NULL,
    billable BOOLEAN NOT NULL,
    is_public BOOLEAN NOT NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX projects_by_name ON projects (workspace_id, name);
CREATE INDEX projects_by_client ON projects (client_id);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- ACTIVE or DONE
    status TEXT NOT NULL,
    -- ISO-8601 duration, e.g. PT1H30M; NULL when none was given.
    estimate TEXT,
    billable BOOLEAN NOT NULL,
    -- JSON array of member public ids.
    assignee_ids TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tasks_by_name ON tasks (project_id, name);
