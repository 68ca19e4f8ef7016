import Kafka
import Logging
import ServiceLifecycle
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
struct NotifyStep: WorkerStep {
    let context: WorkerContext
    let inbox: any InboxStore
    let webhooks: WebhookConfiguration
    /// `nil` when no webhook is configured: deliveries are never queued then.
    let delivery: WebhookDeliveryService?
    private let urlsByOffice: [String: [String]]

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
        let now = context.options.clock().millisecondsSinceEpoch
        let started = ContinuousClock.now
        let result = try await inbox.apply(
            messages, endpoints: urlsByOffice, firstAttemptAtMs: now + (delivery?.firstDelayMs ?? 0), nowMs: now)
        context.metrics.storeSeconds(.commit).recordInterval(since: started)
        context.metrics.inboxMessages(.applied).increment(by: result.applied)
        context.metrics.inboxMessages(.duplicate).increment(by: result.duplicates)
        if result.deliveriesQueued > 0 { delivery?.wakeUp() }
        context.logger.debug(
            "inbox batch applied",
            metadata: [
                "applied": "\(result.applied)", "duplicates": "\(result.duplicates)", "deliveriesQueued": "\(result.deliveriesQueued)",
            ])
        return BatchOutcome(out: result.applied, deadLetters: refused)
    }
}
