-- The console (SQLite). Mirrored in ../postgres/0002_console.sql.

-- Who at the station is on a ticket: one current repairer per ticket.
CREATE TABLE ticket_assignments (
    ticket_id BIGINT PRIMARY KEY REFERENCES tickets(id),
    staff_id BIGINT NOT NULL REFERENCES staff(id),
    assigned_by TEXT NOT NULL,
    assigned_at BIGINT NOT NULL
);

-- Free notes on a ticket; they do not change its state.
CREATE TABLE ticket_notes (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes(ticket_id, id);
