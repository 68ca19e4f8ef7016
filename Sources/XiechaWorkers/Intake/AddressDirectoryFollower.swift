import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import XiechaCore

/// Keeps the address directory (compacted `ref.address-directory.v1`) in memory: reads it from the
/// beginning at start-up, then follows it. Tombstones remove houses. It never commits offsets:
/// every process rebuilds the directory from the compacted log. As a `Service` it follows until
/// the process shuts down.
public final class AddressDirectoryFollower: Service, Sendable {
    private let directory = Mutex(AddressDirectory())
    private let loading = Mutex<(outcome: Result<Void, any Error>?, waiters: [CheckedContinuation<Void, any Error>])>((nil, []))
    private let logger: Logger
    private let client: KafkaClientConfiguration
    private let invalid = Atomic<Int>(0)
    private let metrics: WorkerMetrics

    /// A follower of the directory on the brokers `client` names.
    public init(client: KafkaClientConfiguration, metrics: WorkerMetrics, logger: Logger) {
        self.client = client
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether everything that was in the topic at start-up has been applied.
    public var isLoaded: Bool {
        loading.withLock { l in
            if case .success = l.outcome { return true }
            return false
        }
    }

    /// The directory as of now (a copy-on-write snapshot).
    public var current: AddressDirectory { directory.withLock { $0 } }

    /// Updates that could not be applied (logged without personal data).
    public var invalidUpdates: Int { invalid.load(ordering: .relaxed) }

    /// Waits until everything that was in the topic at start-up has been applied. Throws what
    /// made `run()` fail before that (the brokers cannot be reached, the topic does not exist),
    /// or `CancellationError` after `stopWaiting()`.
    public func waitUntilLoaded() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let outcome = loading.withLock { l -> Result<Void, any Error>? in
                if l.outcome == nil { l.waiters.append(c) }
                return l.outcome
            }
            if let outcome { c.resume(with: outcome) }
        }
    }

    /// Makes `waitUntilLoaded()` throw `CancellationError` if the directory is not loaded yet: a
    /// worker asked to stop while it waits (for brokers that do not answer) stops at once.
    public func stopWaiting() { finishLoading(.failure(CancellationError())) }

    /// The first outcome sticks; later ones change nothing.
    private func finishLoading(_ outcome: Result<Void, any Error>) {
        let waiters = loading.withLock { l -> [CheckedContinuation<Void, any Error>] in
            guard l.outcome == nil else { return [] }
            l.outcome = outcome
            defer { l.waiters = [] }
            return l.waiters
        }
        for w in waiters { w.resume(with: outcome) }
    }

    private func markLoaded() { finishLoading(.success(())) }

    /// Reads and follows the directory until graceful shutdown (or the task is cancelled). An error
    /// before the directory is loaded goes to `waitUntilLoaded()`, whose caller reports it with what
    /// it was loading for; one after that is the worker's failure.
    public func run() async throws {
        // The first broker round trips block for up to their timeout and ignore cancellation: on
        // shutdown the follower stops waiting for them (they end on their own; nothing is
        // committed) instead of holding the process's shutdown.
        let following = Task { try await self.follow() }
        do {
            guard try await valueUnlessGracefulShutdown(following) != nil else {
                finishLoading(.failure(CancellationError()))
                return
            }
        } catch is CancellationError {
            finishLoading(.failure(CancellationError()))
        } catch {
            let wasLoaded = isLoaded
            finishLoading(.failure(error))
            guard wasLoaded else {
                try? await gracefulShutdown()
                return
            }
            throw error
        }
    }

    private func follow() async throws {
        let topic = Topic.addressDirectory.rawValue
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        let marks: [Int32: (low: Int64, high: Int64)]
        do {
            marks = try await admin.watermarks(topic: topic)
            admin.close()
        } catch {
            admin.close()
            throw error
        }
        try Task.checkCancellation()
        var pending = Set(marks.filter { $0.value.high > $0.value.low }.map { $0.key })
        let ends = marks.mapValues(\.high)
        if pending.isEmpty { markLoaded() }
        var config = KafkaConsumerConfiguration(client: client, groupId: "xiecha-directory-reader")
        config.autoCommitInterval = nil
        config.offsetGapCheck = .off  // compaction leaves gaps by design
        config.fetchWaitMax = .milliseconds(50)
        let consumer = try KafkaConsumer(configuration: config, logger: logger)
        var start: [KafkaTopicPartition: Int64] = [:]
        for p in marks.keys { start[KafkaTopicPartition(topic: topic, partition: p)] = KafkaOffset.beginning }
        try consumer.assign(start)
        await withTaskCancellationHandler {
            for await batch in consumer.batches {
                var rejected: [(message: KafkaConsumerMessage, reason: DeadLetterReason)] = []
                directory.withLock { d in
                    for m in batch {
                        let key = m.key.map { String(decoding: $0, as: UTF8.self) }
                        if let reason = d.apply(key: key, value: m.value) { rejected.append((m, reason)) }
                    }
                }
                // Every intake worker reads the whole directory, so a bad entry is not dead-lettered (it
                // would be five times, again at every start): each one is logged where it is and why
                // (the house it names stays as it was), and counted with the dead letters.
                for (m, reason) in rejected {
                    invalid.add(1, ordering: .relaxed)
                    metrics.deadLettered(.addressDirectory, reason)
                    logger.error(
                        "address directory entry rejected",
                        metadata: [
                            "kafka.topic": "\(topic)", "kafka.partition": "\(m.partition)", "kafka.offset": "\(m.offset)",
                            "reason": "\(reason.code)",
                        ])
                }
                if !pending.isEmpty {
                    for m in batch where m.offset + 1 >= (ends[m.partition] ?? 0) { pending.remove(m.partition) }
                    if pending.isEmpty {
                        logger.info("address directory loaded", metadata: ["houses": "\(current.count)"])
                        markLoaded()
                    }
                }
            }
        } onCancel: {
            Task { await consumer.close() }
        }
        await consumer.close()
    }
}
