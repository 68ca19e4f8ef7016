import Kafka

/// `--stop-at-end`: the end offsets of the input seen at start, and which partitions still have
/// records below them. Records at or beyond a partition's end are not this run's.
public struct EndOffsetTarget: Sendable {
    /// Per partition, the offset one past the last record this run must process.
    public private(set) var ends: [KafkaTopicPartition: Int64]
    private var remaining: Set<KafkaTopicPartition>

    /// Reads the end offsets and the group's committed offsets (partitions already at their end
    /// need nothing).
    public static func read(admin: KafkaAdmin, topic: String, group: String) async throws -> EndOffsetTarget {
        let marks: [Int32: (low: Int64, high: Int64)]
        let committed: [KafkaTopicPartition: Int64?]
        do {
            marks = try await admin.watermarks(topic: topic)
            committed = try await admin.committedOffsets(group: group, topic: topic)
        } catch {
            throw WorkerStartupError(message: "cannot read where \(topic) ends and where group \(group) stands in it (--stop-at-end): \(error)")
        }
        var ends: [KafkaTopicPartition: Int64] = [:]
        var remaining: Set<KafkaTopicPartition> = []
        for (p, w) in marks {
            let tp = KafkaTopicPartition(topic: topic, partition: p)
            ends[tp] = w.high
            let start = max((committed[tp] ?? nil) ?? w.low, w.low)
            if start < w.high { remaining.insert(tp) }
        }
        return EndOffsetTarget(ends: ends, remaining: remaining)
    }

    init(ends: [KafkaTopicPartition: Int64], remaining: Set<KafkaTopicPartition>) {
        self.ends = ends
        self.remaining = remaining
    }

    public var isComplete: Bool { remaining.isEmpty }

    /// Whether every partition in `assigned` is processed up to its end: the part of the topic a
    /// consumer in a group of several is responsible for (an empty assignment is not).
    public func isComplete(within assigned: Set<KafkaTopicPartition>) -> Bool {
        !assigned.isEmpty && remaining.isDisjoint(with: assigned)
    }

    /// Whether this run should process the message (it lies below its partition's end).
    public func includes(_ m: KafkaConsumerMessage) -> Bool {
        guard let end = ends[m.topicPartition] else { return false }
        return m.offset < end
    }

    /// Notes the highest offset processed in a partition.
    public mutating func reached(_ m: KafkaConsumerMessage) {
        if let end = ends[m.topicPartition], m.offset + 1 >= end { remaining.remove(m.topicPartition) }
    }
}

/// The one JSON line a `--stop-at-end` worker prints (DESIGN.md "Interfaces").
public struct WorkerSummary: Sendable, Codable, Equatable {
    public var worker: String
    public var records: Int
    public var out: Int
    public var deadLetters: Int
    /// From the first record to the last.
    public var seconds: Double
    public var recordsPerSecond: Double

    public init(worker: String, records: Int, out: Int, deadLetters: Int, seconds: Double) {
        self.worker = worker
        self.records = records
        self.out = out
        self.deadLetters = deadLetters
        self.seconds = seconds
        self.recordsPerSecond = seconds > 0 ? Double(records) / seconds : 0
    }

    public var jsonLine: String {
        let rps = (recordsPerSecond * 10).rounded() / 10
        let secs = (seconds * 1000).rounded() / 1000
        return "{\"worker\":\"\(worker)\",\"records\":\(records),\"out\":\(out),\"deadLetters\":\(deadLetters),\"seconds\":\(secs),\"recordsPerSecond\":\(rps)}"
    }
}
