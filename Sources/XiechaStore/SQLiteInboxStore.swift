import struct Foundation.Data
import class Foundation.FileManager
import struct Foundation.URL
import GRDB
import Logging
import Synchronization

/// An ``InboxStore`` in a SQLite file of its own (SQLite has one writer per file: the notify worker owns this one, the
/// crosscheck worker its state file), through GRDB.
///
/// WAL mode with `PRAGMA synchronous = NORMAL` (`?synchronous=full` in the URL for an fsync per commit): a commit
/// survives the process being killed, which is what at-least-once consumption needs. The office app and
/// `xiecha webhooks` read it on reader connections while the worker writes. A batch is one write transaction: the
/// history lookups, the plan (``InboxPlan``) and every write, so nothing is half-applied.
public final class SQLiteInboxStore: InboxStore {
    private let writer: any DatabaseWriter
    private let name: String
    private let logger: Logger
    private let closed = Mutex(false)
    /// Checkpoints the WAL off the writer's thread (file stores only), as the state store does.
    private let checkpointer: SQLiteWALCheckpointer?

    /// Page cache of the writer connection, KiB.
    static let writerCacheKiB = 32_768

    /// Opens (creating it and its directory if needed) the database at `url`: `.sqlite`, or `.sqliteInMemory` /
    /// `.memory` for a private in-memory database.
    public init(url: StoreURL, logger: Logger) throws(StoreError) {
        self.name = url.description
        self.logger = logger
        var config = Configuration()
        config.label = "xiecha-inbox"
        config.busyMode = .timeout(30)
        switch url {
        case .sqliteInMemory, .memory:
            checkpointer = nil
            do { writer = try DatabaseQueue(configuration: config) } catch {
                throw StoreError(code: .connectionFailed, message: "cannot open \(name): \(describeSQLite(error))")
            }
        case .sqlite(let path, let synchronous):
            let pragma = "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")"
            let checkpointer = SQLiteWALCheckpointer(
                path: path, storeName: name, backgroundFrames: SQLiteStateStore.walCheckpointPages,
                foregroundFrames: SQLiteStateStore.walForegroundCheckpointPages, logger: logger)
            self.checkpointer = checkpointer
            config.prepareDatabase { db in
                try db.execute(sql: pragma)
                if !db.configuration.readonly {
                    try db.execute(sql: "PRAGMA cache_size = -\(SQLiteInboxStore.writerCacheKiB)")
                    // The inbox's commits carry whole messages: checkpoints run off the writer's thread.
                    checkpointer.install(on: db)
                }
            }
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            do { writer = try DatabasePool(path: path, configuration: config) } catch {
                throw StoreError(code: .connectionFailed, message: "cannot open \(name): \(describeSQLite(error))")
            }
        case .postgres:
            checkpointer = nil
            throw StoreError(code: .invalidURL, message: "\(name) is not a SQLite store URL")
        }
    }

    // MARK: Migrations

    public func migrate() async throws {
        try checkOpen()
        let name = self.name
        try await write("create the inbox_schema_migrations table") { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS inbox_schema_migrations (
                        version INTEGER NOT NULL PRIMARY KEY,
                        applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                    )
                    """)
        }
        var newlyApplied: [Int] = []
        for migration in InboxMigrations.all {
            let didApply: Bool
            do {
                didApply = try await writer.writeWithoutTransaction { db -> Bool in
                    var did = false
                    // IMMEDIATE: the write lock before reading the version, so two processes cannot both apply.
                    try db.inTransaction(.immediate) {
                        let current = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM inbox_schema_migrations") ?? 0
                        if current > InboxMigrations.latestVersion { throw StoreError.inboxSchemaTooNew(found: current, store: name) }
                        if current >= migration.version { return .commit }
                        for sql in migration.sqlite { try db.execute(sql: sql) }
                        try db.execute(sql: "INSERT INTO inbox_schema_migrations (version) VALUES (?)", arguments: [migration.version])
                        did = true
                        return .commit
                    }
                    return did
                }
            } catch let error as StoreError {
                throw error
            } catch {
                throw StoreError.inboxMigration(migration, store: name, describeSQLite(error))
            }
            if didApply { newlyApplied.append(migration.version) }
        }
        if !newlyApplied.isEmpty {
            logger.info("inbox migrated", metadata: ["xiecha.store": "\(name)", "xiecha.store.migrations": "\(newlyApplied)"])
        }
    }

    /// The inbox schema versions recorded as applied.
    public func appliedMigrations() async throws -> [Int] {
        try checkOpen()
        return try await read("read inbox migrations") { db in
            try Int.fetchAll(db, sql: "SELECT version FROM inbox_schema_migrations ORDER BY version")
        }
    }

    // MARK: Applying messages

    public func apply(_ messages: [InboxMessage], endpoints: [String: [String]], firstAttemptAtMs: Int64, nowMs: Int64) async throws
        -> InboxApplyResult
    {
        try checkOpen()
        guard !messages.isEmpty else { return InboxApplyResult() }
        return try await write("apply \(messages.count) alert messages (rolled back, nothing applied)") { db in
            let knownStatement = try db.cachedStatement(
                sql: "SELECT seq, audience, community_code, street_code FROM inbox_alerts WHERE alert_id = ?")
            let twinStatement = try db.cachedStatement(sql: "SELECT payload FROM inbox_history WHERE alert_id = ? AND digest = ?")
            var known: [String: InboxPlan.Known] = [:]
            var existing: [String: [(digest: Int64, payload: [UInt8])]] = [:]
            var looked = Set<String>()
            for m in messages {
                if looked.insert(m.alertId).inserted, let row = try Row.fetchOne(knownStatement, arguments: [m.alertId]) {
                    known[m.alertId] = InboxPlan.Known(
                        lastSequence: row[0], routing: InboxRouting(audience: row[1], communityCode: row[2], streetCode: row[3]))
                }
                // Only an alert the inbox has can have this message in its history already.
                guard known[m.alertId] != nil else { continue }
                let digest = inboxDigest(m.payload)
                for payload in try Data.fetchAll(twinStatement, arguments: [m.alertId, digest]) {
                    existing[m.alertId, default: []].append((digest, [UInt8](payload)))
                }
            }
            let plan = InboxPlan.make(messages, known: known, existing: existing, endpoints: endpoints)

            let history = try db.cachedStatement(
                sql: "INSERT INTO inbox_history (alert_id, seq, digest, status, received_at_ms, payload) VALUES (?, ?, ?, ?, ?, ?)")
            for c in plan.changes {
                try history.execute(arguments: [c.message.alertId, c.sequence, c.digest, c.message.status, nowMs, Data(c.message.payload)])
            }
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO inbox_alerts (alert_id, seq, type, status, audience, community_code, street_code, raised_at_ms,
                        due_by_ms, closed_at_ms, updated_at_ms)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (alert_id) DO UPDATE SET seq = excluded.seq, type = excluded.type, status = excluded.status,
                        audience = excluded.audience, community_code = excluded.community_code, street_code = excluded.street_code,
                        raised_at_ms = excluded.raised_at_ms, due_by_ms = excluded.due_by_ms, closed_at_ms = excluded.closed_at_ms,
                        updated_at_ms = excluded.updated_at_ms
                    """)
            for c in plan.currents {
                let m = c.message
                try upsert.execute(arguments: [
                    m.alertId, c.sequence, m.type, m.status, m.routing.audience, m.routing.communityCode, m.routing.streetCode,
                    m.raisedAtMs, m.dueByMs, m.closedAtMs, nowMs,
                ])
            }
            if !plan.deliveries.isEmpty {
                let enqueue = try db.cachedStatement(
                    sql: """
                        INSERT INTO webhook_deliveries (alert_id, seq, office_code, url, state, attempts, next_attempt_ms, created_at_ms)
                        VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)
                        """)
                for d in plan.deliveries {
                    try enqueue.execute(arguments: [d.alertId, d.sequence, d.office, d.url, firstAttemptAtMs, nowMs])
                }
            }
            return InboxApplyResult(duplicates: plan.duplicates, deliveriesQueued: plan.deliveries.count, changes: plan.summary)
        }
    }

    // MARK: Office queries

    public func alerts(_ query: InboxQuery) async throws -> InboxPage {
        try checkOpen()
        let limit = try checkedLimit(query.limit, name: name)
        var sql = "\(alertSelect) WHERE "
        var arguments: StatementArguments = []
        switch query.office {
        case .community(let code):
            sql += "a.community_code = ? AND a.audience = 'community'"
            arguments += [code]
        case .street(let code):
            sql += "a.street_code = ?"
            arguments += [code]
        }
        if let s = query.status {
            sql += " AND a.status = ?"
            arguments += [s]
        }
        if let t = query.type {
            sql += " AND a.type = ?"
            arguments += [t]
        }
        if let v = query.raisedFromMs {
            sql += " AND a.raised_at_ms >= ?"
            arguments += [v]
        }
        if let v = query.raisedBeforeMs {
            sql += " AND a.raised_at_ms < ?"
            arguments += [v]
        }
        if let v = query.dueBeforeMs {
            sql += " AND a.due_by_ms < ?"
            arguments += [v]
        }
        if let c = query.after {
            sql += " AND (a.raised_at_ms < ? OR (a.raised_at_ms = ? AND a.alert_id > ?))"
            arguments += [c.raisedAtMs, c.raisedAtMs, c.alertId]
        }
        sql += " ORDER BY a.raised_at_ms DESC, a.alert_id LIMIT ?"
        arguments += [limit + 1]
        let finalSQL = sql
        let finalArguments = arguments
        let rows = try await read("list an office's alerts") { db in
            try Row.fetchAll(db, sql: finalSQL, arguments: finalArguments).map(inboxAlert)
        }
        return InboxPage(page: rows, limit: limit)
    }

    public func alert(_ alertId: String) async throws -> InboxAlertDetail? {
        try checkOpen()
        return try await read("read an alert") { db in
            guard let row = try Row.fetchOne(db, sql: "\(alertSelect) WHERE a.alert_id = ?", arguments: [alertId])
            else { return nil }
            let history = try Row.fetchAll(
                db, sql: "SELECT \(historyColumns) FROM inbox_history WHERE alert_id = ? ORDER BY seq", arguments: [alertId]
            ).map(historyEntry)
            return InboxAlertDetail(current: inboxAlert(row), history: history)
        }
    }

    public func allAlerts() async throws -> [InboxAlert] {
        try checkOpen()
        return try await read("read the inbox") { db in
            try Row.fetchAll(db, sql: "\(alertSelect) ORDER BY a.alert_id").map(inboxAlert)
        }
    }

    public func allHistory() async throws -> [InboxHistoryEntry] {
        try checkOpen()
        return try await read("read the inbox history") { db in
            try Row.fetchAll(db, sql: "SELECT \(historyColumns) FROM inbox_history ORDER BY alert_id, seq").map(historyEntry)
        }
    }

    // MARK: Webhook deliveries

    public func registerEndpoints(_ targets: [WebhookTarget]) async throws {
        try checkOpen()
        guard !targets.isEmpty else { return }
        try await write("register webhook endpoints") { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO webhook_endpoints (office_code, url) VALUES (?, ?) ON CONFLICT DO NOTHING")
            for t in targets { try insert.execute(arguments: [t.office, t.url]) }
        }
    }

    public func endpoints() async throws -> [WebhookEndpointState] {
        try checkOpen()
        return try await read("read webhook endpoints") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.office_code, e.url, e.disabled_at_ms, e.disabled_reason,
                        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.office_code = e.office_code AND d.url = e.url AND d.state = 'pending'),
                        (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.office_code = e.office_code AND d.url = e.url AND d.state = 'failed')
                    FROM webhook_endpoints e ORDER BY e.office_code, e.url
                    """
            ).map { row in
                WebhookEndpointState(
                    target: WebhookTarget(office: row[0], url: row[1]), disabledAtMs: row[2], disabledReason: row[3], pending: row[4],
                    failed: row[5])
            }
        }
    }

    public func claimDueDeliveries(nowMs: Int64, limit: Int, leaseUntilMs: Int64) async throws -> [WebhookDelivery] {
        try checkOpen()
        guard limit > 0 else { return [] }
        return try await write("claim due webhook deliveries") { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT d.id, d.alert_id, d.seq, d.office_code, d.url, d.attempts, h.payload
                        FROM webhook_deliveries d JOIN inbox_history h ON h.alert_id = d.alert_id AND h.seq = d.seq
                        WHERE d.state = 'pending' AND d.next_attempt_ms <= ?
                            AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.office_code = d.office_code AND e.url = d.url
                                AND e.disabled_at_ms IS NOT NULL)
                        ORDER BY d.next_attempt_ms, d.id LIMIT ?
                        """),
                arguments: [nowMs, limit])
            let lease = try db.cachedStatement(sql: "UPDATE webhook_deliveries SET next_attempt_ms = ? WHERE id = ?")
            return try rows.map { row in
                let id: Int64 = row[0]
                try lease.execute(arguments: [leaseUntilMs, id])
                let payload: Data = row[6] ?? Data()
                return WebhookDelivery(
                    id: id, alertId: row[1], sequence: row[2], target: WebhookTarget(office: row[3], url: row[4]), attempts: row[5],
                    payload: [UInt8](payload))
            }
        }
    }

    public func nextDeliveryDueMs() async throws -> Int64? {
        try checkOpen()
        return try await read("read the next webhook delivery due") { db in
            // In index order, stopping at the first one of an enabled endpoint (MIN would check every pending row).
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT d.next_attempt_ms FROM webhook_deliveries d WHERE d.state = 'pending'
                        AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.office_code = d.office_code AND e.url = d.url
                            AND e.disabled_at_ms IS NOT NULL)
                    ORDER BY d.next_attempt_ms LIMIT 1
                    """)
        }
    }

    public func recordAttempt(_ id: Int64, _ result: WebhookAttemptResult, attempted: Bool, atMs: Int64) async throws {
        try checkOpen()
        let add = attempted ? 1 : 0
        try await write("record a webhook attempt") { db in
            switch result {
            case .delivered:
                try db.execute(sql: "DELETE FROM webhook_deliveries WHERE id = ?", arguments: [id])
            case .retry(let next, let status, let error):
                try db.execute(
                    sql: """
                        UPDATE webhook_deliveries SET attempts = attempts + ?, next_attempt_ms = ?, last_attempt_ms = ?, last_status = ?,
                            last_error = ? WHERE id = ?
                        """,
                    arguments: [add, next, atMs, status, error, id])
            case .failed(let status, let error):
                try db.execute(
                    sql: """
                        UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + ?, last_attempt_ms = ?, last_status = ?,
                            last_error = ?, failed_at_ms = ? WHERE id = ?
                        """,
                    arguments: [add, atMs, status, error, atMs, id])
            case .gone(let status):
                try db.execute(
                    sql: """
                        UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + ?, last_attempt_ms = ?, last_status = ?,
                            last_error = 'endpoint gone: disabled', failed_at_ms = ? WHERE id = ?
                        """,
                    arguments: [add, atMs, status, atMs, id])
                try db.execute(
                    sql: """
                        UPDATE webhook_endpoints SET disabled_at_ms = ?, disabled_reason = ?
                        WHERE disabled_at_ms IS NULL AND (office_code, url) IN (SELECT office_code, url FROM webhook_deliveries WHERE id = ?)
                        """,
                    arguments: [atMs, "HTTP \(status)", id])
            }
        }
    }

    public func failedDeliveries(office: String?, alertId: String?, limit: Int) async throws -> [FailedWebhookDelivery] {
        try checkOpen()
        guard limit > 0 else { return [] }
        return try await read("list failed webhook deliveries") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, alert_id, seq, office_code, url, attempts, last_status, last_error, last_attempt_ms, failed_at_ms
                    FROM webhook_deliveries WHERE state = 'failed' AND (?1 IS NULL OR office_code = ?1) AND (?2 IS NULL OR alert_id = ?2)
                    ORDER BY failed_at_ms, id LIMIT ?3
                    """,
                arguments: [office, alertId, limit]
            ).map(failedDelivery)
        }
    }

    public func replayFailed(office: String?, alertId: String?, nowMs: Int64) async throws -> Int {
        try checkOpen()
        return try await write("replay failed webhook deliveries") { db in
            try db.execute(
                sql: """
                    UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_ms = ?3, failed_at_ms = NULL
                    WHERE state = 'failed' AND (?1 IS NULL OR office_code = ?1) AND (?2 IS NULL OR alert_id = ?2)
                    """,
                arguments: [office, alertId, nowMs])
            return db.changesCount
        }
    }

    public func enableEndpoints(office: String?) async throws -> Int {
        try checkOpen()
        return try await write("enable webhook endpoints") { db in
            try db.execute(
                sql: """
                    UPDATE webhook_endpoints SET disabled_at_ms = NULL, disabled_reason = NULL
                    WHERE disabled_at_ms IS NOT NULL AND (?1 IS NULL OR office_code = ?1)
                    """,
                arguments: [office])
            return db.changesCount
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
        try await write("run maintenance SQL") { db in try db.execute(sql: sql) }
    }

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) { throw StoreError(code: .closed, message: "\(name) was closed") }
    }

    private func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await writer.read(body) } catch { throw mapError(error, what) }
    }

    private func write<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await writer.write(body) } catch { throw mapError(error, what) }
    }

    private func mapError(_ error: any Error, _ what: String) -> StoreError {
        if let e = error as? StoreError { return e }
        return StoreError(code: .queryFailed, message: "\(name): could not \(what): \(describeSQLite(error))")
    }
}

/// An alert's columns, and its current message's payload from the history.
private let alertSelect = """
    SELECT a.alert_id, a.seq, a.type, a.status, a.audience, a.community_code, a.street_code, a.raised_at_ms, a.due_by_ms,
        a.closed_at_ms, a.updated_at_ms, h.payload
    FROM inbox_alerts a JOIN inbox_history h ON h.alert_id = a.alert_id AND h.seq = a.seq
    """
private let historyColumns = "alert_id, seq, status, received_at_ms, payload"

private func inboxAlert(_ row: Row) -> InboxAlert {
    let payload: Data = row[11] ?? Data()
    return InboxAlert(
        alertId: row[0], sequence: row[1], type: row[2], status: row[3],
        routing: InboxRouting(audience: row[4], communityCode: row[5], streetCode: row[6]), raisedAtMs: row[7], dueByMs: row[8],
        closedAtMs: row[9], updatedAtMs: row[10], payload: [UInt8](payload))
}

private func historyEntry(_ row: Row) -> InboxHistoryEntry {
    let payload: Data = row[4] ?? Data()
    return InboxHistoryEntry(alertId: row[0], sequence: row[1], status: row[2], receivedAtMs: row[3], payload: [UInt8](payload))
}

private func failedDelivery(_ row: Row) -> FailedWebhookDelivery {
    FailedWebhookDelivery(
        id: row[0], alertId: row[1], sequence: row[2], target: WebhookTarget(office: row[3], url: row[4]), attempts: row[5],
        lastStatus: row[6], lastError: row[7], lastAttemptAtMs: row[8], failedAtMs: row[9])
}

/// A description of a SQLite error without SQL arguments (which could hold payload bytes).
private func describeSQLite(_ error: any Error) -> String {
    if let e = error as? DatabaseError {
        var s = "SQLite error \(e.extendedResultCode.rawValue)"
        if let m = e.message { s += ": \(m)" }
        return s
    }
    if let e = error as? StoreError { return e.message }
    if error is CancellationError { return "cancelled" }
    return String(describing: type(of: error))
}

/// A page size in 1…1000, or an error saying so.
func checkedLimit(_ limit: Int, name: String) throws(StoreError) -> Int {
    guard (1...1000).contains(limit) else {
        throw StoreError(code: .invalidArgument, message: "\(name): a page holds 1…1000 alerts, not \(limit)")
    }
    return limit
}

extension InboxPage {
    /// A page from `limit + 1` rows: the extra row only says there is a next page.
    init(page rows: [InboxAlert], limit: Int) {
        if rows.count > limit {
            let shown = Array(rows.prefix(limit))
            self.init(alerts: shown, next: shown.last.map { InboxCursor(raisedAtMs: $0.raisedAtMs, alertId: $0.alertId) })
        } else {
            self.init(alerts: rows, next: nil)
        }
    }
}
