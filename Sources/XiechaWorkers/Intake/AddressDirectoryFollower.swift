import Kafka
import Logging
import Metrics
import Synchronization
import XiechaCore

/// Keeps the address directory (compacted `ref.address-directory.v1`) in memory: reads it from the
/// beginning at start-up, then follows it. Tombstones remove houses. It never commits offsets:
/// every process rebuilds the directory from the compacted log.
public final class AddressDirectoryFollower: Sendable {
    private let directory = Mutex(AddressDirectory())
    private let loading = Mutex<(outcome: Result<Void, any Error>?, waiters: [CheckedContinuation<Void, any Error>])>((nil, []))
    private let logger: Logger
    private let client: KafkaClientConfiguration
    private let invalid = Atomic<Int>(0)

    public init(client: KafkaClientConfiguration, logger: Logger) {
        self.client = client
        self.logger = logger
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

    /// Reads and follows the directory until the task is cancelled. An error before the
    /// directory is loaded is also thrown to `waitUntilLoaded()`.
    public func run() async throws {
        do {
            try await follow()
        } catch {
            finishLoading(.failure(error))
            throw error
        }
    }

    private func follow() async throws {
        let topic = Topic.addressDirectory.rawValue
        let admin = try KafkaAdmin(configuration: client, logger: logger)
        let marks = try await admin.watermarks(topic: topic)
        admin.close()
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
                    Counter(label: "xiecha_dead_letters_total", dimensions: [("topic", topic), ("reason", reason.kind.rawValue)]).increment()
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
