-- heatdesk foundation schema (SQLite). Mirrored in ../postgres/0001_foundation.sql:
-- keep both in step; tests compare them. Times are BIGINT epoch milliseconds UTC.

CREATE TABLE branches (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    branch_id BIGINT REFERENCES branches(id),
    phone TEXT,
    -- service area: GeoJSON geometry (Polygon or MultiPolygon, WGS84)
    area_geojson TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    position TEXT NOT NULL,
    branch_id BIGINT REFERENCES branches(id),
    station_id BIGINT REFERENCES stations(id),
    updated_at BIGINT NOT NULL
);
CREATE INDEX staff_station ON staff(station_id, position);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    account_no TEXT NOT NULL UNIQUE,
    holder TEXT NOT NULL,
    phone TEXT,
    district TEXT NOT NULL,
    street TEXT NOT NULL,
    community TEXT NOT NULL,
    building TEXT NOT NULL,
    unit TEXT NOT NULL,
    room TEXT NOT NULL,
    area_m2 DOUBLE PRECISION NOT NULL,
    payment_state TEXT NOT NULL,
    station_id BIGINT REFERENCES stations(id),
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    updated_at BIGINT NOT NULL
);
CREATE INDEX accounts_address ON accounts(community, building, unit, room);
CREATE INDEX accounts_holder ON accounts(holder);

-- every phone an account can be found by (holder's mobile, landline, family)
CREATE TABLE account_phones (
    phone TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    PRIMARY KEY (phone, account_id)
);
CREATE INDEX account_phones_account ON account_phones(account_id);

CREATE TABLE ticket_sequences (
    day TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    priority TEXT NOT NULL,
    difficulty TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    caller_name TEXT NOT NULL,
    caller_phone TEXT NOT NULL,
    address TEXT NOT NULL,
    description TEXT NOT NULL,
    account_no TEXT,
    station_id BIGINT REFERENCES stations(id),
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    merged_into TEXT,
    appointment_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX tickets_status ON tickets(status, id);
CREATE INDEX tickets_station ON tickets(station_id, status, id);
CREATE INDEX tickets_kind ON tickets(kind, id);
CREATE INDEX tickets_priority ON tickets(priority, id);
CREATE INDEX tickets_phone ON tickets(caller_phone, id);
CREATE INDEX tickets_account ON tickets(account_no, id);
CREATE INDEX tickets_created ON tickets(created_at, id);

CREATE TABLE ticket_events (
    ticket_id BIGINT NOT NULL REFERENCES tickets(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    status_after TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    station_id BIGINT REFERENCES stations(id),
    password_hash TEXT NOT NULL,
    locale TEXT,
    disabled BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- server-side sessions: the cookie holds a random secret, the row its SHA-256
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE login_failures (
    username TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(username, at);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    station_id BIGINT REFERENCES stations(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
