-- Time entries: tracked time of a member in a workspace. An entry without an end is a running
-- timer; a member has at most one running timer per workspace.
CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    workspace_id BIGINT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id BIGINT REFERENCES projects (id) ON DELETE SET NULL,
    task_id BIGINT REFERENCES tasks (id) ON DELETE SET NULL,
    description TEXT NOT NULL DEFAULT '',
    -- JSON array of tag public ids.
    tag_ids TEXT NOT NULL DEFAULT '[]',
    billable BOOLEAN NOT NULL,
    start_at BIGINT NOT NULL,
    end_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX time_entries_by_user ON time_entries (workspace_id, user_id, start_at);
CREATE UNIQUE INDEX time_entries_one_running ON time_entries (workspace_id, user_id) WHERE end_at IS NULL;
