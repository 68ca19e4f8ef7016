import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import XiechaCore

/// The one batch loop every worker runs: consume a batch → the step → dead letters → the batch's
/// delivery group → offsets stored once its outputs are acknowledged → counts. Written once; a
/// worker kind supplies only its ``WorkerStep``.
///
/// As a `Service` it starts after the clients it uses and stops before them: on graceful shutdown
/// it stops reading, finishes the batch in hand, waits for its outputs and stores the offsets; the
/// consumer (next in the reverse order) then commits them and leaves the group, and the producer
/// flushes last. With `--stop-at-end` it ends by itself once the end offsets seen at start are
/// processed, and the group shuts down the same way.
final class BatchLoop: Service, Sendable {
    let kind: WorkerKind
    let step: any WorkerStep
    let context: WorkerContext
    private let result = Mutex<WorkerSummary?>(nil)

    init(kind: WorkerKind, step: any WorkerStep, context: WorkerContext) {
        self.kind = kind
        self.step = step
        self.context = context
    }

    /// The summary, once the loop has stopped.
    var summary: WorkerSummary? { result.withLock { $0 } }

    func run() async throws {
        let logger = context.logger
        let step = self.step
        do {
            try await withGracefulShutdownHandler {
                try await step.prepare()
            } onGracefulShutdown: {
                step.stopPreparing()
            }
        } catch is CancellationError {
            logger.info("stopped before \(step.preparation)")
            report(records: 0, out: 0, deadLetters: 0, seconds: 0)
            return
        }

        let input = kind.input
        var target: EndOffsetTarget? = nil
        if context.options.stopAtEnd {
            let admin = try KafkaAdmin(configuration: context.configuration.kafkaClient(), logger: logger)
            defer { admin.close() }
            target = try await EndOffsetTarget.read(admin: admin, topic: input.rawValue, group: context.groupId)
        }
        if target?.isComplete == true {
            // Nothing new to read: only what the step does at the end (deadlines due by now).
            let out = try await step.finish(reachedEnd: true)
            report(records: 0, out: out, deadLetters: 0, seconds: 0)
            return
        }

        let consumer = context.consumer
        let committer = AcknowledgedOffsetCommitter(consumer: consumer, logger: logger)
        try consumer.subscribe(topics: [input.rawValue])
        // Ready from now on while it holds partitions and its store answers.
        context.health.add(WorkerHealth.Check(name: "kafka.assignment") { !consumer.assignment.isEmpty })
        if let store = context.store {
            context.health.add(
                WorkerHealth.Check(name: "store") {
                    do {
                        _ = try await store.nextDeadlineMs()
                        return true
                    } catch { return false }
                })
        }
        if let inbox = context.inbox {
            context.health.add(
                WorkerHealth.Check(name: "inbox") {
                    do {
                        _ = try await inbox.nextDeliveryDueMs()
                        return true
                    } catch { return false }
                })
        }

        let recordsIn = context.metrics.recordsIn(input)
        let latency = context.metrics.batchLatency(worker: kind.metricsLabel)
        var records = 0
        var out = 0
        var deadLetters = 0
        var first: ContinuousClock.Instant? = nil
        do {
            try await withGracefulShutdownHandler {
                for await batch in consumer.batches {
                    let started = ContinuousClock.now
                    if first == nil { first = started }
                    var taken = batch
                    if let t = target {
                        taken = batch.filter { t.includes($0) }
                        for m in taken { target?.reached(m) }
                    }
                    let output = BatchOutput(producer: context.producer, group: KafkaDeliveryGroup())
                    let outcome = try await step.process(taken, output: output)
                    for refused in outcome.deadLetters { try await sendDeadLetter(refused, output: output) }
                    try committer.submit(output.group, after: outcome.after, for: taken)
                    records += taken.count
                    out += outcome.out
                    deadLetters += outcome.deadLetters.count
                    recordsIn.increment(by: taken.count)
                    latency.recordInterval(since: started)
                    if target?.isComplete == true { break }
                }
            } onGracefulShutdown: {
                // Ending the batches lets the loop finish the batch in hand; the offsets are stored below.
                Task { await consumer.stopReading() }
            }
            out += try await step.finish(reachedEnd: target?.isComplete == true)
        } catch {
            committer.abandon()
            throw error
        }
        try await committer.finish()
        let seconds = first.map { (ContinuousClock.now - $0).seconds } ?? 0
        report(records: records, out: out, deadLetters: deadLetters, seconds: seconds)
    }

    /// Sends a refused input to the dead-letter topic with its original key and bytes, and says
    /// where it came from and why in headers, a log line and a metric (never its content).
    private func sendDeadLetter(_ refused: RefusedInput, output: BatchOutput) async throws {
        let m = refused.message
        let letter = DeadLetter(
            topic: m.topic, partition: m.partition, offset: m.offset, recordId: refused.recordId, reason: refused.reason,
            value: m.value)
        try await output.send(
            .deadLetters, key: m.key, value: m.value, headers: letter.kafkaHeaders.map { KafkaHeader(key: $0.key, value: $0.value) })
        context.metrics.deadLettered(kind.input, refused.reason)
        context.logger.warning(
            "dead letter",
            metadata: [
                "kafka.topic": "\(m.topic)", "kafka.partition": "\(m.partition)", "kafka.offset": "\(m.offset)",
                "recordId": "\(refused.recordId ?? "-")", "reason": "\(refused.reason.code)",
            ])
    }

    private func report(records: Int, out: Int, deadLetters: Int, seconds: Double) {
        let summary = WorkerSummary(worker: kind.name, records: records, out: out, deadLetters: deadLetters, seconds: seconds)
        result.withLock { $0 = summary }
        context.logger.info("stopped", metadata: ["records": "\(records)", "out": "\(out)", "deadLetters": "\(deadLetters)"])
    }
}
