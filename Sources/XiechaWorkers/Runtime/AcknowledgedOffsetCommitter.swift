import Kafka
import Logging
import Synchronization

/// Marks input offsets processed once the outputs made from them are acknowledged, in input order,
/// without stopping the worker loop to wait for the broker.
///
/// The worker sends each input batch's outputs into one `KafkaDeliveryGroup` and hands the group
/// and the batch's next offsets to `submit`. A background task waits for the groups in the order
/// they were submitted and stores each batch's offsets when its group is complete, so a stored
/// offset never runs ahead of an unacknowledged output. The first delivery failure stops the
/// storing for good (nothing after it is marked processed); the worker sees it at its next
/// `submit`/`checkFailure` and stops, and a restart reads those inputs again.
final class AcknowledgedOffsetCommitter: Sendable {
    private struct Entry: Sendable {
        var group: KafkaDeliveryGroup
        var after: Task<Void, any Error>?
        var nextOffsets: [KafkaTopicPartition: Int64]
    }

    private let continuation: AsyncStream<Entry>.Continuation
    private let task: Task<Void, Never>
    /// The failure that stopped the storing, shared with the background task.
    private final class FailureSlot: Sendable {
        let error = Mutex<(any Error)?>(nil)
    }
    private let failure = FailureSlot()

    init(consumer: KafkaConsumer, logger: Logger) {
        let (stream, continuation) = AsyncStream<Entry>.makeStream()
        self.continuation = continuation
        let failure = self.failure
        task = Task {
            for await entry in stream {
                do {
                    try await entry.after?.value
                    try await entry.group.awaitDeliveries()
                    try consumer.storeOffsets(entry.nextOffsets)
                } catch {
                    // Outputs not acknowledged: nothing from here on is marked processed. The worker
                    // stops; on restart these inputs are read again (outputs are idempotent).
                    logger.critical("outputs not committed or acknowledged; input offsets are no longer stored", metadata: ["error": "\(error)"])
                    failure.error.withLock { $0 = error }
                    return
                }
            }
        }
    }

    /// Seals `group` and queues `messages`' offsets to be stored once it is complete (and `after`,
    /// other work the batch's outputs depend on such as a store commit, has succeeded).
    /// Throws if an earlier batch failed.
    func submit(_ group: KafkaDeliveryGroup, after: Task<Void, any Error>? = nil, for messages: some Sequence<KafkaConsumerMessage>) throws {
        try checkFailure()
        group.seal()
        var next: [KafkaTopicPartition: Int64] = [:]
        for m in messages {
            let tp = m.topicPartition
            next[tp] = max(next[tp] ?? 0, m.offset + 1)
        }
        guard !next.isEmpty else { return }
        continuation.yield(Entry(group: group, after: after, nextOffsets: next))
    }

    /// Throws the delivery failure that stopped the storing, if any.
    func checkFailure() throws {
        if let error = failure.error.withLock({ $0 }) { throw error }
    }

    /// Stops accepting batches without waiting; those already submitted are still stored as their
    /// groups complete (or fail when the producer shuts down).
    func abandon() {
        continuation.finish()
    }

    /// Waits until every submitted batch is stored (or the storing stopped), then throws the failure, if any.
    func finish() async throws {
        continuation.finish()
        await task.value
        try checkFailure()
    }
}
