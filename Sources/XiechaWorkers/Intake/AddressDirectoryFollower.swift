import Kafka
import Logging
import Synchronization
import XiechaCore

/// Keeps the address directory (compacted `ref.address-directory.v1`) in memory: reads it from the
/// beginning at start-up, then follows it. Tombstones remove houses. It never commits offsets:
/// every process rebuilds the directory from the compacted log.
public final class AddressDirectoryFollower: Sendable {
    private let directory = Mutex(AddressDirectory())
    private let loaded = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
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

    /// Waits until everything that was in the topic at start-up has been applied.
    public func waitUntilLoaded() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = loaded.withLock { l -> Bool in
                if l.done { return true }
                l.waiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    private func markLoaded() {
        let waiters = loaded.withLock { l -> [CheckedContinuation<Void, Never>] in
            l.done = true
            defer { l.waiters = [] }
            return l.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Reads and follows the directory until the task is cancelled.
    public func run() async throws {
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
                var rejected = 0
                directory.withLock { d in
                    for m in batch {
                        let key = m.key.map { String(decoding: $0, as: UTF8.self) }
                        if d.apply(key: key, value: m.value) != nil { rejected += 1 }
                    }
                }
                if rejected > 0 {
                    invalid.add(rejected, ordering: .relaxed)
                    logger.error("address directory updates rejected", metadata: ["count": "\(rejected)", "kafka.topic": "\(topic)"])
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
