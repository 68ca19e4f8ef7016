import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import XiechaCore
import XiechaStore

/// Sends the inbox's queued webhook deliveries (DESIGN.md "Office side"), as a `Service` of the notify worker.
///
/// The queue lives in the inbox store, written in the same transaction as the inbox change it delivers, so a delivery
/// exists exactly when its change does, and survives any restart. This loop takes due deliveries with a lease (a
/// delivery whose attempt a killed process never recorded is due again when the lease runs out: at-least-once), sends
/// up to `concurrency` at once, and records each attempt: 2xx delivered (removed), 410 disables the endpoint, anything
/// else — another status, a timeout, a connection error — is retried on the schedule with jitter, and after the last
/// try the delivery goes to the failed list (`xiecha webhooks failed`, `replay`). Every attempt of one change carries the
/// same `webhook-id` (`alertId.sequence`), so a receiver drops repeats; the sequence also orders an alert's changes,
/// which may arrive out of order when one is retried.
///
/// On graceful shutdown it stops taking deliveries and lets the requests in flight finish (each is bounded by the
/// timeout); what is left stays queued for the next start.
final class WebhookDeliveryService: Service, Sendable {
    private let inbox: any InboxStore
    private let configuration: WebhookConfiguration
    private let signers: [WebhookTarget: WebhookSigner]
    private let policy: WebhookRetryPolicy
    private let metrics: WorkerMetrics
    private let logger: Logger
    private let clock: @Sendable () -> Int64
    private let wake = WakeSignal()
    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)

    /// How long the loop sleeps at most before looking at the queue again: deliveries put back by
    /// `xiecha webhooks replay` (another process) are picked up within this.
    static let pollInterval: Duration = .seconds(1)
    /// A lease outlasts the request timeout by this much (the attempt's result is written after the request ends).
    static let leaseMargin: Duration = .seconds(2)
    /// Response bodies are read (so the connection can be reused) up to this size and then dropped.
    static let maximumResponseBytes = 64 * 1024

    init(
        inbox: any InboxStore, configuration: WebhookConfiguration, metrics: WorkerMetrics, logger: Logger,
        clock: @escaping @Sendable () -> Int64
    ) {
        self.inbox = inbox
        self.configuration = configuration
        var signers: [WebhookTarget: WebhookSigner] = [:]
        for e in configuration.endpoints { signers[e.target] = WebhookSigner(secret: e.secret) }
        self.signers = signers
        self.policy = WebhookRetryPolicy(schedule: configuration.retrySchedule, jitter: configuration.jitter)
        self.metrics = metrics
        var logger = logger
        logger[metadataKey: "component"] = "webhooks"
        self.logger = logger
        self.clock = clock
    }

    /// When a change reaches the inbox, its first attempt is due this long after.
    var firstDelayMs: Int64 { policy.firstDelayMs }

    /// New deliveries were queued: look at the queue now.
    func wakeUp() { wake.signal() }

    func run() async throws {
        var http = HTTPClient.Configuration()
        http.redirectConfiguration = .disallow
        http.timeout = HTTPClient.Configuration.Timeout(connect: .milliseconds(configuration.timeout.milliseconds))
        http.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.concurrency)
        http.decompression = .disabled
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
        await withGracefulShutdownHandler {
            await deliverUntilStopped(client)
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
            self.wake.signal()
        }
        do { try await client.shutdown() } catch { logger.warning("closing the HTTP client failed", metadata: ["error": "\(error)"]) }
    }

    /// The loop: take what is due (up to the free slots), send it, sleep until the next is due or something changes.
    private func deliverUntilStopped(_ client: HTTPClient) async {
        let leaseMs = configuration.timeout.milliseconds + Self.leaseMargin.milliseconds
        await withDiscardingTaskGroup { group in
            while !stopping.load(ordering: .acquiring) {
                let free = configuration.concurrency - inFlight.load(ordering: .acquiring)
                var claimed: [WebhookDelivery] = []
                if free > 0 {
                    let now = clock()
                    do {
                        claimed = try await inbox.claimDueDeliveries(nowMs: now, limit: free, leaseUntilMs: now + leaseMs)
                    } catch {
                        logger.error("reading the webhook queue failed; trying again", metadata: ["error": "\(error)"])
                        await wake.wait(timeout: Self.pollInterval)
                        continue
                    }
                    for d in claimed {
                        inFlight.add(1, ordering: .acquiringAndReleasing)
                        group.addTask {
                            await self.attempt(d, client: client)
                            self.inFlight.subtract(1, ordering: .acquiringAndReleasing)
                            self.wake.signal()
                        }
                    }
                    // Every free slot taken: there may be more due at once.
                    if free > 0 && claimed.count == free { continue }
                }
                var sleep = Self.pollInterval
                if free > 0, let next = try? await inbox.nextDeliveryDueMs() {
                    sleep = min(sleep, .milliseconds(max(0, next - clock())))
                }
                if sleep > .zero { await wake.wait(timeout: sleep) }
            }
        }
    }

    /// One attempt of `d`: sign, POST, classify, record.
    private func attempt(_ d: WebhookDelivery, client: HTTPClient) async {
        var log = logger
        log[metadataKey: "alertId"] = "\(d.alertId)"
        log[metadataKey: "webhook.id"] = "\(d.webhookId)"
        log[metadataKey: "office"] = "\(d.target.office)"
        let level = Self.officeLevel(d.target.office)
        guard configuration.endpoint(d.target) != nil, let signer = signers[d.target] else {
            // Removed from the configuration while deliveries were queued: nothing to send with; operators see it.
            await record(d, .failed(status: nil, error: "endpoint no longer configured"), attempted: false, log: log)
            metrics.webhookDeliveries(officeLevel: level, outcome: .failed).increment()
            log.error("webhook delivery failed: the endpoint is no longer configured")
            return
        }
        let started = ContinuousClock.now
        let timestamp = clock() / 1000
        var request = HTTPClientRequest(url: d.target.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "xiecha-notify")
        request.headers.add(name: "webhook-id", value: d.webhookId)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signer.signature(id: d.webhookId, timestamp: timestamp, body: d.payload))
        request.body = .bytes(ByteBuffer(bytes: d.payload))
        var status: Int? = nil
        var failure: String? = nil
        do {
            let response = try await client.execute(request, timeout: .milliseconds(configuration.timeout.milliseconds))
            status = Int(response.status.code)
            _ = try? await response.body.collect(upTo: Self.maximumResponseBytes)
        } catch {
            failure = Self.describe(error)
        }
        let made = d.attempts + 1
        let now = clock()
        let outcome: MetricsOutcome
        if let s = status, (200..<300).contains(s) {
            outcome = .init(.delivered, .delivered)
        } else if status == 410 {
            outcome = .init(.gone(status: 410), .disabled)
        } else {
            var random = SystemRandomNumberGenerator()
            if let delay = policy.delayMs(afterAttempts: made, using: &random) {
                outcome = .init(.retry(atMs: now + delay, status: status, error: failure), .retried)
            } else {
                outcome = .init(.failed(status: status, error: failure), .failed)
            }
        }
        metrics.webhookDeliverySeconds(outcome.metric).recordInterval(since: started)
        metrics.webhookDeliveries(officeLevel: level, outcome: outcome.metric).increment()
        await record(d, outcome.result, attempted: true, log: log)
        let why: Logger.Metadata.Value = status.map { "HTTP \($0)" } ?? "\(failure ?? "-")"
        switch outcome.result {
        case .delivered:
            log.debug("webhook delivered", metadata: ["attempt": "\(made)"])
        case .retry(let at, _, _):
            log.info("webhook attempt failed; retrying", metadata: ["attempt": "\(made)", "why": why, "retryInMs": "\(at - now)"])
        case .failed:
            log.error("webhook delivery failed after its last attempt: on the failed list", metadata: ["attempt": "\(made)", "why": why])
        case .gone:
            metrics.webhookEndpointDisabled(office: d.target.office).record(1)
            log.error(
                "webhook endpoint answered 410 Gone: disabled, its deliveries are held until an operator re-enables it",
                metadata: ["url": "\(d.target.url)"])
        }
    }

    private struct MetricsOutcome {
        var result: WebhookAttemptResult
        var metric: WorkerMetrics.WebhookOutcome
        init(_ result: WebhookAttemptResult, _ metric: WorkerMetrics.WebhookOutcome) {
            self.result = result
            self.metric = metric
        }
    }

    private func record(_ d: WebhookDelivery, _ result: WebhookAttemptResult, attempted: Bool, log: Logger) async {
        do {
            try await inbox.recordAttempt(d.id, result, attempted: attempted, atMs: clock())
        } catch {
            // Not recorded: the lease runs out and the delivery is tried again (at-least-once).
            log.error("recording a webhook attempt failed; it will be tried again", metadata: ["error": "\(error)"])
        }
    }

    /// `community`, `street` or `unassigned`: the metrics label of an office code.
    static func officeLevel(_ office: String) -> String {
        if office == InboxRouting.unassigned { return "unassigned" }
        return office.utf8.count == 9 ? "street" : "community"
    }

    /// A short, content-free description of a failed request (never the body).
    static func describe(_ error: any Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout { return "timeout" }
            return String(String(describing: e).prefix(200))
        }
        return String(String(describing: error).prefix(200))
    }
}
