import Logging
import PostgresNIO
import Synchronization

/// An ``InboxStore`` in PostgreSQL: production keeps it in the crosscheck's database, in tables of its own with their
/// own migration record (`inbox_schema_migrations`), so the two processes never write each other's tables.
///
/// A batch is one transaction: a transaction-scoped advisory lock (so notify workers sharing the database hand out an
/// alert's sequences one at a time even when a moved alert's messages arrive on two partitions), the lookups of the
/// batch's alerts and possible twins, the plan (``InboxPlan``, shared with SQLite), then one `INSERT … SELECT FROM
/// unnest(…)` per table. Deliveries are claimed with `FOR UPDATE SKIP LOCKED`, so several workers never take the same
/// one.
public final class PostgresInboxStore: InboxStore {
    private let client: PostgresClient
    private let runTask: Task<Void, Never>
    private let name: String
    private let logger: Logger
    private let closed = Mutex(false)
    private let schema: String?

    /// Advisory lock keys (arbitrary constants, next to the state store's).
    static let migrationLockKey: Int64 = 0x5869_6563_6861_0011
    static let applyLockKey: Int64 = 0x5869_6563_6861_0012

    /// Creates the client and starts running it; does not contact the server. Prefer ``connect(_:logger:timeout:)``.
    public init(location: StoreURL.PostgresLocation, logger: Logger) {
        self.name = StoreURL.postgres(location).description
        self.logger = logger
        self.schema = location.schema
        var config = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username, password: location.password,
            database: location.database, tls: .disable)
        switch location.sslMode {
        case .disable: config.tls = .disable
        case .prefer: config.tls = .prefer(.makeClientConfiguration())
        case .require: config.tls = .require(.makeClientConfiguration())
        }
        config.options.maximumConnections = 4
        config.options.connectTimeout = .seconds(10)
        var startup: [(String, String)] = [("application_name", location.applicationName)]
        if let schema = location.schema { startup.append(("search_path", schema)) }
        config.options.additionalStartupParameters = startup
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        self.runTask = Task { await client.run() }
    }

    /// Creates a store and checks within `timeout` that the server accepts a query.
    public static func connect(_ location: StoreURL.PostgresLocation, logger: Logger, timeout: Duration = .seconds(60)) async throws
        -> PostgresInboxStore
    {
        let store = PostgresInboxStore(location: location, logger: logger)
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
                group.addTask { try await client.query("SELECT 1").drainRows() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw StoreError(code: .connectionFailed, message: "\(name) did not answer within \(timeout)")
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
        let schema = self.schema
        let logger = self.logger
        let name = self.name
        var newlyApplied: [Int] = []
        for migration in InboxMigrations.all {
            let didApply: Bool
            do {
                didApply = try await client.withTransaction(logger: logger) { conn -> Bool in
                    try await conn.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: logger).drainRows()
                    if let schema {
                        var exists = false
                        for try await _ in try await conn.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: logger) {
                            exists = true
                        }
                        // `schema` was validated as a plain identifier when the URL was parsed.
                        if !exists { try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger).drainRows() }
                    }
                    try await conn.query(
                        """
                        CREATE TABLE IF NOT EXISTS inbox_schema_migrations (
                            version integer NOT NULL PRIMARY KEY,
                            applied_at timestamptz NOT NULL DEFAULT now()
                        )
                        """, logger: logger
                    ).drainRows()
                    var current = 0
                    for try await v in try await conn.query("SELECT COALESCE(MAX(version), 0) FROM inbox_schema_migrations", logger: logger)
                        .decode(Int.self)
                    {
                        current = v
                    }
                    if current > InboxMigrations.latestVersion { throw StoreError.inboxSchemaTooNew(found: current, store: name) }
                    guard current < migration.version else { return false }
                    for sql in migration.postgres { try await conn.query(PostgresQuery(unsafeSQL: sql), logger: logger).drainRows() }
                    try await conn.query("INSERT INTO inbox_schema_migrations (version) VALUES (\(migration.version))", logger: logger)
                        .drainRows()
                    return true
                }
            } catch {
                if let e = storeError(in: error) { throw e }
                throw StoreError.inboxMigration(migration, store: name, describePostgres(error))
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
        return try await collect("read inbox migrations", "SELECT version FROM inbox_schema_migrations ORDER BY version", Int.self)
    }

    // MARK: Applying messages

    public func apply(_ messages: [InboxMessage], endpoints: [String: [String]], firstAttemptAtMs: Int64, nowMs: Int64) async throws
        -> InboxApplyResult
    {
        try checkOpen()
        guard !messages.isEmpty else { return InboxApplyResult() }
        let logger = self.logger
        do {
            return try await client.withTransaction(logger: logger) { conn -> InboxApplyResult in
                try await conn.query("SELECT pg_advisory_xact_lock(\(Self.applyLockKey))", logger: logger).drainRows()
                var ids: [String] = []
                var seen = Set<String>()
                for m in messages where seen.insert(m.alertId).inserted { ids.append(m.alertId) }
                var known: [String: InboxPlan.Known] = [:]
                let knownRows = try await conn.query(
                    "SELECT alert_id, seq, audience, community_code, street_code FROM inbox_alerts WHERE alert_id = ANY(\(ids)::text[])",
                    logger: logger)
                for try await (id, seq, audience, community, street) in knownRows.decode((String, Int64, String, String, String?).self) {
                    known[id] = InboxPlan.Known(lastSequence: seq, routing: InboxRouting(audience: audience, communityCode: community, streetCode: street))
                }
                var existing: [String: [(digest: Int64, payload: [UInt8])]] = [:]
                var twinIds: [String] = []
                var twinDigests: [Int64] = []
                for m in messages where known[m.alertId] != nil {
                    twinIds.append(m.alertId)
                    twinDigests.append(inboxDigest(m.payload))
                }
                if !twinIds.isEmpty {
                    let twins = try await conn.query(
                        """
                        SELECT DISTINCT h.alert_id, h.seq, h.digest, h.payload
                        FROM unnest(\(twinIds)::text[], \(twinDigests)::int8[]) AS u(a, d)
                        JOIN inbox_history h ON h.alert_id = u.a AND h.digest = u.d
                        """, logger: logger)
                    for try await (id, _, digest, payload) in twins.decode((String, Int64, Int64, ByteBuffer).self) {
                        existing[id, default: []].append((digest, Array(payload.readableBytesView)))
                    }
                }
                let plan = InboxPlan.make(messages, known: known, existing: existing, endpoints: endpoints)

                if !plan.changes.isEmpty {
                    var a: [String] = [], s: [Int64] = [], d: [Int64] = [], st: [String] = [], p: [ByteBuffer] = []
                    for c in plan.changes {
                        a.append(c.message.alertId)
                        s.append(c.sequence)
                        d.append(c.digest)
                        st.append(c.message.status)
                        p.append(ByteBuffer(bytes: c.message.payload))
                    }
                    try await conn.query(
                        """
                        INSERT INTO inbox_history (alert_id, seq, digest, status, received_at_ms, payload)
                        SELECT a, s, d, st, \(nowMs), p FROM unnest(\(a)::text[], \(s)::int8[], \(d)::int8[], \(st)::text[], \(p)::bytea[])
                            AS u(a, s, d, st, p)
                        """, logger: logger
                    ).drainRows()
                    let currents = plan.currents
                    var ca: [String] = [], cs: [Int64] = [], ct: [String] = [], cst: [String] = [], au: [String] = [], cc: [String] = []
                    var sc: [String] = [], hs: [Bool] = [], r: [Int64] = [], due: [Int64] = [], cl: [Int64] = [], hc: [Bool] = []
                    for c in currents {
                        let m = c.message
                        ca.append(m.alertId)
                        cs.append(c.sequence)
                        ct.append(m.type)
                        cst.append(m.status)
                        au.append(m.routing.audience)
                        cc.append(m.routing.communityCode)
                        sc.append(m.routing.streetCode ?? "")
                        hs.append(m.routing.streetCode != nil)
                        r.append(m.raisedAtMs)
                        due.append(m.dueByMs)
                        cl.append(m.closedAtMs ?? 0)
                        hc.append(m.closedAtMs != nil)
                    }
                    try await conn.query(
                        """
                        INSERT INTO inbox_alerts (alert_id, seq, type, status, audience, community_code, street_code, raised_at_ms,
                            due_by_ms, closed_at_ms, updated_at_ms)
                        SELECT a, s, t, st, au, cc, CASE WHEN hs THEN sc END, r, d, CASE WHEN hc THEN c END, \(nowMs)
                        FROM unnest(\(ca)::text[], \(cs)::int8[], \(ct)::text[], \(cst)::text[], \(au)::text[], \(cc)::text[],
                            \(sc)::text[], \(hs)::bool[], \(r)::int8[], \(due)::int8[], \(cl)::int8[], \(hc)::bool[])
                            AS u(a, s, t, st, au, cc, sc, hs, r, d, c, hc)
                        ON CONFLICT (alert_id) DO UPDATE SET seq = EXCLUDED.seq, type = EXCLUDED.type, status = EXCLUDED.status,
                            audience = EXCLUDED.audience, community_code = EXCLUDED.community_code, street_code = EXCLUDED.street_code,
                            raised_at_ms = EXCLUDED.raised_at_ms, due_by_ms = EXCLUDED.due_by_ms, closed_at_ms = EXCLUDED.closed_at_ms,
                            updated_at_ms = EXCLUDED.updated_at_ms
                        """, logger: logger
                    ).drainRows()
                }
                if !plan.deliveries.isEmpty {
                    var a: [String] = [], s: [Int64] = [], o: [String] = [], u: [String] = []
                    for d in plan.deliveries {
                        a.append(d.alertId)
                        s.append(d.sequence)
                        o.append(d.office)
                        u.append(d.url)
                    }
                    try await conn.query(
                        """
                        INSERT INTO webhook_deliveries (alert_id, seq, office_code, url, state, attempts, next_attempt_ms, created_at_ms)
                        SELECT a, s, o, u, 'pending', 0, \(firstAttemptAtMs), \(nowMs)
                        FROM unnest(\(a)::text[], \(s)::int8[], \(o)::text[], \(u)::text[]) WITH ORDINALITY AS x(a, s, o, u, n) ORDER BY n
                        """, logger: logger
                    ).drainRows()
                }
                return InboxApplyResult(duplicates: plan.duplicates, deliveriesQueued: plan.deliveries.count, changes: plan.summary)
            }
        } catch {
            throw mapError(error, "apply \(messages.count) alert messages (rolled back, nothing applied)")
        }
    }

    // MARK: Office queries

    public func alerts(_ query: InboxQuery) async throws -> InboxPage {
        try checkOpen()
        let limit = try checkedLimit(query.limit, name: name)
        var q: PostgresQuery
        switch query.office {
        case .community(let code): q = "\(unescaped: alertSelect) WHERE a.community_code = \(code) AND a.audience = 'community'"
        case .street(let code): q = "\(unescaped: alertSelect) WHERE a.street_code = \(code)"
        }
        var sql = q.sql
        var binds = q.binds
        func add(_ fragment: String, _ values: [Int64]) {
            var f = fragment
            for v in values {
                binds.append(v, context: .default)
                f = f.replacingFirstPlaceholder(with: "$\(binds.count)")
            }
            sql += f
        }
        func add(_ fragment: String, _ value: String) {
            binds.append(value, context: .default)
            sql += fragment.replacingFirstPlaceholder(with: "$\(binds.count)")
        }
        if let s = query.status { add(" AND a.status = ?", s) }
        if let t = query.type { add(" AND a.type = ?", t) }
        if let v = query.raisedFromMs { add(" AND a.raised_at_ms >= ?", [v]) }
        if let v = query.raisedBeforeMs { add(" AND a.raised_at_ms < ?", [v]) }
        if let v = query.dueBeforeMs { add(" AND a.due_by_ms < ?", [v]) }
        if let c = query.after {
            add(" AND (a.raised_at_ms < ? OR (a.raised_at_ms = ?", [c.raisedAtMs, c.raisedAtMs])
            add(" AND a.alert_id > ?))", c.alertId)
        }
        add(" ORDER BY a.raised_at_ms DESC, a.alert_id LIMIT ?", [Int64(limit + 1)])
        let rows = try await alertRows("list an office's alerts", PostgresQuery(unsafeSQL: sql, binds: binds))
        return InboxPage(page: rows, limit: limit)
    }

    public func alert(_ alertId: String) async throws -> InboxAlertDetail? {
        try checkOpen()
        guard let current = try await alertRows(
            "read an alert", "\(unescaped: alertSelect) WHERE a.alert_id = \(alertId)"
        ).first else { return nil }
        let history = try await historyRows(
            "read an alert's history", "SELECT \(unescaped: historyColumns) FROM inbox_history WHERE alert_id = \(alertId) ORDER BY seq")
        return InboxAlertDetail(current: current, history: history)
    }

    public func allAlerts() async throws -> [InboxAlert] {
        try checkOpen()
        return try await alertRows("read the inbox", "\(unescaped: alertSelect) ORDER BY a.alert_id")
    }

    public func allHistory() async throws -> [InboxHistoryEntry] {
        try checkOpen()
        return try await historyRows(
            "read the inbox history", "SELECT \(unescaped: historyColumns) FROM inbox_history ORDER BY alert_id, seq")
    }

    // MARK: Webhook deliveries

    public func registerEndpoints(_ targets: [WebhookTarget]) async throws {
        try checkOpen()
        guard !targets.isEmpty else { return }
        let offices = targets.map(\.office)
        let urls = targets.map(\.url)
        try await execute(
            "register webhook endpoints",
            """
            INSERT INTO webhook_endpoints (office_code, url) SELECT o, u FROM unnest(\(offices)::text[], \(urls)::text[]) AS x(o, u)
            ON CONFLICT DO NOTHING
            """)
    }

    public func endpoints() async throws -> [WebhookEndpointState] {
        try checkOpen()
        do {
            var out: [WebhookEndpointState] = []
            let rows = try await client.query(
                """
                SELECT e.office_code, e.url, e.disabled_at_ms, e.disabled_reason,
                    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.office_code = e.office_code AND d.url = e.url AND d.state = 'pending'),
                    (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.office_code = e.office_code AND d.url = e.url AND d.state = 'failed')
                FROM webhook_endpoints e ORDER BY e.office_code, e.url
                """, logger: logger)
            for try await (office, url, disabledAt, reason, pending, failed) in rows.decode((String, String, Int64?, String?, Int, Int).self) {
                out.append(
                    WebhookEndpointState(
                        target: WebhookTarget(office: office, url: url), disabledAtMs: disabledAt, disabledReason: reason, pending: pending,
                        failed: failed))
            }
            return out
        } catch {
            throw mapError(error, "read webhook endpoints")
        }
    }

    public func claimDueDeliveries(nowMs: Int64, limit: Int, leaseUntilMs: Int64) async throws -> [WebhookDelivery] {
        try checkOpen()
        guard limit > 0 else { return [] }
        do {
            var out: [WebhookDelivery] = []
            let rows = try await client.query(
                """
                WITH due AS (
                    SELECT d.id FROM webhook_deliveries d
                    WHERE d.state = 'pending' AND d.next_attempt_ms <= \(nowMs)
                        AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.office_code = d.office_code AND e.url = d.url
                            AND e.disabled_at_ms IS NOT NULL)
                    ORDER BY d.next_attempt_ms, d.id LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED
                ), claimed AS (
                    UPDATE webhook_deliveries w SET next_attempt_ms = \(leaseUntilMs) FROM due WHERE w.id = due.id
                    RETURNING w.id, w.alert_id, w.seq, w.office_code, w.url, w.attempts
                )
                SELECT c.id, c.alert_id, c.seq, c.office_code, c.url, c.attempts, h.payload
                FROM claimed c JOIN inbox_history h ON h.alert_id = c.alert_id AND h.seq = c.seq ORDER BY c.id
                """, logger: logger)
            for try await (id, alertId, seq, office, url, attempts, payload) in rows.decode(
                (Int64, String, Int64, String, String, Int, ByteBuffer).self)
            {
                out.append(
                    WebhookDelivery(
                        id: id, alertId: alertId, sequence: seq, target: WebhookTarget(office: office, url: url), attempts: attempts,
                        payload: Array(payload.readableBytesView)))
            }
            return out
        } catch {
            throw mapError(error, "claim due webhook deliveries")
        }
    }

    public func nextDeliveryDueMs() async throws -> Int64? {
        try checkOpen()
        return try await collect(
            "read the next webhook delivery due",
            """
            SELECT d.next_attempt_ms FROM webhook_deliveries d WHERE d.state = 'pending'
                AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.office_code = d.office_code AND e.url = d.url
                    AND e.disabled_at_ms IS NOT NULL)
            ORDER BY d.next_attempt_ms LIMIT 1
            """, Int64.self
        ).first
    }

    public func recordAttempt(_ id: Int64, _ result: WebhookAttemptResult, attempted: Bool, atMs: Int64) async throws {
        try checkOpen()
        let add = attempted ? 1 : 0
        let what = "record a webhook attempt"
        switch result {
        case .delivered:
            try await execute(what, "DELETE FROM webhook_deliveries WHERE id = \(id)")
        case .retry(let next, let status, let error):
            try await execute(
                what,
                """
                UPDATE webhook_deliveries SET attempts = attempts + \(add), next_attempt_ms = \(next), last_attempt_ms = \(atMs),
                    last_status = \(status)::integer, last_error = \(error)::text WHERE id = \(id)
                """)
        case .failed(let status, let error):
            try await execute(
                what,
                """
                UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + \(add), last_attempt_ms = \(atMs),
                    last_status = \(status)::integer, last_error = \(error)::text, failed_at_ms = \(atMs) WHERE id = \(id)
                """)
        case .gone(let status):
            let logger = self.logger
            do {
                try await client.withTransaction(logger: logger) { conn in
                    try await conn.query(
                        """
                        UPDATE webhook_deliveries SET state = 'failed', attempts = attempts + \(add), last_attempt_ms = \(atMs),
                            last_status = \(status), last_error = 'endpoint gone: disabled', failed_at_ms = \(atMs) WHERE id = \(id)
                        """, logger: logger
                    ).drainRows()
                    try await conn.query(
                        """
                        UPDATE webhook_endpoints e SET disabled_at_ms = \(atMs), disabled_reason = \("HTTP \(status)")
                        FROM webhook_deliveries d WHERE d.id = \(id) AND e.office_code = d.office_code AND e.url = d.url
                            AND e.disabled_at_ms IS NULL
                        """, logger: logger
                    ).drainRows()
                }
            } catch {
                throw mapError(error, what)
            }
        }
    }

    public func failedDeliveries(office: String?, alertId: String?, limit: Int) async throws -> [FailedWebhookDelivery] {
        try checkOpen()
        guard limit > 0 else { return [] }
        do {
            var out: [FailedWebhookDelivery] = []
            let rows = try await client.query(
                """
                SELECT id, alert_id, seq, office_code, url, attempts, last_status, last_error, last_attempt_ms, failed_at_ms
                FROM webhook_deliveries WHERE state = 'failed' AND (\(office)::text IS NULL OR office_code = \(office))
                    AND (\(alertId)::text IS NULL OR alert_id = \(alertId))
                ORDER BY failed_at_ms, id LIMIT \(Int64(limit))
                """, logger: logger)
            for try await (id, alert, seq, office, url, attempts, status, error, lastAt, failedAt) in rows.decode(
                (Int64, String, Int64, String, String, Int, Int?, String?, Int64?, Int64).self)
            {
                out.append(
                    FailedWebhookDelivery(
                        id: id, alertId: alert, sequence: seq, target: WebhookTarget(office: office, url: url), attempts: attempts,
                        lastStatus: status, lastError: error, lastAttemptAtMs: lastAt, failedAtMs: failedAt))
            }
            return out
        } catch {
            throw mapError(error, "list failed webhook deliveries")
        }
    }

    public func replayFailed(office: String?, alertId: String?, nowMs: Int64) async throws -> Int {
        try checkOpen()
        return try await collect(
            "replay failed webhook deliveries",
            """
            UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_ms = \(nowMs), failed_at_ms = NULL
            WHERE state = 'failed' AND (\(office)::text IS NULL OR office_code = \(office)) AND (\(alertId)::text IS NULL OR alert_id = \(alertId))
            RETURNING id
            """, Int64.self
        ).count
    }

    public func enableEndpoints(office: String?) async throws -> Int {
        try checkOpen()
        return try await collect(
            "enable webhook endpoints",
            """
            UPDATE webhook_endpoints SET disabled_at_ms = NULL, disabled_reason = NULL
            WHERE disabled_at_ms IS NOT NULL AND (\(office)::text IS NULL OR office_code = \(office))
            RETURNING office_code
            """, String.self
        ).count
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

    private func checkOpen() throws(StoreError) {
        if closed.withLock({ $0 }) { throw StoreError(code: .closed, message: "\(name) was closed") }
    }

    private func execute(_ what: String, _ query: PostgresQuery) async throws {
        do { try await client.query(query, logger: logger).drainRows() } catch { throw mapError(error, what) }
    }

    private func collect<T: PostgresDecodable & Sendable>(_ what: String, _ query: PostgresQuery, _: T.Type) async throws -> [T] {
        do {
            var result: [T] = []
            for try await value in try await client.query(query, logger: logger).decode(T.self) { result.append(value) }
            return result
        } catch {
            throw mapError(error, what)
        }
    }

    private func alertRows(_ what: String, _ query: PostgresQuery) async throws -> [InboxAlert] {
        do {
            var out: [InboxAlert] = []
            let rows = try await client.query(query, logger: logger)
            for try await row in rows {
                let (id, seq, type, status, audience, community, street, raised, due, closedAt, updated, payload) = try row.decode(
                    (String, Int64, String, String, String, String, String?, Int64, Int64, Int64?, Int64, ByteBuffer).self)
                out.append(
                    InboxAlert(
                        alertId: id, sequence: seq, type: type, status: status,
                        routing: InboxRouting(audience: audience, communityCode: community, streetCode: street), raisedAtMs: raised,
                        dueByMs: due, closedAtMs: closedAt, updatedAtMs: updated, payload: Array(payload.readableBytesView)))
            }
            return out
        } catch {
            throw mapError(error, what)
        }
    }

    private func historyRows(_ what: String, _ query: PostgresQuery) async throws -> [InboxHistoryEntry] {
        do {
            var out: [InboxHistoryEntry] = []
            let rows = try await client.query(query, logger: logger)
            for try await (id, seq, status, received, payload) in rows.decode((String, Int64, String, Int64, ByteBuffer).self) {
                out.append(
                    InboxHistoryEntry(alertId: id, sequence: seq, status: status, receivedAtMs: received, payload: Array(payload.readableBytesView)))
            }
            return out
        } catch {
            throw mapError(error, what)
        }
    }

    private func mapError(_ error: any Error, _ what: String) -> StoreError {
        if let e = storeError(in: error) { return e }
        let code: StoreError.Code
        if let e = error as? PSQLError, e.serverInfo == nil {
            code = .connectionFailed
        } else if error is PostgresDecodingError {
            code = .corruptData
        } else {
            code = .queryFailed
        }
        return StoreError(code: code, message: "\(name): could not \(what): \(describePostgres(error))")
    }
}

/// An alert's columns, and its current message's payload from the history.
private let alertSelect = """
    SELECT a.alert_id, a.seq, a.type, a.status, a.audience, a.community_code, a.street_code, a.raised_at_ms, a.due_by_ms,
        a.closed_at_ms, a.updated_at_ms, h.payload
    FROM inbox_alerts a JOIN inbox_history h ON h.alert_id = a.alert_id AND h.seq = a.seq
    """
private let historyColumns = "alert_id, seq, status, received_at_ms, payload"

/// The `StoreError` a transaction's closure threw, if that is what failed.
private func storeError(in error: any Error) -> StoreError? {
    if let e = error as? StoreError { return e }
    if let t = error as? PostgresTransactionError, let inner = t.closureError { return storeError(in: inner) }
    return nil
}

extension String {
    /// The string with its first `?` replaced by `placeholder` (building a filter's SQL with numbered binds).
    fileprivate func replacingFirstPlaceholder(with placeholder: String) -> String {
        guard let i = firstIndex(of: "?") else { return self }
        return String(self[..<i]) + placeholder + String(self[index(after: i)...])
    }
}

extension PostgresRowSequence {
    /// Reads and discards every row (so the statement completes and the connection is released).
    fileprivate func drainRows() async throws {
        for try await _ in self {}
    }
}
