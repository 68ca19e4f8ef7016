import Synchronization

/// The messages a `KafkaConsumer` reads, one at a time, in partition order.
///
/// Messages arrive from the poll thread in batches; iterating within a batch takes no lock.
/// The sequence ends when the consumer closes.
public struct KafkaConsumerMessages: AsyncSequence, Sendable {
    public typealias Element = KafkaConsumerMessage
    let buffer: ConsumerMessageBuffer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: ConsumerMessageBuffer
        var current: [KafkaConsumerMessage] = []
        var index = 0

        public mutating func next() async -> KafkaConsumerMessage? {
            if index < current.count {
                defer { index += 1 }
                return current[index]
            }
            guard let batch = await buffer.nextBatch() else { return nil }
            current = batch
            index = 1
            return batch[0]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// The messages a `KafkaConsumer` reads, as the batches librdkafka returned them (at most
/// `maxBatchSize` each). Workers that process and commit in batches iterate this.
public struct KafkaConsumerBatches: AsyncSequence, Sendable {
    public typealias Element = [KafkaConsumerMessage]
    let buffer: ConsumerMessageBuffer

    public struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: ConsumerMessageBuffer
        public mutating func next() async -> [KafkaConsumerMessage]? { await buffer.nextBatch() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}

/// Bounded hand-over of message batches from the poll thread to the application.
final class ConsumerMessageBuffer: Sendable {
    private struct State {
        var batches: [[KafkaConsumerMessage]] = []
        var waiters: [(id: Int, continuation: CheckedContinuation<[KafkaConsumerMessage]?, Never>)] = []
        var nextWaiterId = 0
        var finished = false
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Called by the poll thread. Returns `false` when the buffer is full after adding
    /// (the poll thread then waits for room).
    func push(_ batch: [KafkaConsumerMessage]) -> Bool {
        let (waiter, hasRoom) = state.withLock { s -> (CheckedContinuation<[KafkaConsumerMessage]?, Never>?, Bool) in
            if s.finished { return (nil, true) }
            if !s.waiters.isEmpty { return (s.waiters.removeFirst().continuation, true) }
            s.batches.append(batch)
            return (nil, s.batches.count < capacity)
        }
        waiter?.resume(returning: batch)
        return hasRoom
    }

    var hasRoom: Bool { state.withLock { $0.finished || $0.batches.count < capacity } }

    /// The next batch, or `nil` when the consumer closed or the waiting task was cancelled.
    func nextBatch() async -> [KafkaConsumerMessage]? {
        let id = state.withLock { s -> Int in
            s.nextWaiterId += 1
            return s.nextWaiterId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<[KafkaConsumerMessage]?, Never>) in
                enum Action { case batch([KafkaConsumerMessage]), end, wait }
                let action = state.withLock { s -> Action in
                    if !s.batches.isEmpty { return .batch(s.batches.removeFirst()) }
                    if s.finished || Task.isCancelled { return .end }
                    s.waiters.append((id, c))
                    return .wait
                }
                switch action {
                case .batch(let b): c.resume(returning: b)
                case .end: c.resume(returning: nil)
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<[KafkaConsumerMessage]?, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Drops buffered messages of partitions this consumer no longer owns or has seeked.
    func remove(partitions: Set<KafkaTopicPartition>) {
        guard !partitions.isEmpty else { return }
        state.withLock { s in
            s.batches = s.batches.map { $0.filter { !partitions.contains($0.topicPartition) } }.filter { !$0.isEmpty }
        }
    }

    /// Ends every iteration; buffered messages are dropped (they were not processed, so their
    /// offsets were not stored and they will be read again).
    func finish() {
        let waiters = state.withLock { s -> [(id: Int, continuation: CheckedContinuation<[KafkaConsumerMessage]?, Never>)] in
            s.finished = true
            s.batches = []
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.continuation.resume(returning: nil) }
    }
}
