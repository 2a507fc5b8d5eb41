-- Settled events (and their deliveries) are pruned by age: the retention job walks events
-- oldest first.
CREATE INDEX events_by_time ON events (created_at);
