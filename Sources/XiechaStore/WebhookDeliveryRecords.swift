/// One configured webhook endpoint: an office and the URL its changes are POSTed to. The secret stays in the
/// configuration; the store keeps only what it must remember across restarts (whether the endpoint is disabled).
public struct WebhookTarget: Sendable, Hashable, Comparable {
    /// The office code (community, street or `unassigned`).
    public var office: String
    public var url: String

    /// A target.
    public init(office: String, url: String) {
        self.office = office
        self.url = url
    }

    public static func < (a: WebhookTarget, b: WebhookTarget) -> Bool {
        (a.office, a.url) < (b.office, b.url)
    }
}

/// A queued delivery taken for an attempt: the change to send and where.
public struct WebhookDelivery: Sendable, Hashable {
    /// The queue entry.
    public var id: Int64
    public var alertId: String
    /// The change of the alert this delivers (its inbox sequence).
    public var sequence: Int64
    public var target: WebhookTarget
    /// Attempts made before this one.
    public var attempts: Int
    /// The alert message as published: the request body.
    public var payload: [UInt8]

    /// A delivery.
    public init(id: Int64, alertId: String, sequence: Int64, target: WebhookTarget, attempts: Int, payload: [UInt8]) {
        self.id = id
        self.alertId = alertId
        self.sequence = sequence
        self.target = target
        self.attempts = attempts
        self.payload = payload
    }

    /// Standard Webhooks' `webhook-id`: the same for every attempt of this change, so a receiver can drop repeats.
    public var webhookId: String { "\(alertId).\(sequence)" }
}

/// What one attempt of a delivery gave, as the store records it.
public enum WebhookAttemptResult: Sendable, Hashable {
    /// 2xx: the delivery leaves the queue.
    case delivered
    /// Another try is due at `atMs`; `status` (an HTTP status) or `error` (timeout, connection error) says why this one
    /// failed.
    case retry(atMs: Int64, status: Int?, error: String?)
    /// The last try of the schedule failed: the delivery goes to the failed list.
    case failed(status: Int?, error: String?)
    /// 410 Gone: the endpoint is disabled (its other deliveries are held) and this delivery goes to the failed list.
    case gone(status: Int)
}

/// A delivery on the failed list, as `xiecha webhooks failed` shows it (no payload: masked data, but not needed there).
public struct FailedWebhookDelivery: Sendable, Hashable {
    public var id: Int64
    public var alertId: String
    public var sequence: Int64
    public var target: WebhookTarget
    public var attempts: Int
    /// The HTTP status of the last attempt, when there was a response.
    public var lastStatus: Int?
    /// Why the last attempt failed without a response (timeout, connection refused, …).
    public var lastError: String?
    public var lastAttemptAtMs: Int64?
    public var failedAtMs: Int64

    /// A failed delivery.
    public init(
        id: Int64, alertId: String, sequence: Int64, target: WebhookTarget, attempts: Int, lastStatus: Int?, lastError: String?,
        lastAttemptAtMs: Int64?, failedAtMs: Int64
    ) {
        self.id = id
        self.alertId = alertId
        self.sequence = sequence
        self.target = target
        self.attempts = attempts
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.lastAttemptAtMs = lastAttemptAtMs
        self.failedAtMs = failedAtMs
    }

    /// Standard Webhooks' `webhook-id` the delivery carries.
    public var webhookId: String { "\(alertId).\(sequence)" }
}

/// An endpoint's state: disabled after a 410 until an operator re-enables it, and its queue.
public struct WebhookEndpointState: Sendable, Hashable {
    public var target: WebhookTarget
    /// When a 410 disabled it; `nil` while enabled.
    public var disabledAtMs: Int64?
    /// Why (e.g. `HTTP 410`).
    public var disabledReason: String?
    /// Deliveries waiting (held while disabled).
    public var pending: Int
    /// Deliveries on the failed list.
    public var failed: Int

    /// A state.
    public init(target: WebhookTarget, disabledAtMs: Int64?, disabledReason: String?, pending: Int, failed: Int) {
        self.target = target
        self.disabledAtMs = disabledAtMs
        self.disabledReason = disabledReason
        self.pending = pending
        self.failed = failed
    }
}
