import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import XiechaCore
import XiechaStore

/// `xiecha worker crosscheck`: person events in, alerts out.
///
/// Per batch: apply the events to the persons' states (`CrosscheckProcessor`, one store
/// transaction holding state, alerts, the processed event ids and an outbox of messages); the input
/// counts as processed once that transaction is committed and the batch's dead letters are
/// acknowledged. `OutboxPublisher` publishes the outbox to `xiecha.alerts.v1` keyed by community
/// in the background, deleting what the broker acknowledged, while the next batch is processed.
/// Events are applied in event time (each at its `occurredAt`); `DeadlineTimer` fires due deadlines
/// on the wall clock the same way, once the backlog found at start is read (with `--stop-at-end`:
/// once, at the end), so a backlog or a replay gives what `xiecha simulate` gives. Killed at any
/// point it loses nothing (a committed outbox is published at the next start-up; events not
/// committed are read again) and duplicates nothing a consumer would keep (the same message per
/// alertId at most twice; events seen are skipped).
struct CrosscheckStep: WorkerStep {
    let context: WorkerContext
    let publisher: OutboxPublisher
    let pipeline: CrosscheckPipeline
    /// The backlog found at start that is not read yet; `nil` once read (or unknown). Shared with the timer.
    let backlog: BacklogTracker

    init(context: WorkerContext) throws {
        guard let store = context.store, let producer = context.producer else {
            throw WorkerRuntimeError(description: "the crosscheck worker needs a store and a producer")
        }
        self.context = context
        let processor = CrosscheckProcessor(
            store: store, engine: CrosscheckEngine(configuration: context.configuration.rules), logger: context.logger,
            metrics: context.metrics)
        publisher = OutboxPublisher(store: store, producer: producer, logger: context.logger, pageSize: 2_500)
        pipeline = CrosscheckPipeline(processor: processor, publisher: publisher, metrics: context.metrics)
        backlog = BacklogTracker()
    }

    func services() -> (beforeConsumer: [any Service], afterLoop: [any Service]) {
        let timer: [any Service] =
            context.options.stopAtEnd
            ? []
            : [
                DeadlineTimer(
                    pipeline: pipeline, backlog: backlog, consumer: context.consumer, interval: context.options.deadlineTimerInterval,
                    clock: context.options.clock, logger: context.logger)
            ]
        return ([OutboxPublisherService(publisher: publisher)], timer)
    }

    func prepare() async throws {
        // Whatever a previous run committed but did not publish goes out first.
        try await publisher.drain()
        guard !context.options.stopAtEnd else { return }
        // Live: the backlog, what the topic held at start. Until it is read, the timer does not fire
        // due deadlines on the wall clock (a person's later events may still be in it); events are
        // applied in event time throughout, so a backlog gives what `xiecha simulate` gives.
        do {
            let admin = try KafkaAdmin(configuration: context.configuration.kafkaClient(), logger: context.logger)
            defer { admin.close() }
            let target = try await EndOffsetTarget.read(admin: admin, topic: Topic.personEvents.rawValue, group: context.groupId)
            backlog.start(target)
        } catch {
            context.logger.warning("backlog unknown, deadlines fire from the start", metadata: ["error": "\(error)"])
        }
    }

    func process(_ batch: [KafkaConsumerMessage], output: BatchOutput) async throws -> BatchOutcome {
        backlog.reached(batch)
        let decoded = await batch.concurrentMap { m -> Result<PersonEvent, DeadLetterReason> in
            guard let value = m.value else { return .failure(DeadLetterReason(.emptyValue)) }
            return Result { () throws(DeadLetterReason) in try PersonEvent(jsonBytes: value) }
        }
        var events: [PersonEvent] = []
        events.reserveCapacity(batch.count)
        var refused: [RefusedInput] = []
        for (m, result) in zip(batch, decoded) {
            switch result {
            case .success(let event): events.append(event)
            case .failure(let reason): refused.append(RefusedInput(message: m, reason: reason))
            }
        }
        let (committed, commit) = try await pipeline.process(events, now: nil)
        try publisher.checkFailure()
        return BatchOutcome(out: committed, deadLetters: refused, after: commit)
    }

    func finish(reachedEnd: Bool) async throws -> Int {
        try await pipeline.flush()
        // Everything up to the end is applied: the deadlines due by now fire, as the timer of a live
        // worker would fire them (not after a stop mid-way: unread events could still close what
        // they raise).
        let fired = reachedEnd ? try await pipeline.fireDeadlines(now: context.options.clock()) : 0
        // Everything committed is published before the summary is taken.
        publisher.finish()
        await publisher.finished()
        try publisher.checkFailure()
        return fired
    }
}

/// Which part of the backlog found at start is still unread, shared by the batch loop and the
/// deadline timer. A worker in a group of several reads only its own partitions: the backlog is read
/// when every partition assigned to it is.
final class BacklogTracker: Sendable {
    private let unread = Mutex<EndOffsetTarget?>(nil)

    func start(_ target: EndOffsetTarget) {
        unread.withLock { $0 = target.isComplete ? nil : target }
    }

    func reached(_ batch: [KafkaConsumerMessage]) {
        unread.withLock { b in
            guard b != nil else { return }
            for m in batch where b?.includes(m) == true { b?.reached(m) }
        }
    }

    /// Whether the backlog within `assigned` is still being read; `false` once it is read (for good).
    func isReading(within assigned: Set<KafkaTopicPartition>, logger: Logger) -> Bool {
        unread.withLock { b -> Bool in
            guard let t = b else { return false }
            if !t.isComplete(within: assigned) { return true }
            b = nil
            logger.info("backlog read: due deadlines now fire on the wall clock")
            return false
        }
    }
}

/// Fires due deadlines on the wall clock every `interval`, once the backlog is read.
struct DeadlineTimer: Service {
    let pipeline: CrosscheckPipeline
    let backlog: BacklogTracker
    let consumer: KafkaConsumer
    let interval: Duration
    let clock: @Sendable () -> Timestamp
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                if backlog.isReading(within: consumer.assignment, logger: logger) { continue }
                do { _ = try await pipeline.fireDeadlines(now: clock()) } catch {
                    // Cancelled at shutdown: nothing is lost, due deadlines fire after the next start.
                    if Task.isCancelled { break }
                    logger.error("firing deadlines failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// Runs the outbox publisher until shutdown; on shutdown it publishes what is committed, then stops.
struct OutboxPublisherService: Service {
    let publisher: OutboxPublisher

    func run() async throws {
        await withGracefulShutdownHandler {
            await publisher.run()
        } onGracefulShutdown: {
            publisher.finish()
        }
        try publisher.checkFailure()
        // The crosscheck step finishes the publisher itself at the end of `--stop-at-end`; the
        // service still belongs to the group until the group shuts down.
        try? await gracefulShutdown()
    }
}
