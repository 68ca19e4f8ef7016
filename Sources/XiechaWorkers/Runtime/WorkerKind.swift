import Kafka
import XiechaCore

/// The worker kinds one process can be, each with what the runtime must build for it.
public enum WorkerKind: Sendable, Hashable {
    /// `xiecha worker intake --feed NAME`: one department feed in, person events and dead letters out.
    case intake(Feed)
    /// `xiecha worker crosscheck`: person events in, alerts out, state in the store.
    case crosscheck
    /// `xiecha alerts tail`: alerts printed as they arrive.
    case alertsTail(AlertsTailOptions)
    /// `xiecha worker notify`: alerts in, the offices' inboxes (in the inbox store) and webhooks out.
    case notify

    /// The name in logs (`worker`) and in the summary line.
    public var name: String {
        if case .intake(let feed) = self { return "intake-\(feed.rawValue)" }
        return metricsLabel
    }

    /// The `worker` label of the batch-latency metric (one per kind, not per feed).
    var metricsLabel: String {
        switch self {
        case .intake: return "intake"
        case .crosscheck: return "crosscheck"
        case .alertsTail: return "alerts-tail"
        case .notify: return "notify"
        }
    }

    /// The topic the kind consumes.
    public var input: Topic {
        switch self {
        case .intake(let feed): return feed.topic
        case .crosscheck: return .personEvents
        case .alertsTail, .notify: return .alerts
        }
    }

    /// The consumer group when none is given.
    public var defaultGroup: String {
        switch self {
        case .intake(let feed): return "xiecha-intake-\(feed.rawValue)"
        case .crosscheck: return "xiecha-crosscheck"
        case .alertsTail: return "xiecha-alerts-tail-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        case .notify: return "xiecha-notify"
        }
    }

    /// Whether the kind keeps state in the store.
    var usesStore: Bool {
        if case .crosscheck = self { return true }
        return false
    }

    /// Whether the kind keeps the offices' inboxes in the inbox store.
    var usesInbox: Bool {
        if case .notify = self { return true }
        return false
    }

    /// Whether the kind writes to Kafka.
    var produces: Bool {
        if case .alertsTail = self { return false }
        return true
    }

    /// The kind's consumer settings on top of the defaults.
    func tune(_ c: inout KafkaConsumerConfiguration) {
        switch self {
        case .intake:
            // Read-ahead: 16 MiB keeps both cores busy; librdkafka's default (64 MiB per consumer) only
            // adds resident memory when a backlog arrives in large batches.
            c.prefetchKilobytes = 16_384
            c.autoCommitInterval = .seconds(1)
        case .crosscheck:
            c.autoCommitInterval = .seconds(1)
            c.maxBatchSize = 2_500
            // A batch takes a store transaction; a few batches read ahead are plenty (and memory is
            // better spent on the store's cache).
            c.prefetchKilobytes = 8_192
            c.maxBufferedBatches = 2
        case .alertsTail:
            c.fetchWaitMax = .milliseconds(50)
        case .notify:
            c.autoCommitInterval = .seconds(1)
            // An office action's effect should reach the inbox quickly; alert traffic is light.
            c.fetchWaitMax = .milliseconds(50)
        }
    }

    /// The kind's producer settings on top of the defaults.
    func tune(_ p: inout KafkaProducerConfiguration) {
        p.linger = .milliseconds(5)
        if case .intake = self, p.client.properties["message.max.bytes"] == nil {
            // Dead letters carry the original bytes, and records over the 1 MiB record limit are dead
            // letters too: allow messages up to the dead-letter topic's own limit unless the operator set one.
            p.client.properties["message.max.bytes"] = String(TopicLayout.maxDeadLetterBytes)
        }
    }

    /// Whether the consumer reports its lag per partition (the workers an operator watches).
    var reportsLag: Bool {
        if case .alertsTail = self { return false }
        return true
    }

    /// The step that does the kind's work.
    func makeStep(_ context: WorkerContext) throws -> any WorkerStep {
        switch self {
        case .intake(let feed): return IntakeStep(feed: feed, context: context)
        case .crosscheck: return try CrosscheckStep(context: context)
        case .alertsTail(let options): return AlertsTailStep(options: options)
        case .notify: return try NotifyStep(context: context)
        }
    }
}
