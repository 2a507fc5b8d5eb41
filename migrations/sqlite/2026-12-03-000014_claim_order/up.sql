-- PostgreSQL's per-webhook due index gains id here so a claim needs no sort. SQLite's index
-- entries end with the rowid (deliveries.id) already, so its index stays as it is.
SELECT 1;
