-- Console performance (SQLite). Mirrored in ../postgres/0004_console_perf.sql.

-- The caller's tickets by account number (the intake screen's caller panel).
-- Most tickets carry no account number, and statistics over a full index of
-- account_no make every value look like the NULLs: "1,000,000 rows per
-- value", so SQLite's planner scanned the whole table instead (320 ms at a
-- million tickets). An index of the tickets that have one is what the
-- lookup needs, and its statistics tell the truth. `account_no = $1` and
-- `account_no IN (…)` imply `account_no IS NOT NULL`, so both backends use it.
DROP INDEX tickets_account;
CREATE INDEX tickets_account ON tickets(account_no, id) WHERE account_no IS NOT NULL;

-- A station's queue ordered by priority (one statement per priority, see
-- store/src/queues.rs QueueGroup): station and priority narrow, the id
-- orders. Without it PostgreSQL walked the primary key past 80,000 rows for
-- one station's emergencies (45 ms at a million tickets).
CREATE INDEX tickets_station_priority ON tickets(station_id, priority, id);
