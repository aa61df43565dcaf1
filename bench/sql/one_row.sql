-- One small row, one transaction: the commit rate the database itself can sustain.
-- pgbench runs this in autocommit, so every INSERT is its own commit.
INSERT INTO bench_one_row (payload) VALUES ('one row ' || :client_id);
