import struct Foundation.Data
import GRDB
import Logging
import Synchronization

/// A ``StateStore`` in a SQLite file (or a private in-memory database), through GRDB.
///
/// A file opens as a `DatabasePool` in WAL mode (readers never block the writer) with `PRAGMA synchronous = NORMAL`
/// by default: a commit survives a crash or kill of the process, which is what at-least-once consumption needs;
/// after power loss or an OS crash the last few commits may roll back (their Kafka offsets were committed, so
/// those events would not be replayed). Use `?synchronous=full` in the URL to fsync every commit instead.
///
/// Person states are read on reader connections, so the crosscheck worker can load the next batch's persons
/// while the writer commits the previous batch. Processed event ids and the outbox are read on the writer
/// connection: a reader connection's page cache is dropped whenever the writer commits, while the writer's cache
/// (`writerCacheKiB`) stays warm. WAL checkpoints run on a connection and thread of their own
/// (``SQLiteWALCheckpointer``).
public final class SQLiteStateStore: StateStore {
    private let writer: any DatabaseWriter
    private let name: String
    private let logger: Logger
    private let closed = Mutex(false)
    /// Checkpoints the WAL off the writer's thread (file stores only).
    let checkpointer: SQLiteWALCheckpointer?

    /// Page cache of the writer connection, KiB: the B-tree pages its upserts descend through and update.
    static let writerCacheKiB = 65_536
    /// WAL pages (4 KiB) after which a background checkpoint copies them into the database file.
    static let walCheckpointPages: Int32 = 8_192
    /// WAL pages after which the committing connection checkpoints itself (the background is behind).
    static let walForegroundCheckpointPages: Int32 = 65_536

    /// Opens (creating if needed) the database at `url`, which must be `.sqlite` or `.sqliteInMemory`.
    public convenience init(url: StoreURL, logger: Logger) throws(StoreError) {
        try self.init(url: url, logger: logger, walCheckpointPages: SQLiteStateStore.walCheckpointPages)
    }

    /// As `init(url:logger:)`, with the WAL size (pages) at which a background checkpoint starts.
    init(url: StoreURL, logger: Logger, walCheckpointPages: Int32) throws(StoreError) {
        self.name = url.description
        self.logger = logger
        var config = Configuration()
        config.label = "xiecha-store"
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = false
        switch url {
        case .sqliteInMemory:
            checkpointer = nil
            do {
                writer = try DatabaseQueue(configuration: config)
            } catch {
                throw StoreError(code: .connectionFailed, message: "cannot open \(name): \(describe(error))")
            }
        case .sqlite(let path, let synchronous):
            let pragma = "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")"
            let checkpointer = SQLiteWALCheckpointer(
                path: path, storeName: name, backgroundFrames: walCheckpointPages,
                foregroundFrames: SQLiteStateStore.walForegroundCheckpointPages, logger: logger
            )
            self.checkpointer = checkpointer
            config.prepareDatabase { db in
                try db.execute(sql: pragma)
                if !db.configuration.readonly {
                    try db.execute(sql: "PRAGMA cache_size = -\(SQLiteStateStore.writerCacheKiB)")
                    // Replaces wal_autocheckpoint: the same checkpoints, run off the writer's thread.
                    checkpointer.install(on: db)
                }
            }
            do {
                writer = try DatabasePool(path: path, configuration: config)
            } catch {
                throw StoreError(code: .connectionFailed, message: "cannot open \(name): \(describe(error))")
            }
        case .memory, .postgres:
            checkpointer = nil
            throw StoreError(code: .invalidURL, message: "\(name) is not a SQLite store URL")
        }
    }

    // MARK: Migrations

    public func migrate() async throws {
        try checkOpen()
        let name = self.name
        try await run("create the schema_migrations table") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version INTEGER NOT NULL PRIMARY KEY,
                        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                    )
                    """
            )
        }
        var newlyApplied: [Int] = []
        for migration in Migration.all {
            let didApply: Bool
            do {
                didApply = try await writer.writeWithoutTransaction { db -> Bool in
                    var did = false
                    // IMMEDIATE: take the write lock before reading the version, so two processes cannot both apply.
                    try db.inTransaction(.immediate) {
                        let current = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM schema_migrations") ?? 0
                        if current > Migration.latestVersion {
                            throw StoreError.schemaTooNew(found: current, store: name)
                        }
                        if current >= migration.version { return .commit }
                        for sql in migration.sqlite { try db.execute(sql: sql) }
                        try db.execute(
                            sql: "INSERT INTO schema_migrations (version) VALUES (?)",
                            arguments: [migration.version]
                        )
                        did = true
                        return .commit
                    }
                    return did
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.migration(migration, store: name, describe(error))
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
        return try await run("read migrations") { db in
            try Int.fetchAll(db, sql: "SELECT version FROM schema_migrations ORDER BY version")
        }
    }

    // MARK: Reads

    public func persons(_ keys: [String]) async throws -> [String: PersonRecord] {
        try checkOpen()
        guard !keys.isEmpty else { return [:] }
        let json = jsonArray(keys)
        return try await read("load persons") { db in
            let stmt = try db.cachedStatement(
                sql: "SELECT p.key, p.state, p.next_deadline_ms FROM json_each(?) AS j JOIN persons AS p ON p.key = j.value"
            )
            var result = [String: PersonRecord](minimumCapacity: keys.count)
            let rows = try Row.fetchCursor(stmt, arguments: [json])
            while let row = try rows.next() {
                let key: String = row[0]
                let state: Data = row[1] ?? Data()
                result[key] = PersonRecord(key: key, state: [UInt8](state), nextDeadlineMs: row[2])
            }
            return result
        }
    }

    public func processed(among eventIds: [String]) async throws -> Set<String> {
        try checkOpen()
        guard !eventIds.isEmpty else { return [] }
        let json = jsonArray(eventIds)
        return try await readOnWriter("look up processed events") { db in
            let stmt = try db.cachedStatement(
                sql: "SELECT e.event_id FROM json_each(?) AS j JOIN processed_events AS e ON e.event_id = j.value"
            )
            return try Set(String.fetchAll(stmt, arguments: [json]))
        }
    }

    public func dueKeys(notAfterMs: Int64, limit: Int) async throws -> [String] {
        try checkOpen()
        guard limit > 0 else { return [] }
        return try await read("list due persons") { db in
            let stmt = try db.cachedStatement(
                sql: """
                    SELECT key FROM persons WHERE next_deadline_ms IS NOT NULL AND next_deadline_ms <= ?
                    ORDER BY next_deadline_ms, key LIMIT ?
                    """
            )
            return try String.fetchAll(stmt, arguments: [notAfterMs, limit])
        }
    }

    public func nextDeadlineMs() async throws -> Int64? {
        try checkOpen()
        return try await read("read next deadline") { db in
            try Int64.fetchOne(
                db,
                sql: "SELECT MIN(next_deadline_ms) FROM persons WHERE next_deadline_ms IS NOT NULL"
            )
        }
    }

    public func pendingOutbox(limit: Int) async throws -> [OutboxMessage] {
        try checkOpen()
        guard limit > 0 else { return [] }
        return try await readOnWriter("read outbox") { db in
            let stmt = try db.cachedStatement(sql: "SELECT seq, topic, key, payload FROM outbox ORDER BY seq LIMIT ?")
            return try Row.fetchAll(stmt, arguments: [limit]).map { row in
                let payload: Data = row[3] ?? Data()
                return OutboxMessage(sequence: row[0], topic: row[1], key: row[2], payload: [UInt8](payload))
            }
        }
    }

    public func alerts() async throws -> [AlertRecord] {
        try checkOpen()
        return try await read("read alerts") { db in
            try Row.fetchAll(
                db,
                sql: "SELECT alert_id, person_key, routing_key, status, payload FROM alerts ORDER BY alert_id"
            ).map { row in
                let payload: Data = row[4] ?? Data()
                return AlertRecord(
                    alertId: row[0],
                    personKey: row[1],
                    routingKey: row[2],
                    status: row[3],
                    payload: [UInt8](payload)
                )
            }
        }
    }

    public func alerts(ids: [String]) async throws -> [String: AlertRecord] {
        try checkOpen()
        guard !ids.isEmpty else { return [:] }
        let json = jsonArray(ids)
        return try await read("look up alerts") { db in
            let stmt = try db.cachedStatement(
                sql: "SELECT a.alert_id, a.person_key, a.routing_key, a.status, a.payload FROM json_each(?) AS j JOIN alerts AS a ON a.alert_id = j.value"
            )
            var result: [String: AlertRecord] = [:]
            let rows = try Row.fetchCursor(stmt, arguments: [json])
            while let row = try rows.next() {
                let payload: Data = row[4] ?? Data()
                let record = AlertRecord(alertId: row[0], personKey: row[1], routingKey: row[2], status: row[3], payload: [UInt8](payload))
                result[record.alertId] = record
            }
            return result
        }
    }

    public func alertCount() async throws -> Int {
        try checkOpen()
        return try await read("count alerts") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alerts") ?? 0
        }
    }

    // MARK: Writes

    public func commit(_ batch: StoreBatch) async throws {
        try checkOpen()
        guard !batch.isEmpty else { return }
        let (persons, alerts) = batch.collapsed()
        do {
            try await writer.write { db in
                if !persons.isEmpty {
                    let upsert = try db.cachedStatement(
                        sql: """
                            INSERT INTO persons (key, state, next_deadline_ms) VALUES (?, ?, ?)
                            ON CONFLICT (key) DO UPDATE SET state = excluded.state,
                                next_deadline_ms = excluded.next_deadline_ms
                            """
                    )
                    // An upsert that sets an indexed column rewrites its index entry even when the value is
                    // the same; most updates keep the deadline, so try the narrower update first.
                    let update = try db.cachedStatement(
                        sql: "UPDATE persons SET state = ?2 WHERE key = ?1 AND next_deadline_ms IS ?3"
                    )
                    for p in persons {
                        let state = Data(p.state)
                        try update.execute(arguments: [p.key, state, p.nextDeadlineMs])
                        if db.changesCount == 0 {
                            try upsert.execute(arguments: [p.key, state, p.nextDeadlineMs])
                        }
                    }
                }
                if !alerts.isEmpty {
                    let upsert = try db.cachedStatement(
                        sql: """
                            INSERT INTO alerts (alert_id, person_key, routing_key, status, payload)
                            VALUES (?, ?, ?, ?, ?)
                            ON CONFLICT (alert_id) DO UPDATE SET person_key = excluded.person_key,
                                routing_key = excluded.routing_key, status = excluded.status,
                                payload = excluded.payload
                            """
                    )
                    // As above: an alert changes status and message far more often than its routing.
                    let update = try db.cachedStatement(
                        sql: """
                            UPDATE alerts SET status = ?4, payload = ?5
                            WHERE alert_id = ?1 AND person_key = ?2 AND routing_key = ?3
                            """
                    )
                    for a in alerts {
                        let arguments: StatementArguments = [a.alertId, a.personKey, a.routingKey, a.status, Data(a.payload)]
                        try update.execute(arguments: arguments)
                        if db.changesCount == 0 { try upsert.execute(arguments: arguments) }
                    }
                }
                if !batch.outbox.isEmpty {
                    let append = try db.cachedStatement(sql: "INSERT INTO outbox (topic, key, payload) VALUES (?, ?, ?)")
                    for e in batch.outbox {
                        try append.execute(arguments: [e.topic, e.key, Data(e.payload)])
                    }
                }
                if !batch.processedEventIds.isEmpty {
                    let insert = try db.cachedStatement(sql: "INSERT INTO processed_events (event_id) VALUES (?)")
                    for id in batch.processedEventIds {
                        try insert.execute(arguments: [id])
                    }
                }
            }
        } catch let error as DatabaseError
            where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
            && (error.message ?? "").contains("processed_events")
        {
            throw await duplicateError(batch)
        } catch {
            throw mapError(error, "commit a batch (rolled back, nothing applied)")
        }
    }

    public func deleteOutbox(through sequence: Int64) async throws {
        try checkOpen()
        try await run("delete published outbox messages") { db in
            try db.cachedStatement(sql: "DELETE FROM outbox WHERE seq <= ?").execute(arguments: [sequence])
        }
    }

    public func close() async throws {
        let wasClosed = closed.withLock { c in
            defer { c = true }
            return c
        }
        guard !wasClosed else { return }
        do {
            if let pool = writer as? DatabasePool {
                try pool.close()
                try checkpointer?.close()
            } else if let queue = writer as? DatabaseQueue {
                try queue.close()
            }
        } catch {
            throw mapError(error, "close")
        }
    }

    // MARK: Helpers

    /// Runs `sql` as is in a write transaction. For tests and maintenance only.
    func execute(unsafeSQL sql: String) async throws {
        try checkOpen()
        try await run("run maintenance SQL") { db in try db.execute(sql: sql) }
    }

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) {
            throw StoreError(code: .closed, message: "\(name) was closed")
        }
    }

    private func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await mappingErrors(what) { try await writer.read(body) }
    }

    /// A read on the writer connection, whose page cache is warm (see the type's documentation).
    private func readOnWriter<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await mappingErrors(what) { try await writer.writeWithoutTransaction(body) }
    }

    private func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await mappingErrors(what) { try await writer.write(body) }
    }

    /// Runs `operation`; any error comes out as a `StoreError` saying what could not be done.
    private func mappingErrors<T: Sendable>(_ what: String, _ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch {
            throw mapError(error, what)
        }
    }

    private func mapError(_ error: any Error, _ what: String) -> StoreError {
        if let e = error as? StoreError { return e }
        return StoreError(code: .queryFailed, message: "\(name): could not \(what): \(describe(error))")
    }

    /// Names the offending event id for the operator: one repeated in the batch, or one already recorded.
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

/// A description of a database error without SQL arguments (which could hold payload bytes).
private func describe(_ error: any Error) -> String {
    if let e = error as? DatabaseError {
        var s = "SQLite error \(e.extendedResultCode.rawValue)"
        if let m = e.message { s += ": \(m)" }
        return s
    }
    if let e = error as? StoreError { return e.message }
    if error is CancellationError { return "cancelled" }
    return String(describing: type(of: error))
}

/// `strings` as a JSON array literal, for `json_each(?)`.
func jsonArray(_ strings: [String]) -> String {
    var out = [UInt8]()
    out.reserveCapacity(strings.reduce(2) { $0 + $1.utf8.count + 3 })
    out.append(UInt8(ascii: "["))
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    for (i, s) in strings.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
    out.append(UInt8(ascii: "]"))
    return String(decoding: out, as: UTF8.self)
}
