-- Crews, room-temperature visits, duplicates, thumbnails (PostgreSQL).
-- Mirrored in ../sqlite/0006_crews_and_visits.sql.

-- Several repairers may be on one ticket: the key becomes (ticket, staff).
ALTER TABLE ticket_assignments DROP CONSTRAINT ticket_assignments_pkey;
ALTER TABLE ticket_assignments ADD PRIMARY KEY (ticket_id, staff_id);

-- The latest room-temperature visit's result, for lists and exports (the
-- readings themselves are in the `temperature_measured` event).
ALTER TABLE tickets ADD COLUMN room_temp_c DOUBLE PRECISION;
ALTER TABLE tickets ADD COLUMN refund_percent BIGINT;

-- A primary ticket's duplicates (merged into it), for its callback.
CREATE INDEX tickets_merged_into ON tickets(merged_into) WHERE merged_into IS NOT NULL;

-- A small JPEG of each photo, made at upload, for lists on slow connections.
ALTER TABLE ticket_attachments ADD COLUMN thumb BYTEA;
