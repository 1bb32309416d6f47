package store

// migrations are the schema's versions: migrations[i] takes the database
// from version i to version i+1. Each is applied once, in its own
// transaction. Append new steps; never edit one that has shipped.
//
// Times are INTEGER nanoseconds since the Unix epoch (UTC); values are TEXT
// in their canonical form, NULL for the null value.
var migrations = []string{
	// 1: runs, the batch journal, last applied values, the audit log and
	// exceptions.
	`
CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,
	revision    TEXT    NOT NULL,
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	summary     TEXT    NOT NULL DEFAULT '',
	failed      INTEGER NOT NULL DEFAULT 0
);

-- One row per batch sent to a channel: journaled as 'sent' before it goes,
-- 'done' once the channel answered, 'recovered' when a crash cut it short
-- and a later apply observed what landed. changes is a JSON array of
-- {"sku", "field", "from", "to", "reason"}, values as strings or null;
-- once a batch is done or recovered it is emptied ('[]'), the audit log
-- holding what landed.
CREATE TABLE batches (
	id           INTEGER PRIMARY KEY,
	run_id       INTEGER NOT NULL REFERENCES runs (id),
	channel      TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('sent', 'done', 'recovered')),
	changes      TEXT    NOT NULL,
	sent_at      INTEGER NOT NULL,
	completed_at INTEGER
);
CREATE INDEX batches_pending ON batches (state) WHERE state = 'sent';

-- The last value applied to each field; the revision is the run's. Here and
-- in audit, run_id and batch_id are written only from the batch row in the
-- same transaction, and are left without REFERENCES: checking them costs a
-- sixth of the time of recording a batch.
CREATE TABLE applied (
	channel    TEXT    NOT NULL,
	sku        TEXT    NOT NULL,
	field      TEXT    NOT NULL,
	value      TEXT,
	run_id     INTEGER NOT NULL,
	applied_at INTEGER NOT NULL,
	PRIMARY KEY (channel, sku, field)
) WITHOUT ROWID;

-- Every change that landed, in the order it was recorded.
CREATE TABLE audit (
	id         INTEGER PRIMARY KEY,
	run_id     INTEGER NOT NULL,
	batch_id   INTEGER NOT NULL,
	channel    TEXT    NOT NULL,
	sku        TEXT    NOT NULL,
	field      TEXT    NOT NULL,
	from_value TEXT,
	to_value   TEXT,
	reason     TEXT    NOT NULL,
	at         INTEGER NOT NULL
);
CREATE INDEX audit_sku ON audit (sku, channel);
CREATE INDEX audit_run ON audit (run_id);

-- At most one unresolved row per (code, channel, sku, field); resolved rows
-- are history. sku and field are '' where they do not apply.
CREATE TABLE exceptions (
	id          INTEGER PRIMARY KEY,
	code        TEXT    NOT NULL,
	channel     TEXT    NOT NULL,
	sku         TEXT    NOT NULL,
	field       TEXT    NOT NULL,
	observed    TEXT,
	expected    TEXT,
	action      TEXT    NOT NULL,
	message     TEXT    NOT NULL,
	status      TEXT    NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
	revision    TEXT    NOT NULL,
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	resolved_at INTEGER
);
CREATE UNIQUE INDEX exceptions_unresolved ON exceptions (code, channel, sku, field) WHERE status <> 'resolved';
CREATE INDEX exceptions_channel ON exceptions (channel, sku, field, code);
`,
	// 2: adapter references with the last applied values; asynchronous
	// submissions on batches; the lease; notes on exceptions.
	`
-- The adapter's reference to the listing (adapters.Ref) as of the last
-- change applied to the field: a saved plan or a recovery in another
-- process still has the channel's own IDs.
ALTER TABLE applied ADD COLUMN ref TEXT;

-- A batch a channel queued instead of answering (a feed): the channel's ID
-- for it, recorded before the apply moves on. A 'sent' batch with a
-- submission is settled by asking the channel for the outcome, never by
-- sending it again.
ALTER TABLE batches ADD COLUMN submission TEXT;

-- The lease under which a run applied; recovery settles the batches of
-- runs whose lease is gone.
ALTER TABLE runs ADD COLUMN lease_id TEXT;

-- What a person said when acknowledging, and when.
ALTER TABLE exceptions ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN acknowledged_at INTEGER;

-- Who may apply to the channels of this state: one row while held. expires_at
-- moves on while the holder renews it; a lease past it may be taken over.
CREATE TABLE lease (
	name        TEXT    PRIMARY KEY,
	id          TEXT    NOT NULL,
	owner       TEXT    NOT NULL,
	host        TEXT    NOT NULL,
	pid         INTEGER NOT NULL,
	acquired_at INTEGER NOT NULL,
	renewed_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
`,
	// 3: a batch whose outcome is partly unknown (a timeout, a lost answer):
	// its state is 'unknown' and it keeps the changes nobody knows the fate
	// of, until an observe of the channel settles them. SQLite cannot alter
	// a CHECK constraint, so the table is rebuilt.
	`
CREATE TABLE batches_v3 (
	id           INTEGER PRIMARY KEY,
	run_id       INTEGER NOT NULL REFERENCES runs (id),
	channel      TEXT    NOT NULL,
	state        TEXT    NOT NULL CHECK (state IN ('sent', 'done', 'unknown', 'recovered')),
	changes      TEXT    NOT NULL,
	sent_at      INTEGER NOT NULL,
	completed_at INTEGER,
	submission   TEXT
);
INSERT INTO batches_v3 (id, run_id, channel, state, changes, sent_at, completed_at, submission)
	SELECT id, run_id, channel, state, changes, sent_at, completed_at, submission FROM batches;
DROP TABLE batches;
ALTER TABLE batches_v3 RENAME TO batches;
-- 'sent' batches are in flight or cut short by a crash; 'unknown' ones were
-- answered in part. Both are settled by observing before anything is sent
-- for their listings again.
CREATE INDEX batches_pending ON batches (state) WHERE state IN ('sent', 'unknown');
`,
	// 4: the commits the daemon followed, and the revisions a person
	// approved for it to apply (accord run --apply drift-only).
	`
-- A git commit the daemon (accord run) read the spec from, with the spec
-- revision it holds: runs, the audit log and exceptions name revisions,
-- and this names their commits.
CREATE TABLE commits (
	sha        TEXT    PRIMARY KEY,
	revision   TEXT    NOT NULL,
	author     TEXT    NOT NULL,
	message    TEXT    NOT NULL,
	committed  INTEGER NOT NULL,
	first_seen INTEGER NOT NULL
);
CREATE INDEX commits_revision ON commits (revision, first_seen);

-- A spec revision a person approved for the daemon to apply.
CREATE TABLE approvals (
	revision    TEXT    PRIMARY KEY,
	approved_by TEXT    NOT NULL,
	approved_at INTEGER NOT NULL
);
`,
	// 5: the revisions accord sent to the listings of a channel that
	// allows a listing only so many a day (eBay: 250), per the channel's
	// calendar day: each sent change is a row, recorded before it is sent,
	// so that the day's count and the moves of each field are known after
	// a restart.
	`
CREATE TABLE revisions (
	channel    TEXT    NOT NULL,
	sku        TEXT    NOT NULL,
	day        TEXT    NOT NULL,
	seq        INTEGER NOT NULL,
	field      TEXT    NOT NULL,
	from_value TEXT,
	to_value   TEXT,
	at         INTEGER NOT NULL,
	PRIMARY KEY (channel, sku, day, seq)
) WITHOUT ROWID;
CREATE INDEX revisions_day ON revisions (day);
`,
}
