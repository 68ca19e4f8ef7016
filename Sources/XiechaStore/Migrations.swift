/// One versioned schema change, in both SQL dialects. Versions start at 1 and never change once released; a new
/// change is a new migration at the end of ``Migration/all``.
struct Migration: Sendable {
    var version: Int
    var name: String
    var sqlite: [String]
    var postgres: [String]

    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "crosscheck state: processed events, persons, alerts, outbox",
            sqlite: [
                """
                CREATE TABLE processed_events (event_id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID
                """,
                """
                CREATE TABLE persons (
                    key TEXT NOT NULL PRIMARY KEY,
                    state BLOB NOT NULL,
                    next_deadline_ms INTEGER
                )
                """,
                """
                CREATE INDEX persons_next_deadline ON persons (next_deadline_ms, key)
                    WHERE next_deadline_ms IS NOT NULL
                """,
                """
                CREATE TABLE alerts (
                    alert_id TEXT NOT NULL PRIMARY KEY,
                    person_key TEXT NOT NULL,
                    routing_key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    payload BLOB NOT NULL
                )
                """,
                "CREATE INDEX alerts_routing_key ON alerts (routing_key, alert_id)",
                "CREATE INDEX alerts_person_key ON alerts (person_key)",
                """
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload BLOB NOT NULL
                )
                """,
            ],
            postgres: [
                #"CREATE TABLE processed_events (event_id text COLLATE "C" NOT NULL PRIMARY KEY)"#,
                #"""
                CREATE TABLE persons (
                    key text COLLATE "C" NOT NULL PRIMARY KEY,
                    state bytea NOT NULL,
                    next_deadline_ms bigint
                )
                """#,
                """
                CREATE INDEX persons_next_deadline ON persons (next_deadline_ms, key)
                    WHERE next_deadline_ms IS NOT NULL
                """,
                #"""
                CREATE TABLE alerts (
                    alert_id text COLLATE "C" NOT NULL PRIMARY KEY,
                    person_key text COLLATE "C" NOT NULL,
                    routing_key text COLLATE "C" NOT NULL,
                    status text NOT NULL,
                    payload bytea NOT NULL
                )
                """#,
                "CREATE INDEX alerts_routing_key ON alerts (routing_key, alert_id)",
                "CREATE INDEX alerts_person_key ON alerts (person_key)",
                """
                CREATE TABLE outbox (
                    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    topic text NOT NULL,
                    key text NOT NULL,
                    payload bytea NOT NULL
                )
                """,
            ]
        ),
        Migration(
            version: 2,
            name: "append-only audit log",
            sqlite: [
                """
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    subject TEXT NOT NULL
                )
                """,
                """
                CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
                """
                CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """,
            ],
            postgres: [
                """
                CREATE TABLE audit_log (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at timestamptz NOT NULL DEFAULT now(),
                    actor text NOT NULL,
                    action text NOT NULL,
                    subject text NOT NULL
                )
                """,
                """
                CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'audit_log is append-only';
                END
                $$
                """,
                """
                CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
                    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()
                """,
            ]
        ),
        Migration(
            version: 3,
            name: "PostgreSQL: room on every page for updated person and alert rows",
            // Every batch rewrites its persons' rows and many alert rows. With full pages PostgreSQL puts each new
            // row version on another page and adds an entry to every index of the table; with room on the page
            // (fillfactor) an update that keeps the indexed columns (most of them: same deadline, same routing)
            // stays on its page and touches no index (a HOT update). SQLite updates rows in place; nothing there.
            sqlite: [],
            postgres: [
                "ALTER TABLE persons SET (fillfactor = 70)",
                "ALTER TABLE alerts SET (fillfactor = 70)",
            ]
        ),
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { all.last?.version ?? 0 }
}

extension StoreError {
    static func migration(_ m: Migration, store: String, _ what: String) -> StoreError {
        StoreError(
            code: .migrationFailed,
            message: "migration \(m.version) (\(m.name)) of \(store) failed and was rolled back: \(what)"
        )
    }

    static func schemaTooNew(found: Int, store: String) -> StoreError {
        StoreError(
            code: .schemaTooNew,
            message: "\(store) is at schema version \(found), but this build knows only up to version "
                + "\(Migration.latestVersion); run a newer xiecha against it"
        )
    }
}
