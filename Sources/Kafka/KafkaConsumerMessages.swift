import Dispatch
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
///
/// When it is full, the poll thread blocks in `waitForRoom` (on a semaphore, not a sleep loop)
/// until the application takes a batch, buffered messages are dropped, the buffer finishes, or
/// `stopWaitingForRoom` is called; so reading resumes as soon as there is room and a stop is
/// never delayed by a polling interval.
final class ConsumerMessageBuffer: Sendable {
    private typealias Waiter = (id: Int, continuation: CheckedContinuation<[KafkaConsumerMessage]?, Never>)
    private struct State {
        var batches: [[KafkaConsumerMessage]] = []
        var waiters: [Waiter] = []
        var nextWaiterId = 0
        var finished = false
        /// The poll thread is blocked in `waitForRoom` and needs one `roomSignal`.
        var pollThreadWaiting = false
        /// `stopWaitingForRoom` was called: `waitForRoom` returns `false` from now on.
        var roomWaitStopped = false

        var hasRoom: Bool { finished || batches.count < capacity }
        let capacity: Int

        /// Clears `pollThreadWaiting` when the poll thread should wake; the caller then signals
        /// `roomSignal` after leaving the lock. One signal per wait, so the semaphore never
        /// accumulates stale permits.
        mutating func shouldWakePollThread() -> Bool {
            guard pollThreadWaiting, roomWaitStopped || hasRoom else { return false }
            pollThreadWaiting = false
            return true
        }
    }
    private let state: Mutex<State>
    /// Wakes the poll thread blocked in `waitForRoom`. A semaphore rather than a condition
    /// variable because `Synchronization.Mutex` has none; `pollThreadWaiting` under the lock
    /// makes the hand-shake free of lost wake-ups.
    private let roomSignal = DispatchSemaphore(value: 0)
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State(capacity: max(1, capacity)))
    }

    /// Called by the poll thread. Returns `false` when the buffer is full after adding
    /// (the poll thread then waits for room).
    func push(_ batch: [KafkaConsumerMessage]) -> Bool {
        let (waiter, hasRoom) = state.withLock { s -> (CheckedContinuation<[KafkaConsumerMessage]?, Never>?, Bool) in
            if s.finished { return (nil, true) }
            if !s.waiters.isEmpty { return (s.waiters.removeFirst().continuation, true) }
            s.batches.append(batch)
            return (nil, s.hasRoom)
        }
        waiter?.resume(returning: batch)
        return hasRoom
    }

    /// Blocks the calling thread until there is room for another batch. Returns `false` once
    /// `stopWaitingForRoom` has been called (at once if it was called before).
    ///
    /// - Important: Call it only from the poll thread, never from a task: it blocks its thread.
    func waitForRoom() -> Bool {
        while true {
            let ready = state.withLock { s -> Bool? in
                if s.roomWaitStopped { return false }
                if s.hasRoom { return true }
                s.pollThreadWaiting = true
                return nil
            }
            if let ready { return ready }
            roomSignal.wait()
        }
    }

    /// Makes `waitForRoom` return `false`, now and from now on: the consumer is stopping.
    func stopWaitingForRoom() {
        let wake = state.withLock { s -> Bool in
            s.roomWaitStopped = true
            return s.shouldWakePollThread()
        }
        if wake { roomSignal.signal() }
    }

    /// The next batch, or `nil` when the consumer closed or the waiting task was cancelled.
    func nextBatch() async -> [KafkaConsumerMessage]? {
        let id = state.withLock { s -> Int in
            s.nextWaiterId += 1
            return s.nextWaiterId
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<[KafkaConsumerMessage]?, Never>) in
                enum Action { case batch([KafkaConsumerMessage], wakePollThread: Bool), end, wait }
                let action = state.withLock { s -> Action in
                    if !s.batches.isEmpty {
                        let batch = s.batches.removeFirst()
                        return .batch(batch, wakePollThread: s.shouldWakePollThread())
                    }
                    if s.finished || Task.isCancelled { return .end }
                    s.waiters.append((id, c))
                    return .wait
                }
                switch action {
                case .batch(let b, let wake):
                    if wake { roomSignal.signal() }
                    c.resume(returning: b)
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
        let wake = state.withLock { s -> Bool in
            s.batches = s.batches.map { $0.filter { !partitions.contains($0.topicPartition) } }.filter { !$0.isEmpty }
            return s.shouldWakePollThread()
        }
        if wake { roomSignal.signal() }
    }

    /// Ends every iteration; buffered messages are dropped (they were not processed, so their
    /// offsets were not stored and they will be read again).
    func finish() {
        let (waiters, wake) = state.withLock { s -> ([Waiter], Bool) in
            s.finished = true
            s.batches = []
            defer { s.waiters = [] }
            return (s.waiters, s.shouldWakePollThread())
        }
        if wake { roomSignal.signal() }
        for w in waiters { w.continuation.resume(returning: nil) }
    }
}
