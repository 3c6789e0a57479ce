-- Field work (SQLite). Mirrored in ../postgres/0005_field_work.sql.

-- Photos and the customer's signature, kept with the ticket. Written only in
-- the transaction of the command they came with (`event_seq`): a resolution
-- is stored with its files or not at all. The end of an appointment's time
-- window lives in the `scheduled` event's data (`appointment_until`).
CREATE TABLE ticket_attachments (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    event_seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments(ticket_id, id);

-- "My tickets": a repairer's assignments.
CREATE INDEX ticket_assignments_staff ON ticket_assignments(staff_id);
