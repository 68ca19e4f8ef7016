/// The notify worker's durable state (DESIGN.md "Office side"): each office's inbox — the materialised view of
/// `xiecha.alerts.v1`, the last message per `alertId` with every message kept as history — and the webhook delivery
/// queue, written in the same transaction as the inbox changes it delivers.
///
/// Idempotent by construction: applying a message whose bytes are already in its alert's history changes nothing (the
/// duplicates of at-least-once publishing, and topic replays), so a worker that is killed and reads a batch again, or
/// a new consumer group reading the topic from the beginning, leaves the inbox as it was. Each distinct change of an
/// alert gets the next sequence number of that alert (1, 2, 3, … in the order first seen): it names the change
/// everywhere after, in particular in the stable `webhook-id` (`alertId.sequence`).
///
/// Implementations: ``SQLiteInboxStore`` (embedded: its own file, `.xiecha/inbox.sqlite`) and ``PostgresInboxStore``
/// (production: the crosscheck's database, tables of its own). They behave identically. The office web app reads the
/// inbox through ``alerts(_:)`` and ``alert(_:)``; it never writes these tables.
public protocol InboxStore: Sendable {
    /// Applies every inbox migration this build knows that the database lacks. Idempotent; safe from several
    /// processes at once.
    func migrate() async throws

    /// Applies `messages` (in order, as consumed) in one transaction: each message new to its alert's history becomes
    /// the alert's current message with the next sequence, and one webhook delivery per endpoint it goes to is queued
    /// (first attempt at `firstAttemptAtMs`). Messages already in the history change nothing.
    ///
    /// `endpoints` maps an office code to the URLs of its webhooks (see ``InboxRouting/offices``); an alert that moves
    /// to another office is also delivered to the offices it left, so their systems learn it is gone.
    func apply(_ messages: [InboxMessage], endpoints: [String: [String]], firstAttemptAtMs: Int64, nowMs: Int64) async throws
        -> InboxApplyResult

    /// One page of an office's alerts, newest `raisedAt` first (ties by alert id), with the query's filters.
    func alerts(_ query: InboxQuery) async throws -> InboxPage

    /// One alert's current message and its whole history (oldest first), or `nil` when the inbox never saw it.
    func alert(_ alertId: String) async throws -> InboxAlertDetail?

    /// Every alert's current message, ordered by alert id (for checks and exports; an office reads pages).
    func allAlerts() async throws -> [InboxAlert]

    /// Every history entry, ordered by alert id then sequence (for checks).
    func allHistory() async throws -> [InboxHistoryEntry]

    // MARK: Webhook deliveries

    /// Records the configured endpoints (new ones enabled); endpoints already known keep their state.
    func registerEndpoints(_ targets: [WebhookTarget]) async throws

    /// Every endpoint the store knows, with its state and queue counts, ordered by office then URL.
    func endpoints() async throws -> [WebhookEndpointState]

    /// Takes up to `limit` pending deliveries due at `nowMs` (earliest first) whose endpoint is enabled, and leases
    /// them until `leaseUntilMs`: no other call returns them before then. A delivery whose attempt is never recorded
    /// (the process died) is due again when its lease runs out, so every pending delivery is resumed.
    func claimDueDeliveries(nowMs: Int64, limit: Int, leaseUntilMs: Int64) async throws -> [WebhookDelivery]

    /// When the next pending delivery of an enabled endpoint is due, if any.
    func nextDeliveryDueMs() async throws -> Int64?

    /// Records what an attempt of delivery `id` gave (see ``WebhookAttemptResult``). `attempted`: a request was made
    /// (counts towards the attempts); `false` for a delivery that could not be tried at all.
    func recordAttempt(_ id: Int64, _ result: WebhookAttemptResult, attempted: Bool, atMs: Int64) async throws

    /// Failed deliveries (the last try of the schedule failed, or the endpoint answered 410), oldest failure first,
    /// optionally only an office's or an alert's.
    func failedDeliveries(office: String?, alertId: String?, limit: Int) async throws -> [FailedWebhookDelivery]

    /// Puts the failed deliveries that match back in the queue, due at `nowMs`, with a fresh schedule; returns how
    /// many.
    func replayFailed(office: String?, alertId: String?, nowMs: Int64) async throws -> Int

    /// Re-enables disabled endpoints (of `office`, or all); returns how many. Their held deliveries are due again.
    func enableEndpoints(office: String?) async throws -> Int

    /// Releases connections. Idempotent; afterwards every call throws ``StoreError/Code/closed``.
    func close() async throws
}

/// One message of `xiecha.alerts.v1` as the inbox takes it: the payload exactly as published (masked data only), plus
/// the fields an office filters on, read from it by the notify worker.
public struct InboxMessage: Sendable, Hashable {
    public var alertId: String
    /// `certificate_missing`, … (kept as text: a type added later is still stored).
    public var type: String
    /// `open` or `closed`.
    public var status: String
    /// Where the alert is addressed.
    public var routing: InboxRouting
    public var raisedAtMs: Int64
    public var dueByMs: Int64
    public var closedAtMs: Int64?
    /// The message value as it was on the topic.
    public var payload: [UInt8]

    /// A message.
    public init(
        alertId: String, type: String, status: String, routing: InboxRouting, raisedAtMs: Int64, dueByMs: Int64,
        closedAtMs: Int64? = nil, payload: [UInt8]
    ) {
        self.alertId = alertId
        self.type = type
        self.status = status
        self.routing = routing
        self.raisedAtMs = raisedAtMs
        self.dueByMs = dueByMs
        self.closedAtMs = closedAtMs
        self.payload = payload
    }
}

/// Which office an alert is addressed to (DESIGN.md "Alerts"): its `audience`, community and street.
public struct InboxRouting: Sendable, Hashable {
    /// `community` or `street`.
    public var audience: String
    /// The community code (`unassigned` when the house is unknown).
    public var communityCode: String
    /// The street code; `nil` when the house is unknown.
    public var streetCode: String?

    /// A routing.
    public init(audience: String, communityCode: String, streetCode: String?) {
        self.audience = audience
        self.communityCode = communityCode
        self.streetCode = streetCode
    }

    /// The office code meaning the jurisdiction's queue of alerts whose house is unknown.
    public static let unassigned = "unassigned"

    /// The offices that see the alert, hence whose webhooks receive it: a community-audience alert goes to its
    /// community and to that community's street office (a street sees all its communities); a street-audience alert to
    /// its street office (`unassigned` when the street is unknown).
    public var offices: [String] {
        if audience == "street" { return [streetCode ?? Self.unassigned] }
        guard let streetCode else { return [communityCode] }
        return [communityCode, streetCode]
    }
}

/// What applying a batch did.
public struct InboxApplyResult: Sendable, Hashable {
    /// Messages that were new: each a new sequence of its alert (`changes.count`).
    public var applied: Int
    /// Messages already in their alert's history (or twice in the batch): nothing changed.
    public var duplicates: Int
    /// Webhook deliveries queued.
    public var deliveriesQueued: Int
    /// The new changes, in input order: what the worker logs (alertId and sequence, never the payload).
    public var changes: [InboxChange]

    /// A result.
    public init(duplicates: Int = 0, deliveriesQueued: Int = 0, changes: [InboxChange] = []) {
        self.applied = changes.count
        self.duplicates = duplicates
        self.deliveriesQueued = deliveriesQueued
        self.changes = changes
    }
}

/// One new change of an alert in the inbox.
public struct InboxChange: Sendable, Hashable {
    public var alertId: String
    public var sequence: Int64
    public var status: String

    /// A change.
    public init(alertId: String, sequence: Int64, status: String) {
        self.alertId = alertId
        self.sequence = sequence
        self.status = status
    }
}

/// An office as the inbox sees it: the alerts it is to act on.
public enum InboxOffice: Sendable, Hashable {
    /// A community office (12-digit code, or `unassigned`): the community-audience alerts of that community.
    case community(String)
    /// A street office (9-digit code): every alert of its communities, and its own street-audience alerts.
    case street(String)
}

/// A page request on an office's inbox. Every filter is optional; all given ones apply.
public struct InboxQuery: Sendable, Hashable {
    /// Whose inbox.
    public var office: InboxOffice
    /// `open` or `closed`.
    public var status: String?
    /// An alert type (`certificate_missing`, …).
    public var type: String?
    /// Raised at or after this instant (ms since the epoch).
    public var raisedFromMs: Int64?
    /// Raised before this instant.
    public var raisedBeforeMs: Int64?
    /// Due before this instant (with `status: open`, the overdue ones).
    public var dueBeforeMs: Int64?
    /// Page size, 1…1000.
    public var limit: Int
    /// Where the previous page ended (its `next`).
    public var after: InboxCursor?

    /// The first page of `office`'s alerts, 50 at a time.
    public init(
        office: InboxOffice, status: String? = nil, type: String? = nil, raisedFromMs: Int64? = nil, raisedBeforeMs: Int64? = nil,
        dueBeforeMs: Int64? = nil, limit: Int = 50, after: InboxCursor? = nil
    ) {
        self.office = office
        self.status = status
        self.type = type
        self.raisedFromMs = raisedFromMs
        self.raisedBeforeMs = raisedBeforeMs
        self.dueBeforeMs = dueBeforeMs
        self.limit = limit
        self.after = after
    }
}

/// Where a page ended, in the inbox's order (`raisedAt` descending, then alert id): stable under inserts, unlike an
/// offset.
public struct InboxCursor: Sendable, Hashable {
    public var raisedAtMs: Int64
    public var alertId: String

    /// A cursor after the alert `alertId` raised at `raisedAtMs`.
    public init(raisedAtMs: Int64, alertId: String) {
        self.raisedAtMs = raisedAtMs
        self.alertId = alertId
    }
}

/// One page of alerts.
public struct InboxPage: Sendable, Hashable {
    public var alerts: [InboxAlert]
    /// The cursor of the next page; `nil` on the last one.
    public var next: InboxCursor?

    /// A page.
    public init(alerts: [InboxAlert], next: InboxCursor?) {
        self.alerts = alerts
        self.next = next
    }
}

/// An alert's current (last) message in the inbox, with its filter columns.
public struct InboxAlert: Sendable, Hashable {
    public var alertId: String
    /// The sequence of the current message (how many distinct changes the inbox has seen).
    public var sequence: Int64
    public var type: String
    public var status: String
    public var routing: InboxRouting
    public var raisedAtMs: Int64
    public var dueByMs: Int64
    public var closedAtMs: Int64?
    /// When the current message reached the inbox.
    public var updatedAtMs: Int64
    /// The message value as published.
    public var payload: [UInt8]

    /// An alert row.
    public init(
        alertId: String, sequence: Int64, type: String, status: String, routing: InboxRouting, raisedAtMs: Int64,
        dueByMs: Int64, closedAtMs: Int64?, updatedAtMs: Int64, payload: [UInt8]
    ) {
        self.alertId = alertId
        self.sequence = sequence
        self.type = type
        self.status = status
        self.routing = routing
        self.raisedAtMs = raisedAtMs
        self.dueByMs = dueByMs
        self.closedAtMs = closedAtMs
        self.updatedAtMs = updatedAtMs
        self.payload = payload
    }
}

/// One message in an alert's history.
public struct InboxHistoryEntry: Sendable, Hashable {
    public var alertId: String
    public var sequence: Int64
    public var status: String
    /// When it reached the inbox.
    public var receivedAtMs: Int64
    /// The message value as published.
    public var payload: [UInt8]

    /// A history entry.
    public init(alertId: String, sequence: Int64, status: String, receivedAtMs: Int64, payload: [UInt8]) {
        self.alertId = alertId
        self.sequence = sequence
        self.status = status
        self.receivedAtMs = receivedAtMs
        self.payload = payload
    }
}

/// An alert with its history, for the office app's alert page.
public struct InboxAlertDetail: Sendable, Hashable {
    public var current: InboxAlert
    /// Oldest first; the last entry is `current`'s message.
    public var history: [InboxHistoryEntry]

    /// A detail.
    public init(current: InboxAlert, history: [InboxHistoryEntry]) {
        self.current = current
        self.history = history
    }
}
