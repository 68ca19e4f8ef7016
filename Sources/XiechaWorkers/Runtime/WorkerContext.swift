import Kafka
import Logging
import XiechaStore

/// Everything the runtime built for one worker process, handed to its step.
public struct WorkerContext: Sendable {
    /// The process's settings.
    public let configuration: XiechaConfiguration
    /// The shared worker options.
    public let options: WorkerRunOptions
    /// The worker's logger, with `worker` set.
    public let logger: Logger
    /// The process's metrics.
    public let metrics: WorkerMetrics
    /// The process's readiness.
    public let health: WorkerHealth
    /// The consumer of the worker's input (subscribed by the batch loop).
    public let consumer: KafkaConsumer
    /// The producer of its outputs, when the kind writes any.
    public let producer: KafkaProducer?
    /// The state store, when the kind keeps state.
    public let store: (any StateStore)?
    /// The inbox store, when the kind keeps the offices' inboxes (the notify worker).
    public let inbox: (any InboxStore)?
    /// The consumer group.
    public let groupId: String
}
