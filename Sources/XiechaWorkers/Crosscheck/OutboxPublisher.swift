import Kafka
import Logging
import Synchronization
import XiechaStore

/// Publishes the store's outbox to Kafka in the background, in sequence order, and deletes what the
/// broker acknowledged.
///
/// Alert messages reach the outbox in the same store transaction as the state and the processed
/// event ids, so once a batch is committed its messages cannot be lost: they go out now, or at the
/// next start-up if the process dies first. Publishing therefore need not hold up the next batch:
/// the crosscheck loop commits batch N+1 while this task sends batch N's messages and waits for the
/// broker. One loop publishes, so messages leave in outbox order (per community, the order the rules
/// raised them); a message is sent again only if the process dies between the send and the delete.
final class OutboxPublisher: Sendable {
    private let store: any StateStore
    private let producer: KafkaProducer
    private let logger: Logger
    private let pageSize: Int
    private let wakeUps: AsyncStream<Void>.Continuation
    private let stream: AsyncStream<Void>
    private let state = Mutex(State())

    private struct State {
        var published = 0
        var failure: (any Error)? = nil
        var done = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    init(store: any StateStore, producer: KafkaProducer, logger: Logger, pageSize: Int = 10_000) {
        self.store = store
        self.producer = producer
        self.logger = logger
        self.pageSize = pageSize
        (stream, wakeUps) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Messages published (acknowledged and deleted from the outbox) so far.
    var published: Int { state.withLock { $0.published } }

    /// Publishes until `finish()`, draining the outbox each time it is woken. Stops at the first
    /// failure (`checkFailure()` reports it); the messages stay in the outbox for the next start.
    func run() async {
        defer {
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.done = true
                defer { s.waiters = [] }
                return s.waiters
            }
            for w in waiters { w.resume() }
        }
        for await _ in stream {
            do {
                try await drain()
            } catch {
                logger.critical("publishing the outbox failed; alerts stay in the outbox for the next start", metadata: ["error": "\(error)"])
                state.withLock { $0.failure = error }
                return
            }
        }
    }

    /// Waits until `run()` has ended (after `finish()`: everything committed before it is published).
    func finished() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = state.withLock { s -> Bool in
                if !s.done { s.waiters.append(c) }
                return s.done
            }
            if done { c.resume() }
        }
    }

    /// New messages were committed to the outbox.
    func wake() { wakeUps.yield() }

    /// Ends `run()` after a last drain of everything committed before this call.
    func finish() {
        wakeUps.yield()
        wakeUps.finish()
    }

    /// Throws the failure that stopped publishing, if any.
    func checkFailure() throws {
        if let error = state.withLock({ $0.failure }) { throw error }
    }

    /// Sends every outbox message, page by page; deletes each page once the broker acknowledged it.
    func drain() async throws {
        while true {
            let page = try await store.pendingOutbox(limit: pageSize)
            guard let lastSequence = page.last?.sequence else { return }
            let group = KafkaDeliveryGroup()
            for m in page {
                try await producer.send(KafkaProducerMessage(topic: m.topic, key: Array(m.key.utf8), value: m.payload), in: group)
            }
            group.seal()
            try await group.awaitDeliveries()
            try await store.deleteOutbox(through: lastSequence)
            state.withLock { $0.published += page.count }
            if page.count < pageSize { return }
        }
    }
}
