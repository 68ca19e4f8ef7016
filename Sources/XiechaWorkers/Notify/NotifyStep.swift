import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import XiechaCore
import XiechaStore

/// `xiecha worker notify`: `xiecha.alerts.v1` in, each office's inbox and webhooks out (DESIGN.md "Office side").
///
/// Per batch: read what the inbox filters on out of each alert message (``AlertInboxDecoding``; a message that is not
/// an alert is a dead letter), then apply the batch to the inbox in one store transaction — every message new to its
/// alert's history becomes its current message with the next sequence and queues one delivery per webhook it goes to;
/// a message already in the history (a repeated publish, a replay of the topic) changes nothing. The input counts as
/// processed once that transaction is committed, so a worker killed at any instant loses nothing and, read again,
/// duplicates nothing. ``WebhookDeliveryService`` sends the queued deliveries beside the loop.
///
/// The store transaction of a batch runs while the loop reads and decodes the next batch (the batch's `after`); the
/// next transaction starts only once it has committed, so an alert's sequences are handed out in input order and at
/// most one batch is applied at a time.
struct NotifyStep: WorkerStep {
    let context: WorkerContext
    let inbox: any InboxStore
    let webhooks: WebhookConfiguration
    /// `nil` when no webhook is configured: deliveries are never queued then.
    let delivery: WebhookDeliveryService?
    private let urlsByOffice: [String: [String]]
    private let pipeline = ApplyPipeline()

    init(context: WorkerContext) throws {
        guard let inbox = context.inbox, context.producer != nil else {
            throw WorkerRuntimeError(description: "the notify worker needs an inbox store and a producer (for dead letters)")
        }
        self.context = context
        self.inbox = inbox
        self.webhooks = context.configuration.webhooks
        self.urlsByOffice = webhooks.urlsByOffice
        let clock = context.options.clock
        delivery =
            webhooks.endpoints.isEmpty
            ? nil
            : WebhookDeliveryService(
                inbox: inbox, configuration: webhooks, metrics: context.metrics, logger: context.logger,
                clock: { clock().millisecondsSinceEpoch })
    }

    func services() -> (beforeConsumer: [any Service], afterLoop: [any Service]) {
        ([], delivery.map { [$0] } ?? [])
    }

    func prepare() async throws {
        try await inbox.registerEndpoints(webhooks.endpoints.map(\.target))
        let configured = Set(webhooks.endpoints.map(\.target))
        for e in try await inbox.endpoints() {
            let disabled = e.disabledAtMs != nil
            if configured.contains(e.target) { context.metrics.webhookEndpointDisabled(office: e.target.office).record(disabled ? 1 : 0) }
            if disabled || e.failed > 0 || (e.pending > 0 && !configured.contains(e.target)) {
                context.logger.warning(
                    disabled ? "webhook endpoint is disabled (it answered 410); its deliveries are held" : "webhook endpoint has undelivered changes",
                    metadata: [
                        "office": "\(e.target.office)", "url": "\(e.target.url)", "pending": "\(e.pending)", "failed": "\(e.failed)",
                        "configured": "\(configured.contains(e.target))",
                    ])
            }
        }
    }

    func process(_ batch: [KafkaConsumerMessage], output: BatchOutput) async throws -> BatchOutcome {
        let decoded = await batch.concurrentMap { m in AlertInboxDecoding.decode(m.value) }
        var messages: [InboxMessage] = []
        messages.reserveCapacity(batch.count)
        var refused: [RefusedInput] = []
        for (m, result) in zip(batch, decoded) {
            switch result {
            case .success(let message): messages.append(message)
            case .failure(let reason): refused.append(RefusedInput(message: m, reason: reason))
            }
        }
        guard !messages.isEmpty else { return BatchOutcome(deadLetters: refused) }
        // The batch before must be committed first (sequences follow the input order).
        try await pipeline.awaitLast()
        let (inbox, context, delivery, urlsByOffice, pipeline) = (inbox, context, delivery, urlsByOffice, pipeline)
        let apply = Task {
            let now = context.options.clock().millisecondsSinceEpoch
            let started = ContinuousClock.now
            let result = try await inbox.apply(
                messages, endpoints: urlsByOffice, firstAttemptAtMs: now + (delivery?.firstDelayMs ?? 0), nowMs: now)
            context.metrics.storeSeconds(.commit).recordInterval(since: started)
            context.metrics.inboxMessages(.applied).increment(by: result.applied)
            context.metrics.inboxMessages(.duplicate).increment(by: result.duplicates)
            pipeline.applied(result.applied)
            if result.deliveriesQueued > 0 { delivery?.wakeUp() }
            if context.logger.logLevel <= .debug {
                for c in result.changes {
                    context.logger.debug(
                        "inbox change", metadata: ["alertId": "\(c.alertId)", "sequence": "\(c.sequence)", "status": "\(c.status)"])
                }
                context.logger.debug(
                    "inbox batch applied",
                    metadata: [
                        "applied": "\(result.applied)", "duplicates": "\(result.duplicates)", "deliveriesQueued": "\(result.deliveriesQueued)",
                    ])
            }
        }
        pipeline.started(apply)
        // `out` is counted when the transactions have committed (`finish`).
        return BatchOutcome(out: 0, deadLetters: refused, after: apply)
    }

    func finish(reachedEnd: Bool) async throws -> Int {
        try await pipeline.awaitLast()
        return pipeline.totalApplied
    }
}

/// The inbox transaction in flight (at most one) and how many changes the committed ones applied.
final class ApplyPipeline: Sendable {
    private let state = Mutex<(last: Task<Void, any Error>?, applied: Int)>((nil, 0))

    func started(_ task: Task<Void, any Error>) { state.withLock { $0.last = task } }

    func applied(_ n: Int) { state.withLock { $0.applied += n } }

    /// Waits until the last transaction started has committed; throws its failure.
    func awaitLast() async throws {
        try await state.withLock { $0.last }?.value
    }

    /// Changes applied by every committed transaction.
    var totalApplied: Int { state.withLock { $0.applied } }
}
