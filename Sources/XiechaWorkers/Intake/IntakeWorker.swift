import Foundation
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import XiechaCore

/// `xiecha worker intake --feed NAME`: one department topic in, person events and dead letters out.
///
/// Per batch: validate and normalise each record (`IntakeProcessor`), resolve its house through the
/// address directory, send one person event per person keyed by ID number, send invalid records to
/// the dead-letter topic with their original bytes. A batch's input offsets are marked processed
/// only once the broker has acknowledged everything sent for it and for every batch before it;
/// the loop does not stop to wait for that (`AcknowledgedOffsetCommitter`). Bad input never stops
/// the worker.
public final class IntakeWorker: Sendable {
    public struct Options: Sendable {
        public var feed: Topic
        public var group: String?
        public var stopAtEnd: Bool = false
        public init(feed: Topic) { self.feed = feed }
        public var groupId: String { group ?? "xiecha-intake-\(feed.feedName ?? feed.rawValue)" }
        public var workerName: String { "intake-\(feed.feedName ?? feed.rawValue)" }
    }

    private let options: Options
    private let configuration: XiechaConfiguration
    private let logger: Logger
    private let health: WorkerHealth

    public init(options: Options, configuration: XiechaConfiguration, health: WorkerHealth, logger: Logger) {
        self.options = options
        self.configuration = configuration
        self.health = health
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.workerName)"
        self.logger = logger
    }

    /// Runs until graceful shutdown (or, with `stopAtEnd`, until the end offsets seen at start are
    /// processed); returns the summary.
    public func run() async throws -> WorkerSummary {
        let feed = options.feed
        let client = configuration.kafkaClient()
        logger.info("starting", metadata: ["kafka.topic": "\(feed.rawValue)", "kafka.group": "\(options.groupId)", "librdkafka": "\(KafkaProducer.librdkafkaVersion)"])

        let directory = AddressDirectoryFollower(client: client, logger: logger)
        let directoryTask = Task { try await directory.run() }
        defer { directoryTask.cancel() }
        do {
            try await withGracefulShutdownHandler {
                try await directory.waitUntilLoaded()
            } onGracefulShutdown: {
                directory.stopWaiting()
            }
        } catch is CancellationError {
            logger.info("stopped before the address directory was loaded")
            return WorkerSummary(worker: options.workerName, records: 0, out: 0, deadLetters: 0, seconds: 0)
        } catch {
            throw WorkerStartupError(
                message: "cannot load the address directory (\(Topic.addressDirectory.rawValue)) from \(client.bootstrapServers.joined(separator: ",")): \(error)")
        }

        var target: EndOffsetTarget? = nil
        if options.stopAtEnd {
            let admin = try KafkaAdmin(configuration: client, logger: logger)
            defer { admin.close() }
            target = try await EndOffsetTarget.read(admin: admin, topic: feed.rawValue, group: options.groupId)
        }

        var producerConfig = KafkaProducerConfiguration(client: client)
        producerConfig.linger = .milliseconds(5)
        // Dead letters carry the original bytes, and records over the 1 MiB record limit are dead letters too:
        // allow messages up to the dead-letter topic's own limit (TopicLayout) unless the operator set one.
        if producerConfig.client.properties["message.max.bytes"] == nil {
            producerConfig.client.properties["message.max.bytes"] = String(TopicLayout.maxDeadLetterBytes)
        }
        let producer = try KafkaProducer(configuration: producerConfig, logger: logger)
        var consumerConfig = KafkaConsumerConfiguration(client: client, groupId: options.groupId)
        ConsumerLagMetrics.install(on: &consumerConfig.client)
        // Read-ahead: 16 MiB keeps both cores busy; librdkafka's default (64 MiB per consumer) only
        // adds resident memory when a backlog arrives in large batches.
        consumerConfig.prefetchKilobytes = 16_384
        consumerConfig.autoCommitInterval = .seconds(1)
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)

        let metrics = IntakeMetrics(feed: feed)
        let processor = ParallelIntakeProcessor(feed: feed)
        var records = 0
        var out = 0
        var deadLetters = 0
        var first: ContinuousClock.Instant? = nil
        var last = ContinuousClock.now

        if let target, target.isComplete {
            await shutdown(consumer, producer)
            return WorkerSummary(worker: options.workerName, records: 0, out: 0, deadLetters: 0, seconds: 0)
        }
        let committer = AcknowledgedOffsetCommitter(consumer: consumer, logger: logger)
        try consumer.subscribe(topics: [feed.rawValue])
        health.markReady()
        let silence = FeedSilenceMonitor(window: configuration.feedSilenceWindow, start: .now)
        let watch: Task<Void, Never>? =
            options.stopAtEnd
            ? nil
            : Task { [logger, feed] in
                metrics.feedSilent.record(0)
                let every = min(Duration.seconds(60), silence.window / 10)
                while !Task.isCancelled {
                    do { try await Task.sleep(for: every) } catch { break }
                    if case .turnedSilent(let since) = silence.check(at: .now) {
                        metrics.feedSilent.record(1)
                        logger.error(
                            "feed silent: no record for longer than its window; check the department's export",
                            metadata: ["kafka.topic": "\(feed.rawValue)", "silentForSeconds": "\(Int((ContinuousClock.now - since).seconds))"])
                    }
                }
            }
        defer { watch?.cancel() }

        do {
            try await withGracefulShutdownHandler {
                for await batch in consumer.batches {
                    let started = ContinuousClock.now
                    if first == nil { first = started }
                    let group = KafkaDeliveryGroup()
                    var batchDead = 0
                    var batchOut = 0
                    let taken = target.map { t in batch.filter { t.includes($0) } } ?? batch
                    let outputs = await processor.process(taken, directory: directory.current)
                    for (m, output) in zip(taken, outputs) {
                        switch output {
                        case .events(let events):
                            for e in events {
                                try await producer.send(
                                    KafkaProducerMessage(topic: Topic.personEvents.rawValue, key: e.key, value: e.value), in: group)
                            }
                            batchOut += events.count
                        case .deadLetter(let reason, let recordId):
                            let letter = DeadLetter(
                                topic: feed.rawValue, partition: m.partition, offset: m.offset, recordId: recordId, reason: reason,
                                value: m.value)
                            try await producer.send(
                                KafkaProducerMessage(
                                    topic: Topic.deadLetters.rawValue, key: m.key, value: m.value,
                                    headers: letter.kafkaHeaders.map { KafkaHeader(key: $0.key, value: $0.value) }),
                                in: group)
                            metrics.deadLettered(reason)
                            logger.warning(
                                "dead letter",
                                metadata: [
                                    "kafka.topic": "\(feed.rawValue)", "kafka.partition": "\(m.partition)", "kafka.offset": "\(m.offset)",
                                    "recordId": "\(recordId ?? "-")", "reason": "\(reason.code)",
                                ])
                            batchDead += 1
                        }
                        target?.reached(m)
                    }
                    try committer.submit(group, for: taken)
                    let batchRecords = taken.count
                    records += batchRecords
                    out += batchOut
                    deadLetters += batchDead
                    metrics.batch(records: batchRecords, out: batchOut, started: started)
                    if batchRecords > 0, silence.recordsArrived(at: .now) == .resumed {
                        metrics.feedSilent.record(0)
                        logger.info("feed resumed", metadata: ["kafka.topic": "\(feed.rawValue)"])
                    }
                    if target?.isComplete ?? false { break }
                }
            } onGracefulShutdown: {
                // Ending the message sequence lets the loop finish its batch and stop; `finish` then
                // waits for its outputs before the offsets are committed.
                Task { await consumer.stopReading() }
            }
        } catch {
            committer.abandon()
            throw error
        }
        try await committer.finish()
        last = ContinuousClock.now  // outputs acknowledged and offsets stored
        try? await consumer.commit()
        await shutdown(consumer, producer)
        health.markNotReady()
        let seconds = first.map { (last - $0).seconds } ?? 0
        let summary = WorkerSummary(worker: options.workerName, records: records, out: out, deadLetters: deadLetters, seconds: seconds)
        logger.info("stopped", metadata: ["records": "\(records)", "out": "\(out)", "deadLetters": "\(deadLetters)"])
        return summary
    }

    private func shutdown(_ consumer: KafkaConsumer, _ producer: KafkaProducer) async {
        await consumer.close()
        await producer.shutdown()
    }
}

/// Intake metrics, created once per label set.
struct IntakeMetrics: Sendable {
    let recordsIn: Counter
    let recordsOut: Counter
    let latency: Metrics.Timer
    /// `xiecha_feed_silent{topic}`: 1 while the feed is silent (see `FeedSilenceMonitor`).
    let feedSilent: Gauge
    let feed: Topic

    init(feed: Topic) {
        self.feed = feed
        recordsIn = Counter(label: "xiecha_records_in_total", dimensions: [("topic", feed.rawValue)])
        recordsOut = Counter(label: "xiecha_records_out_total", dimensions: [("topic", Topic.personEvents.rawValue)])
        latency = Metrics.Timer(label: "xiecha_batch_processing_seconds", dimensions: [("worker", "intake")], preferredDisplayUnit: .seconds)
        feedSilent = Gauge(label: "xiecha_feed_silent", dimensions: [("topic", feed.rawValue)])
    }

    func batch(records: Int, out: Int, started: ContinuousClock.Instant) {
        recordsIn.increment(by: records)
        recordsOut.increment(by: out)
        latency.recordInterval(since: started)
    }

    func deadLettered(_ reason: DeadLetterReason) {
        Counter(label: "xiecha_dead_letters_total", dimensions: [("topic", feed.rawValue), ("reason", reason.kind.rawValue)]).increment()
    }
}

extension Duration {
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        let (s, atto) = d.components
        recordNanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}
