import Logging
import PostgresNIO
import Synchronization

/// A ``StateStore`` in PostgreSQL (or a compatible engine), through postgres-nio's `PostgresClient`.
///
/// The store owns the client and runs it in a task that ``close()`` cancels. A commit is one transaction of at most
/// five statements whatever the batch size: each table gets one `INSERT … SELECT FROM unnest(array, …)` of the whole
/// batch, as named prepared statements. Keys compare with `COLLATE "C"` (byte order), as in SQLite.
///
/// Outbox sequences are handed out under a transaction-scoped advisory lock taken just before the outbox insert, so
/// sequence order is commit order even with several workers sharing the database: once a message with sequence N is
/// visible, every message below N is visible too, and ``deleteOutbox(through:)`` never removes a message no reader
/// has seen.
public final class PostgresStateStore: StateStore {
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let location: StoreURL.PostgresLocation
    private let name: String
    private let logger: Logger
    private let closed = Mutex(false)

    /// Advisory lock keys (arbitrary constants, shared by every Xiecha process on the database).
    static let migrationLockKey: Int64 = 0x5869_6563_6861_0001
    static let outboxLockKey: Int64 = 0x5869_6563_6861_0002

    /// Creates the client and starts running it; does not contact the server. Prefer ``connect(_:logger:timeout:)``,
    /// which checks that the server answers.
    public init(location: StoreURL.PostgresLocation, logger: Logger) {
        self.location = location
        self.name = StoreURL.postgres(location).description
        self.logger = logger
        var config = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: .disable
        )
        switch location.sslMode {
        case .disable: config.tls = .disable
        case .prefer: config.tls = .prefer(.makeClientConfiguration())
        case .require: config.tls = .require(.makeClientConfiguration())
        }
        config.options.maximumConnections = 8
        config.options.connectTimeout = .seconds(10)
        var startup: [(String, String)] = [("application_name", location.applicationName)]
        if let schema = location.schema {
            startup.append(("search_path", schema))
        }
        config.options.additionalStartupParameters = startup
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    /// Creates a store and checks within `timeout` that the server accepts a query; throws
    /// ``StoreError/Code/connectionFailed`` otherwise.
    public static func connect(
        _ location: StoreURL.PostgresLocation,
        logger: Logger,
        timeout: Duration = .seconds(60)
    ) async throws -> PostgresStateStore {
        let store = PostgresStateStore(location: location, logger: logger)
        do {
            try await store.ping(timeout: timeout)
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    /// Runs `SELECT 1`, failing with ``StoreError/Code/connectionFailed`` if it does not answer within `timeout`.
    public func ping(timeout: Duration) async throws {
        try checkOpen()
        let client = self.client
        let name = self.name
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await client.query("SELECT 1").drain()
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StoreError(
                        code: .connectionFailed,
                        message: "\(name) did not answer within \(timeout)"
                    )
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .connectionFailed, message: "cannot reach \(name): \(describePostgres(error))")
        }
    }

    // MARK: Migrations

    public func migrate() async throws {
        try checkOpen()
        let schema = location.schema
        var newlyApplied: [Int] = []
        for migration in Migration.all {
            let name = self.name
            let didApply: Bool
            do {
                didApply = try await client.withTransaction(logger: logger) { conn -> Bool in
                    // Serialise concurrent start-ups: the lock is held until this transaction ends.
                    try await conn.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: self.logger)
                        .drain()
                    if let schema {
                        // Only when missing: CREATE SCHEMA checks the CREATE privilege even with IF NOT EXISTS.
                        var exists = false
                        for try await _ in try await conn.query(
                            "SELECT 1 FROM pg_namespace WHERE nspname = \(schema)",
                            logger: self.logger
                        ) {
                            exists = true
                        }
                        if !exists {
                            // `schema` was validated as a plain identifier when the URL was parsed.
                            try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: self.logger)
                                .drain()
                        }
                    }
                    try await conn.query(
                        """
                        CREATE TABLE IF NOT EXISTS schema_migrations (
                            version integer NOT NULL PRIMARY KEY,
                            applied_at timestamptz NOT NULL DEFAULT now()
                        )
                        """,
                        logger: self.logger
                    ).drain()
                    var current = 0
                    for try await v in try await conn.query(
                        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                        logger: self.logger
                    ).decode(Int.self) {
                        current = v
                    }
                    if current > Migration.latestVersion {
                        throw StoreError.schemaTooNew(found: current, store: name)
                    }
                    guard current < migration.version else { return false }
                    for sql in migration.postgres {
                        try await conn.query(PostgresQuery(unsafeSQL: sql), logger: self.logger).drain()
                    }
                    try await conn.query(
                        "INSERT INTO schema_migrations (version) VALUES (\(migration.version))",
                        logger: self.logger
                    ).drain()
                    return true
                }
            } catch {
                if let e = unwrapStoreError(error) { throw e }
                throw StoreError.migration(migration, store: name, describePostgres(error))
            }
            if didApply { newlyApplied.append(migration.version) }
        }
        if !newlyApplied.isEmpty {
            logger.info(
                "store migrated",
                metadata: ["xiecha.store": "\(name)", "xiecha.store.migrations": "\(newlyApplied)"]
            )
        }
    }

    /// The schema versions recorded as applied.
    public func appliedMigrations() async throws -> [Int] {
        try checkOpen()
        return try await collect("read migrations", "SELECT version FROM schema_migrations ORDER BY version", Int.self)
    }

    // MARK: Reads

    public func persons(_ keys: [String]) async throws -> [String: PersonRecord] {
        try checkOpen()
        guard !keys.isEmpty else { return [:] }
        do {
            var result = [String: PersonRecord](minimumCapacity: keys.count)
            for try await (key, state, deadline) in try await client.execute(LoadPersons(keys: keys), logger: logger) {
                result[key] = PersonRecord(key: key, state: Array(state.readableBytesView), nextDeadlineMs: deadline)
            }
            return result
        } catch {
            throw mapError(error, "load persons")
        }
    }

    public func processed(among eventIds: [String]) async throws -> Set<String> {
        try checkOpen()
        guard !eventIds.isEmpty else { return [] }
        do {
            var result = Set<String>()
            for try await id in try await client.execute(LookUpProcessed(ids: eventIds), logger: logger) {
                result.insert(id)
            }
            return result
        } catch {
            throw mapError(error, "look up processed events")
        }
    }

    public func dueKeys(notAfterMs: Int64, limit: Int) async throws -> [String] {
        try checkOpen()
        guard limit > 0 else { return [] }
        return try await collect(
            "list due persons",
            """
            SELECT key FROM persons WHERE next_deadline_ms IS NOT NULL AND next_deadline_ms <= \(notAfterMs)
            ORDER BY next_deadline_ms, key LIMIT \(Int64(limit))
            """,
            String.self
        )
    }

    public func nextDeadlineMs() async throws -> Int64? {
        try checkOpen()
        return try await collect(
            "read next deadline",
            "SELECT MIN(next_deadline_ms) FROM persons WHERE next_deadline_ms IS NOT NULL",
            Int64?.self
        ).first ?? nil
    }

    public func pendingOutbox(limit: Int) async throws -> [OutboxMessage] {
        try checkOpen()
        guard limit > 0 else { return [] }
        do {
            var result: [OutboxMessage] = []
            let rows = try await client.query(
                "SELECT seq, topic, key, payload FROM outbox ORDER BY seq LIMIT \(Int64(limit))",
                logger: logger
            )
            for try await (seq, topic, key, payload) in rows.decode((Int64, String, String, ByteBuffer).self) {
                result.append(
                    OutboxMessage(sequence: seq, topic: topic, key: key, payload: Array(payload.readableBytesView))
                )
            }
            return result
        } catch {
            throw mapError(error, "read outbox")
        }
    }

    public func alerts(ids: [String]) async throws -> [String: AlertRecord] {
        try checkOpen()
        guard !ids.isEmpty else { return [:] }
        do {
            var result: [String: AlertRecord] = [:]
            for try await (id, person, routing, status, payload) in try await client.execute(LookUpAlerts(ids: ids), logger: logger) {
                result[id] = AlertRecord(
                    alertId: id, personKey: person, routingKey: routing, status: status, payload: Array(payload.readableBytesView))
            }
            return result
        } catch {
            throw mapError(error, "look up alerts")
        }
    }

    public func alerts() async throws -> [AlertRecord] {
        try checkOpen()
        do {
            var result: [AlertRecord] = []
            let rows = try await client.query(
                "SELECT alert_id, person_key, routing_key, status, payload FROM alerts ORDER BY alert_id",
                logger: logger
            )
            for try await (id, person, routing, status, payload) in rows.decode(
                (String, String, String, String, ByteBuffer).self
            ) {
                result.append(
                    AlertRecord(
                        alertId: id,
                        personKey: person,
                        routingKey: routing,
                        status: status,
                        payload: Array(payload.readableBytesView)
                    )
                )
            }
            return result
        } catch {
            throw mapError(error, "read alerts")
        }
    }

    public func alertCount() async throws -> Int {
        try checkOpen()
        return try await collect("count alerts", "SELECT COUNT(*) FROM alerts", Int.self).first ?? 0
    }

    // MARK: Writes

    public func commit(_ batch: StoreBatch) async throws {
        try checkOpen()
        guard !batch.isEmpty else { return }
        let (persons, alerts) = batch.collapsed()
        let logger = self.logger
        do {
            try await client.withTransaction(logger: logger) { conn in
                if !persons.isEmpty {
                    _ = try await conn.execute(UpsertPersons(persons), logger: logger)
                }
                if !alerts.isEmpty {
                    _ = try await conn.execute(UpsertAlerts(alerts), logger: logger)
                }
                if !batch.processedEventIds.isEmpty {
                    _ = try await conn.execute(InsertProcessed(ids: batch.processedEventIds), logger: logger)
                }
                if !batch.outbox.isEmpty {
                    _ = try await conn.execute(LockOutbox(), logger: logger)
                    _ = try await conn.execute(AppendOutbox(batch.outbox), logger: logger)
                }
            }
        } catch {
            if let e = psqlError(error), e.serverInfo?[.sqlState] == "23505",
                e.serverInfo?[.constraintName] == "processed_events_pkey"
            {
                throw await duplicateError(batch)
            }
            throw mapError(error, "commit a batch (rolled back, nothing applied)")
        }
    }

    public func deleteOutbox(through sequence: Int64) async throws {
        try checkOpen()
        try await execute("delete published outbox messages", "DELETE FROM outbox WHERE seq <= \(sequence)")
    }

    public func close() async throws {
        let wasClosed = closed.withLock { c in
            defer { c = true }
            return c
        }
        guard !wasClosed else { return }
        runTask.cancel()
        await runTask.value
    }

    // MARK: Helpers

    /// Runs `sql` as is. For tests and maintenance only.
    func execute(unsafeSQL sql: String) async throws {
        try checkOpen()
        try await execute("run maintenance SQL", PostgresQuery(unsafeSQL: sql))
    }

    /// Drops this store's schema (from the URL's `schema=`) with everything in it. For tests.
    func dropSchema() async throws {
        guard let schema = location.schema else {
            throw StoreError(code: .invalidArgument, message: "\(name) names no schema to drop")
        }
        try await execute(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE")
    }

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) {
            throw StoreError(code: .closed, message: "\(name) was closed")
        }
    }

    private func execute(_ what: String, _ query: PostgresQuery) async throws {
        do {
            try await client.query(query, logger: logger).drain()
        } catch {
            throw mapError(error, what)
        }
    }

    private func collect<T: PostgresDecodable & Sendable>(_ what: String, _ query: PostgresQuery, _: T.Type) async throws -> [T] {
        do {
            var result: [T] = []
            for try await value in try await client.query(query, logger: logger).decode(T.self) {
                result.append(value)
            }
            return result
        } catch {
            throw mapError(error, what)
        }
    }

    private func mapError(_ error: any Error, _ what: String) -> StoreError {
        if let e = unwrapStoreError(error) { return e }
        let code: StoreError.Code
        if let e = psqlError(error), e.serverInfo == nil {
            code = .connectionFailed
        } else if error is PostgresDecodingError {
            code = .corruptData
        } else {
            code = .queryFailed
        }
        return StoreError(code: code, message: "\(name): could not \(what): \(describePostgres(error))")
    }

    private func duplicateError(_ batch: StoreBatch) async -> StoreError {
        if let id = batch.firstRepeatedEventId() {
            return .duplicateEvent(id, store: name, reason: "it appears twice in the batch")
        }
        if let known = try? await processed(among: batch.processedEventIds),
            let id = batch.processedEventIds.first(where: known.contains)
        {
            return .duplicateEvent(id, store: name, reason: "it was already processed")
        }
        return StoreError(
            code: .duplicateProcessedEvent,
            message: "commit to \(name) rejected, nothing applied: an event id in the batch was already processed"
        )
    }
}

// MARK: Prepared statements

private struct LoadPersons: PostgresPreparedStatement {
    static let sql = "SELECT key, state, next_deadline_ms FROM persons WHERE key = ANY($1::text[])"
    typealias Row = (String, ByteBuffer, Int64?)
    var keys: [String]
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(keys)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

private struct LookUpAlerts: PostgresPreparedStatement {
    static let sql = "SELECT alert_id, person_key, routing_key, status, payload FROM alerts WHERE alert_id = ANY($1::text[])"
    typealias Row = (String, String, String, String, ByteBuffer)
    var ids: [String]
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(ids)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

private struct LookUpProcessed: PostgresPreparedStatement {
    static let sql = "SELECT event_id FROM processed_events WHERE event_id = ANY($1::text[])"
    typealias Row = String
    var ids: [String]
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(ids)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
}

private struct UpsertPersons: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO persons (key, state, next_deadline_ms)
        SELECT k, s, CASE WHEN h THEN d END FROM unnest($1::text[], $2::bytea[], $3::int8[], $4::bool[]) AS u(k, s, d, h)
        ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, next_deadline_ms = EXCLUDED.next_deadline_ms
        """
    typealias Row = ()
    var keys: [String] = []
    var states: [ByteBuffer] = []
    var deadlines: [Int64] = []
    var hasDeadline: [Bool] = []
    init(_ persons: [PersonRecord]) {
        keys.reserveCapacity(persons.count)
        states.reserveCapacity(persons.count)
        deadlines.reserveCapacity(persons.count)
        hasDeadline.reserveCapacity(persons.count)
        for p in persons {
            keys.append(p.key)
            states.append(ByteBuffer(bytes: p.state))
            deadlines.append(p.nextDeadlineMs ?? 0)
            hasDeadline.append(p.nextDeadlineMs != nil)
        }
    }
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 4)
        b.append(keys)
        b.append(states)
        b.append(deadlines)
        b.append(hasDeadline)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

private struct UpsertAlerts: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO alerts (alert_id, person_key, routing_key, status, payload)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
        ON CONFLICT (alert_id) DO UPDATE SET person_key = EXCLUDED.person_key, routing_key = EXCLUDED.routing_key,
            status = EXCLUDED.status, payload = EXCLUDED.payload
        """
    typealias Row = ()
    var ids: [String] = []
    var persons: [String] = []
    var routing: [String] = []
    var status: [String] = []
    var payloads: [ByteBuffer] = []
    init(_ alerts: [AlertRecord]) {
        for a in alerts {
            ids.append(a.alertId)
            persons.append(a.personKey)
            routing.append(a.routingKey)
            status.append(a.status)
            payloads.append(ByteBuffer(bytes: a.payload))
        }
    }
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 5)
        b.append(ids)
        b.append(persons)
        b.append(routing)
        b.append(status)
        b.append(payloads)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

private struct InsertProcessed: PostgresPreparedStatement {
    static let sql = "INSERT INTO processed_events (event_id) SELECT unnest($1::text[])"
    typealias Row = ()
    var ids: [String]
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(ids)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

private struct LockOutbox: PostgresPreparedStatement {
    static let sql = "SELECT pg_advisory_xact_lock($1)"
    typealias Row = ()
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(PostgresStateStore.outboxLockKey)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

private struct AppendOutbox: PostgresPreparedStatement {
    static let sql = """
        INSERT INTO outbox (topic, key, payload)
        SELECT t, k, p FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS u(t, k, p, n) ORDER BY n
        """
    typealias Row = ()
    var topics: [String] = []
    var keys: [String] = []
    var payloads: [ByteBuffer] = []
    init(_ entries: [OutboxEntry]) {
        for e in entries {
            topics.append(e.topic)
            keys.append(e.key)
            payloads.append(ByteBuffer(bytes: e.payload))
        }
    }
    func makeBindings() -> PostgresBindings {
        var b = PostgresBindings(capacity: 3)
        b.append(topics)
        b.append(keys)
        b.append(payloads)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

// MARK: Errors

private func psqlError(_ error: any Error) -> PSQLError? {
    if let e = error as? PSQLError { return e }
    if let t = error as? PostgresTransactionError {
        for inner in [t.closureError, t.beginError, t.commitError] {
            if let inner, let e = psqlError(inner) { return e }
        }
    }
    return nil
}

private func unwrapStoreError(_ error: any Error) -> StoreError? {
    if let e = error as? StoreError { return e }
    if let t = error as? PostgresTransactionError, let inner = t.closureError { return unwrapStoreError(inner) }
    return nil
}

/// The server's SQLSTATE, message, table and constraint, or the client-side error code; never the query's bound
/// values (PSQLError's debug description would include them) nor the server's `detail` (which can quote key values).
func describePostgres(_ error: any Error) -> String {
    if let t = error as? PostgresTransactionError {
        var parts: [String] = []
        if let e = t.beginError { parts.append("BEGIN failed: \(describePostgres(e))") }
        if let e = t.closureError { parts.append(describePostgres(e)) }
        if let e = t.commitError { parts.append("COMMIT failed: \(describePostgres(e))") }
        if let e = t.rollbackError { parts.append("ROLLBACK failed too: \(describePostgres(e))") }
        return parts.joined(separator: "; ")
    }
    if let e = error as? PSQLError {
        if let info = e.serverInfo {
            var s = "SQLSTATE \(info[.sqlState] ?? "?"): \(info[.message] ?? "")"
            if let table = info[.tableName] { s += " (table \(table))" }
            if let constraint = info[.constraintName] { s += " (constraint \(constraint))" }
            if let hint = info[.hint] { s += "; hint: \(hint)" }
            return s
        }
        var s = "\(e.code)"
        if let underlying = e.underlying { s += " (\(underlying))" }
        return s
    }
    if let e = error as? PostgresDecodingError {
        return "cannot decode column \(e.columnName) (\(e.code))"
    }
    if let e = error as? StoreError { return e.message }
    if error is CancellationError { return "cancelled" }
    return String(describing: type(of: error))
}

extension PostgresRowSequence {
    /// Reads and discards every row (so the statement completes and the connection is released).
    fileprivate func drain() async throws {
        for try await _ in self {}
    }
}
