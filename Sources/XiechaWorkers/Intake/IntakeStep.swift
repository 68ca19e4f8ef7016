import Foundation
import Kafka
import Logging
import ServiceLifecycle
import XiechaCore

/// `xiecha worker intake --feed NAME`: one department topic in, person events and dead letters out.
///
/// Per batch: validate and normalise each record (`ParallelIntakeProcessor`, on all cores), resolve
/// its house through the address directory, send one person event per person keyed by ID number;
/// invalid records become dead letters with their original bytes. Bad input never stops the worker.
/// The address directory is followed by its own service, loaded before the first batch.
struct IntakeStep: WorkerStep {
    let feed: Feed
    let context: WorkerContext
    let directory: AddressDirectoryFollower
    let processor: ParallelIntakeProcessor
    let silence: FeedSilenceMonitor

    init(feed: Feed, context: WorkerContext) {
        self.feed = feed
        self.context = context
        self.directory = AddressDirectoryFollower(client: context.configuration.kafkaClient(), metrics: context.metrics, logger: context.logger)
        self.processor = ParallelIntakeProcessor(feed: feed.topic)
        self.silence = FeedSilenceMonitor(window: context.configuration.feedSilenceWindow, start: .now)
    }

    func services() -> (beforeConsumer: [any Service], afterLoop: [any Service]) {
        let watch: [any Service] =
            context.options.stopAtEnd
            ? [] : [FeedSilenceWatch(feed: feed.topic, monitor: silence, metrics: context.metrics, logger: context.logger)]
        return ([directory], watch)
    }

    func prepare() async throws {
        do {
            try await directory.waitUntilLoaded()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let client = context.configuration.kafkaClient()
            throw WorkerStartupError(
                message: "cannot load the address directory (\(Topic.addressDirectory.rawValue)) from \(client.bootstrapServers.joined(separator: ",")): \(error)")
        }
    }

    func stopPreparing() { directory.stopWaiting() }

    var preparation: String { "the address directory was loaded" }

    func process(_ batch: [KafkaConsumerMessage], output: BatchOutput) async throws -> BatchOutcome {
        var outcome = BatchOutcome()
        let outputs = await processor.process(batch, directory: directory.current)
        for (m, result) in zip(batch, outputs) {
            switch result {
            case .events(let events):
                for e in events { try await output.send(.personEvents, key: e.key, value: e.value) }
                outcome.out += events.count
            case .deadLetter(let reason, let recordId):
                outcome.deadLetters.append(RefusedInput(message: m, reason: reason, recordId: recordId))
            }
        }
        context.metrics.recordsOut(.personEvents).increment(by: outcome.out)
        if !batch.isEmpty, silence.recordsArrived(at: .now) == .resumed {
            context.metrics.feedSilent(feed.topic).record(0)
            context.logger.info("feed resumed", metadata: ["kafka.topic": "\(feed.topic.rawValue)"])
        }
        return outcome
    }
}

/// Feed health (DESIGN.md "Observability"): checks the feed's silence on a timer and raises the
/// operator alert (an error line and `xiecha_feed_silent{topic}` = 1) once when it turns silent.
struct FeedSilenceWatch: Service {
    let feed: Topic
    let monitor: FeedSilenceMonitor
    let metrics: WorkerMetrics
    let logger: Logger

    func run() async throws {
        let gauge = metrics.feedSilent(feed)
        gauge.record(0)
        let every = min(Duration.seconds(60), monitor.window / 10)
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: every)
                if case .turnedSilent(let since) = monitor.check(at: .now) {
                    gauge.record(1)
                    logger.error(
                        "feed silent: no record for longer than its window; check the department's export",
                        metadata: ["kafka.topic": "\(feed.rawValue)", "silentForSeconds": "\(Int((ContinuousClock.now - since).seconds))"])
                }
            }
        }
    }
}
