-- Deadlines, escalation and the outbox (SQLite). Mirrored in ../postgres/0003_clocks.sql.

-- One row per run of a step's clock; stopped clocks stay as the record of
-- how each step went (met, late by how much, cancelled).
CREATE TABLE ticket_clocks (
    id INTEGER PRIMARY KEY,
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    -- accept | contact | on_site | result | callback
    step TEXT NOT NULL,
    -- running | met | late | cancelled
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    warn_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    -- set while an appointment pauses the clock (the deadlines above already moved)
    paused_until BIGINT,
    -- stages fired: 0 none, 1 the warning, 1 + n escalation level n
    fired BIGINT NOT NULL,
    -- when the scheduler must look at it next; NULL when nothing is left to fire
    next_fire_at BIGINT,
    stopped_at BIGINT,
    late_ms BIGINT
);
-- The scheduler's only query: due clocks, in due order, whatever the number pending.
CREATE INDEX ticket_clocks_next ON ticket_clocks(next_fire_at) WHERE next_fire_at IS NOT NULL;
CREATE INDEX ticket_clocks_ticket ON ticket_clocks(ticket_id, state);
-- The late and about-to-be-late queues.
CREATE INDEX ticket_clocks_warn ON ticket_clocks(state, warn_at);

-- Messages to people, written in the transaction of the event that causes
-- them and delivered afterwards by the notifier, with retries.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    -- sent with the message; a gateway drops a second delivery of the same key
    idempotency_key TEXT NOT NULL UNIQUE,
    ticket_id BIGINT REFERENCES tickets(id),
    ticket_number TEXT,
    -- the ticket event that caused it: dispatched, warned, escalated, …
    event TEXT NOT NULL,
    -- sms | email
    channel TEXT NOT NULL,
    -- phone number or e-mail address
    recipient TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    position TEXT NOT NULL,
    staff_id BIGINT REFERENCES staff(id),
    text TEXT NOT NULL,
    -- pending | sent | failed
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    -- due for (another) delivery attempt; a claim pushes it forward by the
    -- lease, so a crashed sender's message becomes due again by itself
    next_attempt_at BIGINT,
    claimed_by TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX outbox_ticket ON outbox(ticket_id, id);
CREATE INDEX outbox_state ON outbox(state, id);
CREATE INDEX outbox_staff ON outbox(staff_id, id);

-- E-mail for the smtp channel (optional column of the staff register).
ALTER TABLE staff ADD COLUMN email TEXT;
-- A console user who is also on the staff register sees the messages sent to them.
ALTER TABLE users ADD COLUMN staff_id BIGINT REFERENCES staff(id);
