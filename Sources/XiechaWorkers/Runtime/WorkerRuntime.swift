import Kafka
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import XiechaCore
import XiechaStore

/// Builds a worker process: the one way every worker kind is put together (in the spirit of
/// Hummingbird's `buildApplication`).
///
/// The services run in dependency order — store, producer, the step's own services (an outbox
/// publisher, the address directory), consumer, the batch loop, the step's timers, the HTTP server —
/// so a graceful shutdown (SIGTERM, SIGINT, or `--stop-at-end` reaching the end) runs in reverse:
/// the loop stops and stores its offsets, the consumer commits and leaves the group, the publisher
/// drains, the producer flushes last, the store closes. Every client opened here is closed on every
/// path: by its service once the group runs, or here when building fails half-way.
public enum WorkerRuntime {
    /// The process's metrics and where `/metrics` renders them from.
    public struct Observability: Sendable {
        /// The handles the worker records into.
        public var metrics: WorkerMetrics
        /// What `/metrics` renders.
        public var registry: PrometheusCollectorRegistry

        /// Metrics into `registry` through a Prometheus factory. Pass a fresh registry per process
        /// (or per test); bootstrapping swift-metrics globally is the caller's choice, not needed here.
        public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
            self.registry = registry
            self.metrics = WorkerMetrics(factory: PrometheusMetricsFactory(registry: registry))
        }

        /// The process's one registry, bootstrapped into swift-metrics on first use — before any
        /// worker is built — so that metrics made anywhere with the global factory (the Kafka
        /// module's) land in `/metrics` too. For the `xiecha` executable; tests make their own.
        public static let process: Observability = {
            let o = Observability()
            MetricsSystem.bootstrap(o.metrics.factory)
            return o
        }()

        /// Metrics into `factory` (a test kit's), with an empty registry behind `/metrics`.
        public init(factory: any MetricsFactory) {
            self.registry = PrometheusCollectorRegistry()
            self.metrics = WorkerMetrics(factory: factory)
        }
    }

    /// Builds the worker process of `kind`.
    public static func build(
        kind: WorkerKind, options: WorkerRunOptions, configuration: XiechaConfiguration, observability: Observability,
        logger: Logger
    ) async throws -> WorkerProcess {
        var logger = logger
        logger[metadataKey: "worker"] = "\(kind.name)"
        let groupId = options.group ?? kind.defaultGroup
        logger.info(
            "starting",
            metadata: [
                "kafka.topic": "\(kind.input.rawValue)", "kafka.group": "\(groupId)", "librdkafka": "\(KafkaProducer.librdkafkaVersion)",
            ])
        let client = configuration.kafkaClient()
        let health = WorkerHealth()
        let metrics = observability.metrics

        // Opened in order; on a failure everything opened so far is closed again.
        var opened = OpenedClients()
        do {
            if kind.usesStore {
                let store = try await makeStateStore(url: configuration.store, logger: logger)
                opened.store = store
            }
            if kind.usesInbox {
                opened.inbox = try await makeInboxStore(url: configuration.inboxStoreURL, logger: logger)
            }
            if kind.produces {
                var producerConfig = KafkaProducerConfiguration(client: client)
                kind.tune(&producerConfig)
                opened.producer = try KafkaProducer(configuration: producerConfig, logger: logger)
            }
            var consumerConfig = KafkaConsumerConfiguration(client: client, groupId: groupId)
            if kind.reportsLag { metrics.installConsumerLag(on: &consumerConfig.client) }
            kind.tune(&consumerConfig)
            let consumer = try KafkaConsumer(configuration: consumerConfig, logger: logger)
            opened.consumer = consumer
            let context = WorkerContext(
                configuration: configuration, options: options, logger: logger, metrics: metrics, health: health, consumer: consumer,
                producer: opened.producer, store: opened.store, inbox: opened.inbox, groupId: groupId)
            let step = try kind.makeStep(context)
            let loop = BatchLoop(kind: kind, step: step, context: context)
            let stepServices = step.services()

            var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
            func add(_ service: any Service, endsGroup: Bool = false) {
                services.append(
                    .init(
                        service: service, successTerminationBehavior: endsGroup ? .gracefullyShutdownGroup : .cancelGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup))
            }
            if let store = opened.store { add(StoreService(store: store, logger: logger)) }
            if let inbox = opened.inbox { add(InboxStoreService(inbox: inbox, logger: logger)) }
            if let producer = opened.producer { add(producer) }
            for s in stepServices.beforeConsumer { add(s) }
            add(consumer)
            add(loop, endsGroup: true)
            for s in stepServices.afterLoop { add(s) }
            if let port = options.httpPort {
                add(
                    WorkerHTTPServer(
                        port: port, registry: observability.registry, health: health, logger: logger, onListening: options.onHTTPListening))
            }
            var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            groupConfiguration.maximumGracefulShutdownDuration = options.maximumGracefulShutdown
            return WorkerProcess(group: ServiceGroup(configuration: groupConfiguration), loop: loop, health: health)
        } catch {
            await opened.close()
            throw error
        }
    }

    /// What `build` opened so far, to close on a failure.
    private struct OpenedClients {
        var store: (any StateStore)?
        var inbox: (any InboxStore)?
        var producer: KafkaProducer?
        var consumer: KafkaConsumer?

        func close() async {
            await consumer?.close()
            await producer?.shutdown()
            try? await inbox?.close()
            try? await store?.close()
        }
    }
}

/// A built worker process: run it once.
public struct WorkerProcess: Sendable {
    let group: ServiceGroup
    let loop: BatchLoop
    /// Its readiness, as `/health/ready` reports it.
    public let health: WorkerHealth

    /// Runs every service until the loop ends (`--stop-at-end`) or a signal asks for a graceful
    /// shutdown; returns the batch loop's summary. Throws the first service's failure, after the
    /// others shut down in order.
    public func run() async throws -> WorkerSummary {
        try await group.run()
        guard let summary = loop.summary else {
            throw WorkerRuntimeError(description: "the worker stopped without finishing its batch loop")
        }
        return summary
    }

    /// Asks the process to shut down gracefully, as SIGTERM would.
    public func triggerGracefulShutdown() async {
        await group.triggerGracefulShutdown()
    }
}

/// Closes the store when the process shuts down (after every service that uses it).
struct StoreService: Service {
    let store: any StateStore
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do { try await store.close() } catch { logger.error("closing the store failed", metadata: ["error": "\(error)"]) }
    }
}

/// Closes the inbox store when the process shuts down (after every service that uses it).
struct InboxStoreService: Service {
    let inbox: any InboxStore
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do { try await inbox.close() } catch { logger.error("closing the inbox store failed", metadata: ["error": "\(error)"]) }
    }
}
