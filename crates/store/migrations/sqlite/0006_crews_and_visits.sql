-- Crews, room-temperature visits, duplicates, thumbnails (SQLite).
-- Mirrored in ../postgres/0006_crews_and_visits.sql.

-- Several repairers may be on one ticket: the key becomes (ticket, staff).
-- SQLite cannot change a primary key in place, so the table is rebuilt.
CREATE TABLE ticket_crew (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, staff_id)
);
INSERT INTO ticket_crew (ticket_id, staff_id, assigned_by, assigned_at)
    SELECT ticket_id, staff_id, assigned_by, assigned_at FROM ticket_assignments;
DROP TABLE ticket_assignments;
ALTER TABLE ticket_crew RENAME TO ticket_assignments;
CREATE INDEX ticket_assignments_staff ON ticket_assignments(staff_id);

-- The latest room-temperature visit's result, for lists and exports (the
-- readings themselves are in the `temperature_measured` event).
ALTER TABLE tickets ADD COLUMN room_temp_c DOUBLE PRECISION;
ALTER TABLE tickets ADD COLUMN refund_percent BIGINT;

-- A primary ticket's duplicates (merged into it), for its callback.
CREATE INDEX tickets_merged_into ON tickets(merged_into) WHERE merged_into IS NOT NULL;

-- A small JPEG of each photo, made at upload, for lists on slow connections.
ALTER TABLE ticket_attachments ADD COLUMN thumb BLOB;
