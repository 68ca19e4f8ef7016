import Foundation
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import XiechaCore
import XiechaStore

/// `xiecha worker crosscheck`: person events in, alerts out.
///
/// Per batch: apply the events to the persons' states (`CrosscheckProcessor`, one store
/// transaction holding state, alerts and an outbox of messages), publish the outbox to
/// `xiecha.alerts.v1` keyed by community, wait for the broker, delete the outbox, then mark the
/// input processed. A timer fires due deadlines on the wall clock the same way. Killed at any
/// point it loses nothing (the outbox is published again at start-up) and duplicates nothing a
/// consumer would keep (the same message per alertId at most twice; events seen are skipped).
public final class CrosscheckWorker: Sendable {
    public struct Options: Sendable {
        public var group: String?
        public var stopAtEnd = false
        /// How often due deadlines are fired in live mode.
        public var timerInterval: Duration = .seconds(1)
        /// Injectable clock (wall clock by default).
        public var clock: @Sendable () -> Timestamp = { Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)) }
        public init() {}
        public var groupId: String { group ?? "xiecha-crosscheck" }
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
        logger[metadataKey: "worker"] = "crosscheck"
        self.logger = logger
    }

    public func run() async throws -> WorkerSummary {
        let client = configuration.kafkaClient()
        let input = Topic.personEvents.rawValue
        logger.info("starting", metadata: ["kafka.topic": "\(input)", "kafka.group": "\(options.groupId)", "store": "\(storeKind)"])
        let store = try await makeStateStore(url: configuration.store, logger: logger)
        let processor = CrosscheckProcessor(store: store, engine: CrosscheckEngine(configuration: configuration.rules), logger: logger)
        var producerConfig = KafkaProducerConfiguration(client: client)
        producerConfig.linger = .milliseconds(5)
        let producer = try KafkaProducer(configuration: producerConfig, logger: logger)
        let pipeline = CrosscheckPipeline(processor: processor, producer: producer, logger: logger)
        // Whatever a previous run committed but did not publish goes out first.
        try await pipeline.publishOutbox()

        var target: EndOffsetTarget? = nil
        if options.stopAtEnd {
            let admin = try KafkaAdmin(configuration: client, logger: logger)
            target = try await EndOffsetTarget.read(admin: admin, topic: input, group: options.groupId)
            admin.close()
        }
        var consumerConfig = KafkaConsumerConfiguration(client: client, groupId: options.groupId)
        consumerConfig.autoCommitInterval = .seconds(1)
        consumerConfig.maxBatchSize = 5_000
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)

        var records = 0
        var out = 0
        var deadLetters = 0
        var first: ContinuousClock.Instant? = nil
        var last = ContinuousClock.now
        let clock = options.clock
        let metrics = CrosscheckMetrics()

        if target?.isComplete != true {
            try consumer.subscribe(topics: [input])
            health.markReady()
            let timer: Task<Void, Never>? =
                options.stopAtEnd
                ? nil
                : Task { [options, logger] in
                    while !Task.isCancelled {
                        try? await Task.sleep(for: options.timerInterval)
                        do { _ = try await pipeline.fireDeadlines(now: clock()) } catch {
                            logger.error("firing deadlines failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            defer { timer?.cancel() }
            try await withGracefulShutdownHandler {
                for await batch in consumer.batches {
                    let started = ContinuousClock.now
                    if first == nil { first = started }
                    var events: [PersonEvent] = []
                    events.reserveCapacity(batch.count)
                    var letters: [KafkaProducerMessage] = []
                    var taken: [KafkaConsumerMessage] = []
                    taken.reserveCapacity(batch.count)
                    for m in batch {
                        if let t = target, !t.includes(m) { continue }
                        taken.append(m)
                        target?.reached(m)
                        do {
                            guard let value = m.value else { throw DeadLetterReason(.emptyValue) }
                            events.append(try PersonEvent(jsonBytes: value))
                        } catch {
                            let letter = DeadLetter(topic: input, partition: m.partition, offset: m.offset, reason: error as? DeadLetterReason ?? DeadLetterReason(.notJSON), value: m.value)
                            letters.append(KafkaProducerMessage(topic: Topic.deadLetters.rawValue, key: m.key, value: m.value, headers: letter.kafkaHeaders.map { KafkaHeader(key: $0.key, value: $0.value) }))
                            logger.warning("dead letter", metadata: ["kafka.partition": "\(m.partition)", "kafka.offset": "\(m.offset)", "reason": "\(letter.reason.code)"])
                        }
                    }
                    let published = try await pipeline.process(events, deadLetters: letters, now: clock())
                    try consumer.storeOffsets(taken)
                    records += taken.count
                    out += published
                    deadLetters += letters.count
                    metrics.batch(events: taken.count, started: started)
                    last = ContinuousClock.now
                    if target?.isComplete == true { break }
                }
            } onGracefulShutdown: {
                Task { await consumer.stopReading() }
            }
            timer?.cancel()
        }
        try? await consumer.commit()
        await consumer.close()
        await producer.shutdown()
        try await store.close()
        health.markNotReady()
        let seconds = first.map { (last - $0).seconds } ?? 0
        logger.info("stopped", metadata: ["records": "\(records)", "alerts": "\(out)", "deadLetters": "\(deadLetters)"])
        return WorkerSummary(worker: "crosscheck", records: records, out: out, deadLetters: deadLetters, seconds: seconds)
    }

    private var storeKind: String {
        configuration.store.hasPrefix("postgres") ? "postgres" : configuration.store.hasPrefix("sqlite") ? "sqlite" : "memory"
    }
}

/// Serialises the batch path and the deadline timer: both commit to the store and publish the outbox.
actor CrosscheckPipeline {
    let processor: CrosscheckProcessor
    let producer: KafkaProducer
    let logger: Logger
    let metrics = CrosscheckMetrics()

    init(processor: CrosscheckProcessor, producer: KafkaProducer, logger: Logger) {
        self.processor = processor
        self.producer = producer
        self.logger = logger
    }

    /// Applies events, publishes the resulting alerts and dead letters; returns the alert messages published.
    func process(_ events: [PersonEvent], deadLetters: [KafkaProducerMessage], now: Timestamp) async throws -> Int {
        let outcome = try await processor.process(events, now: now)
        for m in outcome.messages { metrics.alert(m) }
        for letter in deadLetters { try await producer.send(letter) }
        return try await publishOutbox()
    }

    func fireDeadlines(now: Timestamp) async throws -> Int {
        let messages = try await processor.advance(to: now)
        for m in messages { metrics.alert(m) }
        return messages.isEmpty ? 0 : try await publishOutbox()
    }

    /// Sends every outbox message, waits for the broker, then deletes them from the outbox.
    @discardableResult
    func publishOutbox() async throws -> Int {
        var total = 0
        while true {
            let pending = try await processor.store.pendingOutbox(limit: 10_000)
            guard let lastSequence = pending.last?.sequence else { break }
            for m in pending {
                try await producer.send(KafkaProducerMessage(topic: m.topic, key: Array(m.key.utf8), value: m.payload))
            }
            try await producer.awaitDeliveries()
            try await processor.store.deleteOutbox(through: lastSequence)
            total += pending.count
            if pending.count < 10_000 { break }
        }
        try await producer.awaitDeliveries()
        return total
    }
}

struct CrosscheckMetrics: Sendable {
    let eventsIn = Counter(label: "xiecha_records_in_total", dimensions: [("topic", Topic.personEvents.rawValue)])
    let latency = Metrics.Timer(label: "xiecha_batch_processing_seconds", dimensions: [("worker", "crosscheck")], preferredDisplayUnit: .seconds)

    func batch(events: Int, started: ContinuousClock.Instant) {
        eventsIn.increment(by: events)
        latency.recordInterval(since: started)
    }

    func alert(_ m: AlertMessage) {
        Counter(label: m.status == .open ? "xiecha_alerts_raised_total" : "xiecha_alerts_closed_total", dimensions: [("type", m.type.rawValue)]).increment()
    }
}
