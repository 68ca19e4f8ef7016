import Kafka
import Metrics
import Synchronization
import XiechaCore

/// Every metric a worker process exports (DESIGN.md "Observability"), made from one injected
/// factory.
///
/// Taking the factory instead of using swift-metrics' global one means a metric can never be bound
/// to the no-op factory by being created before the process bootstrapped its registry, and tests can
/// count with `TestMetrics` without a process-wide bootstrap. Handles are created once per label set
/// and cached, as swift-metrics recommends.
public final class WorkerMetrics: Sendable {
    /// The factory every handle comes from.
    public let factory: any MetricsFactory
    private let handles = Mutex<[MetricKey: any AnyObject & Sendable]>([:])

    private struct MetricKey: Hashable {
        var kind: ObjectIdentifier
        var label: String
        var dimensions: [String]
    }

    /// Metrics made by `factory` (production: a Prometheus factory; tests: `TestMetrics`).
    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// The handle of kind `M` for `label` and `dimensions`, made by `make` the first time.
    private func handle<M: AnyObject & Sendable>(_ label: String, _ dimensions: [(String, String)], make: () -> M) -> M {
        let key = MetricKey(kind: ObjectIdentifier(M.self), label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
        return handles.withLock { h in
            if let existing = h[key] as? M { return existing }
            let made = make()
            h[key] = made
            return made
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        handle(label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        handle(label, dimensions) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        handle(label, dimensions) { Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds, factory: factory) }
    }

    /// `xiecha_records_in_total{topic}`: input records taken from `topic`.
    public func recordsIn(_ topic: Topic) -> Counter { counter("xiecha_records_in_total", [("topic", topic.rawValue)]) }

    /// `xiecha_records_out_total{topic}`: records written to `topic`.
    public func recordsOut(_ topic: Topic) -> Counter { counter("xiecha_records_out_total", [("topic", topic.rawValue)]) }

    /// `xiecha_dead_letters_total{topic, reason}`: input from `topic` refused for `reason`.
    public func deadLettered(_ topic: Topic, _ reason: DeadLetterReason) {
        counter("xiecha_dead_letters_total", [("topic", topic.rawValue), ("reason", reason.kind.rawValue)]).increment()
    }

    /// `xiecha_batch_processing_seconds{worker}`: how long a worker kind takes per input batch.
    public func batchLatency(worker kind: String) -> Metrics.Timer {
        timer("xiecha_batch_processing_seconds", [("worker", kind)])
    }

    /// `xiecha_alerts_raised_total{type}` / `xiecha_alerts_closed_total{type}`: alert messages the
    /// rules produced.
    public func alert(_ message: AlertMessage) {
        recordsOut(.alerts).increment()
        let label = message.status == .open ? "xiecha_alerts_raised_total" : "xiecha_alerts_closed_total"
        counter(label, [("type", message.type.rawValue)]).increment()
    }

    /// `xiecha_store_seconds{operation}`: how long a worker waits on its store per batch — `read`
    /// (the batch's persons) and `commit` (one transaction). A slowing store shows here before the
    /// consumer lag grows.
    public func storeSeconds(_ operation: StoreOperation) -> Metrics.Timer {
        timer("xiecha_store_seconds", [("operation", operation.rawValue)])
    }

    /// The store operations `storeSeconds` distinguishes.
    public enum StoreOperation: String, Sendable {
        case read, commit
    }

    /// `xiecha_consumer_lag{topic, partition}`: messages a partition of the input is behind its
    /// end, from librdkafka's statistics. A lag that keeps growing is a worker that cannot keep up
    /// or has stopped.
    public func consumerLag(_ partition: KafkaTopicPartition) -> Gauge {
        gauge("xiecha_consumer_lag", [("topic", partition.topic), ("partition", String(partition.partition))])
    }

    /// `xiecha_feed_silent{topic}`: 1 while a department feed is silent past its window.
    public func feedSilent(_ topic: Topic) -> Gauge { gauge("xiecha_feed_silent", [("topic", topic.rawValue)]) }

    /// `xiecha_inbox_messages_total{result}`: alert messages the notify worker took into the inbox — `applied` (a new
    /// change of its alert) or `duplicate` (already in its history: a replay or a repeated publish).
    public func inboxMessages(_ result: InboxMessageResult) -> Counter {
        counter("xiecha_inbox_messages_total", [("result", result.rawValue)])
    }

    /// What `inboxMessages` counts.
    public enum InboxMessageResult: String, Sendable {
        case applied, duplicate
    }

    /// `xiecha_webhook_deliveries_total{office_level, outcome}`: webhook attempts by what they gave. `office_level` is
    /// `community`, `street` or `unassigned` (office codes are not personal data, but the level is what an operator
    /// aggregates on; the failed list names the office).
    public func webhookDeliveries(officeLevel: String, outcome: WebhookOutcome) -> Counter {
        counter("xiecha_webhook_deliveries_total", [("office_level", officeLevel), ("outcome", outcome.rawValue)])
    }

    /// The outcomes `webhookDeliveries` distinguishes.
    public enum WebhookOutcome: String, Sendable, CaseIterable {
        /// 2xx.
        case delivered
        /// Failed; another attempt is scheduled.
        case retried
        /// The last attempt failed (or the endpoint is no longer configured): on the failed list.
        case failed
        /// 410: the endpoint was disabled.
        case disabled
    }

    /// `xiecha_webhook_delivery_seconds{outcome}`: how long one webhook request took (connection included), by
    /// outcome; a slow receiver shows here before its timeouts do.
    public func webhookDeliverySeconds(_ outcome: WebhookOutcome) -> Metrics.Timer {
        timer("xiecha_webhook_delivery_seconds", [("outcome", outcome.rawValue)])
    }

    /// `xiecha_webhook_endpoint_disabled{office}`: 1 while an office's webhook is disabled (it answered 410), until an
    /// operator re-enables it (`xiecha webhooks replay --enable`).
    public func webhookEndpointDisabled(office: String) -> Gauge {
        gauge("xiecha_webhook_endpoint_disabled", [("office", office)])
    }

    /// How often librdkafka reports statistics, hence how fresh `consumerLag` is.
    static let statisticsInterval: Duration = .seconds(5)

    /// Turns on librdkafka statistics for `client` and records each partition's lag as reported.
    func installConsumerLag(on client: inout KafkaClientConfiguration) {
        client.statisticsInterval = Self.statisticsInterval
        client.statisticsHandler = { [self] statistics in
            for (tp, lag) in statistics.consumerLag() { consumerLag(tp).record(lag) }
        }
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let (s, atto) = (ContinuousClock.now - start).components
        recordNanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
