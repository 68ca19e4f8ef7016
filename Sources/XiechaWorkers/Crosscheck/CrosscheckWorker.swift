import Foundation
import Kafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import XiechaCore
import XiechaStore

/// `xiecha worker crosscheck`: person events in, alerts out.
///
/// Per batch: apply the events to the persons' states (`CrosscheckProcessor`, one store
/// transaction holding state, alerts, the processed event ids and an outbox of messages), then
/// mark the input processed once that transaction is committed and the batch's dead letters are
/// acknowledged. `OutboxPublisher` publishes the outbox to `xiecha.alerts.v1` keyed by community
/// in the background, deleting what the broker acknowledged, while the next batch is processed.
/// Events are applied in event time (each at its `occurredAt`); a timer fires due deadlines on the
/// wall clock the same way, once the backlog found at start is read (with `--stop-at-end`: once,
/// at the end), so a backlog or a replay gives what `xiecha simulate` gives. Killed at any point it loses nothing (a committed outbox is published
/// at the next start-up; events not committed are read again) and duplicates nothing a consumer
/// would keep (the same message per alertId at most twice; events seen are skipped).
public final class CrosscheckWorker: Sendable {
    public struct Options: Sendable {
        public var group: String?
        public var stopAtEnd = false
        /// How often due deadlines are fired in live mode.
        public var timerInterval: Duration = .seconds(1)
        /// Injectable clock for firing deadlines (wall clock by default); events are applied at their own time.
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
        let publisher = OutboxPublisher(store: store, producer: producer, logger: logger, pageSize: 2_500)
        // Whatever a previous run committed but did not publish goes out first.
        try await publisher.drain()
        let pipeline = CrosscheckPipeline(processor: processor, publisher: publisher)

        var target: EndOffsetTarget? = nil
        // Live: the backlog, what the topic held at start. Until it is read, the timer does not fire
        // due deadlines on the wall clock (a person's later events may still be in it); events are
        // applied in event time throughout, so a backlog gives what `xiecha simulate` gives.
        var backlog: EndOffsetTarget? = nil
        if options.stopAtEnd {
            let admin = try KafkaAdmin(configuration: client, logger: logger)
            target = try await EndOffsetTarget.read(admin: admin, topic: input, group: options.groupId)
            admin.close()
        } else {
            do {
                let admin = try KafkaAdmin(configuration: client, logger: logger)
                defer { admin.close() }
                backlog = try await EndOffsetTarget.read(admin: admin, topic: input, group: options.groupId)
            } catch {
                logger.warning("backlog unknown, deadlines fire from the start", metadata: ["error": "\(error)"])
            }
        }
        // Shared with the timer. A worker in a group of several reads only its own partitions: the
        // backlog is read when every partition assigned to it is.
        let unread = Mutex<EndOffsetTarget?>(backlog?.isComplete == false ? backlog : nil)
        var consumerConfig = KafkaConsumerConfiguration(client: client, groupId: options.groupId)
        ConsumerLagMetrics.install(on: &consumerConfig.client)
        consumerConfig.autoCommitInterval = .seconds(1)
        consumerConfig.maxBatchSize = 2_500
        // A batch takes a store transaction; a few batches read ahead are plenty (and memory is
        // better spent on the store's cache).
        consumerConfig.prefetchKilobytes = 8_192
        consumerConfig.maxBufferedBatches = 2
        let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)

        var records = 0
        var out = 0
        var deadLetters = 0
        var first: ContinuousClock.Instant? = nil
        var last = ContinuousClock.now
        let clock = options.clock
        let metrics = CrosscheckMetrics()

        if target?.isComplete != true {
            let publishing = Task { await publisher.run() }
            let committer = AcknowledgedOffsetCommitter(consumer: consumer, logger: logger)
            try consumer.subscribe(topics: [input])
            health.markReady()
            let timer: Task<Void, Never>? =
                options.stopAtEnd
                ? nil
                : Task { [options, logger] in
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: options.timerInterval) } catch { break }
                        let assigned = consumer.assignment
                        let waiting = unread.withLock { b -> Bool in
                            guard let t = b else { return false }
                            if !t.isComplete(within: assigned) { return true }
                            b = nil
                            logger.info("backlog read: due deadlines now fire on the wall clock")
                            return false
                        }
                        if waiting { continue }
                        do { _ = try await pipeline.fireDeadlines(now: clock()) } catch {
                            // Cancelled at shutdown: nothing is lost, due deadlines fire after the next start.
                            if Task.isCancelled { break }
                            logger.error("firing deadlines failed", metadata: ["error": "\(error)"])
                        }
                    }
                }
            defer { timer?.cancel() }
            do {
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
                            if !options.stopAtEnd {
                                unread.withLock { b in if b?.includes(m) == true { b?.reached(m) } }
                            }
                        }
                        let decoded = await taken.concurrentMap { m -> Result<PersonEvent, DeadLetterReason> in
                            guard let value = m.value else { return .failure(DeadLetterReason(.emptyValue)) }
                            return Result { () throws(DeadLetterReason) in try PersonEvent(jsonBytes: value) }
                        }
                        for (m, result) in zip(taken, decoded) {
                            switch result {
                            case .success(let event):
                                events.append(event)
                            case .failure(let reason):
                                let letter = DeadLetter(topic: input, partition: m.partition, offset: m.offset, reason: reason, value: m.value)
                                metrics.deadLettered(reason)
                                letters.append(KafkaProducerMessage(topic: Topic.deadLetters.rawValue, key: m.key, value: m.value, headers: letter.kafkaHeaders.map { KafkaHeader(key: $0.key, value: $0.value) }))
                                logger.warning("dead letter", metadata: ["kafka.partition": "\(m.partition)", "kafka.offset": "\(m.offset)", "reason": "\(letter.reason.code)"])
                            }
                        }
                        let group = KafkaDeliveryGroup()
                        for letter in letters { try await producer.send(letter, in: group) }
                        let (committed, commit) = try await pipeline.process(events, now: nil)
                        try publisher.checkFailure()
                        try committer.submit(group, after: commit, for: taken)
                        records += taken.count
                        out += committed
                        deadLetters += letters.count
                        metrics.batch(events: taken.count, started: started)
                        last = ContinuousClock.now
                        if target?.isComplete == true { break }
                    }
                } onGracefulShutdown: {
                    Task { await consumer.stopReading() }
                }
            } catch {
                committer.abandon()
                publisher.finish()
                throw error
            }
            timer?.cancel()
            _ = await timer?.value
            try await pipeline.flush()
            if target?.isComplete == true {
                // Everything up to the end is applied: the deadlines due by now fire, as the timer
                // of a live worker would fire them (not after a stop mid-way: unread events could
                // still close what they raise).
                out += try await pipeline.fireDeadlines(now: clock())
            }
            try await committer.finish()
            publisher.finish()
            await publishing.value
            try publisher.checkFailure()
            last = ContinuousClock.now  // everything committed is published
        } else if target != nil {
            // Nothing new to read: only the deadlines due by now.
            let fired = try await pipeline.fireDeadlines(now: clock())
            if fired > 0 {
                try await publisher.drain()
                out += fired
            }
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

/// Runs the batch path and the deadline timer one at a time (both read and write persons), and
/// overlaps the store commit of one batch with the computation of the next: batch N+1 is applied
/// in memory (on top of batch N's states) while batch N's transaction is written. Commits run in
/// batch order, one at a time.
actor CrosscheckPipeline {
    let processor: CrosscheckProcessor
    let publisher: OutboxPublisher
    let metrics = CrosscheckMetrics()
    private var inFlight: (batch: CrosscheckProcessor.PreparedBatch, commit: Task<Void, any Error>)? = nil
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(processor: CrosscheckProcessor, publisher: OutboxPublisher) {
        self.processor = processor
        self.publisher = publisher
    }

    /// Applies events and starts their commit; returns the alert messages the batch adds to the
    /// outbox and the commit, which the caller awaits before marking the input processed.
    func process(_ events: [PersonEvent], now: Timestamp?) async throws -> (messages: Int, commit: Task<Void, any Error>) {
        await acquire()
        defer { release() }
        let prepared = try await processor.prepare(events, now: now, after: inFlight?.batch)
        for m in prepared.outcome.messages { metrics.alert(m) }
        let previous = inFlight?.commit
        let processor = self.processor
        let publisher = self.publisher
        let hasMessages = !prepared.outcome.messages.isEmpty
        let commit = Task {
            try await previous?.value
            try await processor.commit(prepared)
            if hasMessages { publisher.wake() }
        }
        inFlight = (prepared, commit)
        // The next batch may read the store as soon as this returns: every commit before this
        // batch's must be done by then (this batch's own states it takes from `inFlight`).
        try await previous?.value
        return (prepared.outcome.messages.count, commit)
    }

    /// Waits for the commit in flight, if any.
    func flush() async throws {
        await acquire()
        defer { release() }
        try await flushLocked()
    }

    func fireDeadlines(now: Timestamp) async throws -> Int {
        await acquire()
        defer { release() }
        try await flushLocked()
        let messages = try await processor.advance(to: now)
        for m in messages { metrics.alert(m) }
        if !messages.isEmpty { publisher.wake() }
        return messages.count
    }

    private func flushLocked() async throws {
        if let f = inFlight {
            inFlight = nil
            try await f.commit.value
        }
    }

    private func acquire() async {
        if !busy {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()  // ownership passes to the next waiter
        }
    }
}

struct CrosscheckMetrics: Sendable {
    let eventsIn = Counter(label: "xiecha_records_in_total", dimensions: [("topic", Topic.personEvents.rawValue)])
    let recordsOut = Counter(label: "xiecha_records_out_total", dimensions: [("topic", Topic.alerts.rawValue)])
    let latency = Metrics.Timer(label: "xiecha_batch_processing_seconds", dimensions: [("worker", "crosscheck")], preferredDisplayUnit: .seconds)

    func batch(events: Int, started: ContinuousClock.Instant) {
        eventsIn.increment(by: events)
        latency.recordInterval(since: started)
    }

    func deadLettered(_ reason: DeadLetterReason) {
        Counter(label: "xiecha_dead_letters_total", dimensions: [("topic", Topic.personEvents.rawValue), ("reason", reason.kind.rawValue)]).increment()
    }

    func alert(_ m: AlertMessage) {
        recordsOut.increment()
        Counter(label: m.status == .open ? "xiecha_alerts_raised_total" : "xiecha_alerts_closed_total", dimensions: [("type", m.type.rawValue)]).increment()
    }
}
