/// The inbox's versioned schema, in both SQL dialects, recorded in `inbox_schema_migrations`: a table of its own, so
/// that the inbox can live in the crosscheck's PostgreSQL database (each process owns its tables, DESIGN.md "Office
/// side") and each migrates on its own. Versions never change once released; a change is a new entry at the end.
///
/// The current message's payload is not copied into `inbox_alerts`: it is the history entry with the alert's current
/// sequence (joined on the primary key), so each message's bytes are written once.
enum InboxMigrations {
    static let all: [Migration] = [
        Migration(
            version: 1,
            name: "inbox: current alerts, history, webhook endpoints and deliveries",
            sqlite: [
                """
                CREATE TABLE inbox_alerts (
                    alert_id TEXT NOT NULL PRIMARY KEY,
                    seq INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    audience TEXT NOT NULL,
                    community_code TEXT NOT NULL,
                    street_code TEXT,
                    raised_at_ms INTEGER NOT NULL,
                    due_by_ms INTEGER NOT NULL,
                    closed_at_ms INTEGER,
                    updated_at_ms INTEGER NOT NULL
                ) WITHOUT ROWID
                """,
                "CREATE INDEX inbox_alerts_community ON inbox_alerts (community_code, status, raised_at_ms, alert_id)",
                "CREATE INDEX inbox_alerts_street ON inbox_alerts (street_code, status, raised_at_ms, alert_id)",
                "CREATE INDEX inbox_alerts_due ON inbox_alerts (status, due_by_ms)",
                """
                CREATE TABLE inbox_history (
                    alert_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    digest INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    received_at_ms INTEGER NOT NULL,
                    payload BLOB NOT NULL,
                    PRIMARY KEY (alert_id, seq)
                )
                """,
                """
                CREATE TABLE webhook_endpoints (
                    office_code TEXT NOT NULL,
                    url TEXT NOT NULL,
                    disabled_at_ms INTEGER,
                    disabled_reason TEXT,
                    PRIMARY KEY (office_code, url)
                )
                """,
                """
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    alert_id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    office_code TEXT NOT NULL,
                    url TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_ms INTEGER NOT NULL,
                    created_at_ms INTEGER NOT NULL,
                    last_attempt_ms INTEGER,
                    last_status INTEGER,
                    last_error TEXT,
                    failed_at_ms INTEGER
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms)",
            ],
            postgres: [
                #"""
                CREATE TABLE inbox_alerts (
                    alert_id text COLLATE "C" NOT NULL PRIMARY KEY,
                    seq bigint NOT NULL,
                    type text NOT NULL,
                    status text NOT NULL,
                    audience text NOT NULL,
                    community_code text COLLATE "C" NOT NULL,
                    street_code text COLLATE "C",
                    raised_at_ms bigint NOT NULL,
                    due_by_ms bigint NOT NULL,
                    closed_at_ms bigint,
                    updated_at_ms bigint NOT NULL
                ) WITH (fillfactor = 80)
                """#,
                "CREATE INDEX inbox_alerts_community ON inbox_alerts (community_code, status, raised_at_ms, alert_id)",
                "CREATE INDEX inbox_alerts_street ON inbox_alerts (street_code, status, raised_at_ms, alert_id)",
                "CREATE INDEX inbox_alerts_due ON inbox_alerts (status, due_by_ms)",
                #"""
                CREATE TABLE inbox_history (
                    alert_id text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL,
                    digest bigint NOT NULL,
                    status text NOT NULL,
                    received_at_ms bigint NOT NULL,
                    payload bytea NOT NULL,
                    PRIMARY KEY (alert_id, seq)
                )
                """#,
                #"""
                CREATE TABLE webhook_endpoints (
                    office_code text COLLATE "C" NOT NULL,
                    url text COLLATE "C" NOT NULL,
                    disabled_at_ms bigint,
                    disabled_reason text,
                    PRIMARY KEY (office_code, url)
                )
                """#,
                #"""
                CREATE TABLE webhook_deliveries (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    alert_id text COLLATE "C" NOT NULL,
                    seq bigint NOT NULL,
                    office_code text COLLATE "C" NOT NULL,
                    url text COLLATE "C" NOT NULL,
                    state text NOT NULL,
                    attempts integer NOT NULL,
                    next_attempt_ms bigint NOT NULL,
                    created_at_ms bigint NOT NULL,
                    last_attempt_ms bigint,
                    last_status integer,
                    last_error text,
                    failed_at_ms bigint
                )
                """#,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_ms)",
            ]
        )
    ]

    /// The newest version this build knows.
    static var latestVersion: Int { all.last?.version ?? 0 }
}

extension StoreError {
    static func inboxMigration(_ m: Migration, store: String, _ what: String) -> StoreError {
        StoreError(
            code: .migrationFailed,
            message: "inbox migration \(m.version) (\(m.name)) of \(store) failed and was rolled back: \(what)"
        )
    }

    static func inboxSchemaTooNew(found: Int, store: String) -> StoreError {
        StoreError(
            code: .schemaTooNew,
            message: "the inbox in \(store) is at schema version \(found), but this build knows only up to version "
                + "\(InboxMigrations.latestVersion); run a newer xiecha against it"
        )
    }
}
