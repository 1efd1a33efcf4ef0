-- SPDX-License-Identifier: GPL-2.0
-- rgm-confserver registration database, schema version 1.
-- Documentation/confserver.rst describes every table. The build embeds this
-- file byte for byte (scripts/mkschema.sh, tests/db_test.c checks).
-- Times are seconds since the Unix epoch, UTC.

CREATE TABLE gateways (
	id		TEXT PRIMARY KEY NOT NULL,
	type		TEXT NOT NULL,
	mode		TEXT NOT NULL CHECK (mode IN ('listen', 'call-home')),
	endpoint	TEXT,	-- host:port of rgmd with mode listen, else NULL
	pin		TEXT NOT NULL UNIQUE	-- identifies a calling-home rgmd
			CHECK (pin LIKE 'pin-sha256:%'),
	global_addr	TEXT,	-- last known global address, NULL if none yet
	enrolled_at	INTEGER NOT NULL,
	CHECK ((mode = 'listen') = (endpoint IS NOT NULL))
) STRICT;
CREATE INDEX gateways_type ON gateways (type);

CREATE TABLE appliances (
	id		TEXT PRIMARY KEY NOT NULL,
	gateway_id	TEXT NOT NULL REFERENCES gateways (id) ON DELETE RESTRICT,
	registered_at	INTEGER NOT NULL,
	last_contact	INTEGER NOT NULL
) STRICT;
CREATE INDEX appliances_gateway ON appliances (gateway_id);

CREATE TABLE sessions (
	id		TEXT PRIMARY KEY NOT NULL,
	appliance_id	TEXT NOT NULL REFERENCES appliances (id) ON DELETE RESTRICT,
	gateway_id	TEXT NOT NULL REFERENCES gateways (id) ON DELETE RESTRICT,
	streams		TEXT NOT NULL
			CHECK (json_valid(streams) AND json_type(streams) = 'array'),
	ports		TEXT	-- JSON array of chosen global ports, NULL until known
			CHECK (ports IS NULL OR (json_valid(ports) AND json_type(ports) = 'array')),
	lease		INTEGER NOT NULL CHECK (lease BETWEEN 1 AND 604800),
	state		TEXT NOT NULL CHECK (state IN ('pending', 'active', 'closed', 'failed')),
	created_at	INTEGER NOT NULL,
	updated_at	INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_appliance ON sessions (appliance_id);
CREATE INDEX sessions_gateway ON sessions (gateway_id);

-- Hash-chained: hash = SHA-256(canonical encoding of the other fields and
-- prev_hash), see confserver/rgm_audit.c. No foreign key on gateway_id:
-- the log outlives the gateways it names.
CREATE TABLE audit_log (
	seq		INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
	time		INTEGER NOT NULL,
	actor		TEXT NOT NULL,
	gateway_id	TEXT,
	command		TEXT NOT NULL CHECK (json_valid(command)),
	result		TEXT NOT NULL CHECK (json_valid(result)),
	prev_hash	TEXT NOT NULL,
	hash		TEXT NOT NULL
) STRICT;

-- The chain head, written in the same transaction as each entry: a
-- truncated tail no longer matches it.
CREATE TABLE audit_head (
	one		INTEGER PRIMARY KEY NOT NULL CHECK (one = 1),
	seq		INTEGER NOT NULL,
	hash		TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (one, seq, hash) VALUES (1, 0,
	'0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only against mistakes in our own code; someone with the file can
-- drop these, which is what the hash chain is for.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
	SELECT RAISE(ABORT, 'the audit head is permanent');
END;
