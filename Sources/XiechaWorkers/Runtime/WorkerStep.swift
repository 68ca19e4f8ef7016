import Kafka
import ServiceLifecycle
import XiechaCore

/// What one worker kind does with a batch of input. Everything around it — building the clients,
/// consuming, dead letters, waiting for acknowledgements, committing, counting, shutting down in
/// order — is the runtime's (``BatchLoop``, ``WorkerRuntime``), written once for every kind.
public protocol WorkerStep: Sendable {
    /// Services the step needs running beside the batch loop. `beforeConsumer` start before the
    /// consumer and stop after it (an outbox publisher, a directory follower: the loop depends on
    /// them); `afterLoop` start after the loop and stop before it (timers that act on what the loop
    /// wrote).
    func services() -> (beforeConsumer: [any Service], afterLoop: [any Service])

    /// Waits until the step can take input (the address directory loaded, the outbox of a previous
    /// run published). Throws `CancellationError` once `stopPreparing()` was called.
    func prepare() async throws

    /// Ends a `prepare()` still waiting: the worker was asked to stop before it started.
    func stopPreparing()

    /// What `prepare()` waits for, for the log line of a worker stopped while it waits
    /// ("stopped before …").
    var preparation: String { get }

    /// Processes one batch: sends its outputs into `output` and says how many it sent, which input
    /// is a dead letter, and what else must succeed before the input counts as processed.
    func process(_ batch: [KafkaConsumerMessage], output: BatchOutput) async throws -> BatchOutcome

    /// Called once after the last batch, before the offsets are finally stored; returns further
    /// outputs made then (deadlines fired at the end). `reachedEnd`: `--stop-at-end` and every
    /// record up to the end offsets was processed.
    func finish(reachedEnd: Bool) async throws -> Int
}

extension WorkerStep {
    public func services() -> (beforeConsumer: [any Service], afterLoop: [any Service]) { ([], []) }
    public func prepare() async throws {}
    public func stopPreparing() {}
    public var preparation: String { "it could start consuming" }
    public func finish(reachedEnd: Bool) async throws -> Int { 0 }
}

/// What a step made of one batch.
public struct BatchOutcome: Sendable {
    /// Records the step sent (person events, alert messages).
    public var out: Int
    /// Input the step refused, each with why; the loop sends it to `xiecha.dead-letters.v1`.
    public var deadLetters: [RefusedInput]
    /// Work the outputs depend on beyond the deliveries (a store commit): the input counts as
    /// processed only once it succeeded.
    public var after: Task<Void, any Error>?

    /// An outcome.
    public init(out: Int = 0, deadLetters: [RefusedInput] = [], after: Task<Void, any Error>? = nil) {
        self.out = out
        self.deadLetters = deadLetters
        self.after = after
    }
}

/// One input message a step refused.
public struct RefusedInput: Sendable {
    /// The message, whose original bytes, key and position go into the dead letter.
    public var message: KafkaConsumerMessage
    /// Why, machine-readable.
    public var reason: DeadLetterReason
    /// The record's `recordId`, when it could be read.
    public var recordId: String?

    /// A refusal of `message` for `reason`.
    public init(message: KafkaConsumerMessage, reason: DeadLetterReason, recordId: String? = nil) {
        self.message = message
        self.reason = reason
        self.recordId = recordId
    }
}

/// Where a step sends a batch's outputs: one delivery group per batch, so the batch's input is
/// marked processed when exactly these outputs are acknowledged.
public struct BatchOutput: Sendable {
    let producer: KafkaProducer?
    let group: KafkaDeliveryGroup

    /// Sends `value` to `topic` as part of this batch.
    public func send(_ topic: Topic, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = []) async throws {
        guard let producer else { throw WorkerRuntimeError.noProducer(topic: topic) }
        try await producer.send(KafkaProducerMessage(topic: topic.rawValue, key: key, value: value, headers: headers), in: group)
    }
}
