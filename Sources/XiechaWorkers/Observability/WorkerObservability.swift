import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

/// Process-wide metrics: one Prometheus registry bootstrapped into swift-metrics once.
public enum WorkerMetrics {
    private static let state = Mutex<PrometheusCollectorRegistry?>(nil)

    /// The registry `/metrics` renders; bootstraps swift-metrics on first use.
    public static var registry: PrometheusCollectorRegistry {
        state.withLock { r in
            if let r { return r }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            r = registry
            return registry
        }
    }

    /// Prometheus text exposition of every metric.
    public static func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

/// Readiness a worker reports on `/health/ready` (live is always true while the process serves).
public final class WorkerHealth: Sendable {
    private let ready = Atomic<Bool>(false)
    public init() {}
    public func markReady() { ready.store(true, ordering: .releasing) }
    public func markNotReady() { ready.store(false, ordering: .releasing) }
    public var isReady: Bool { ready.load(ordering: .acquiring) }
}

/// `/metrics`, `/health/live` and `/health/ready` on 127.0.0.1 (or the given host), as a `Service`.
public struct WorkerHTTPServer: Service {
    let host: String
    let port: Int
    let health: WorkerHealth
    let logger: Logger
    /// Called with the bound port (useful with port 0).
    let onListening: @Sendable (Int) -> Void

    public init(host: String = "127.0.0.1", port: Int, health: WorkerHealth, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.host = host
        self.port = port
        self.health = health
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        _ = WorkerMetrics.registry
        let router = Router()
        let health = self.health
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: WorkerMetrics.render())))
        }
        router.get("/health/live") { _, _ -> Response in
            Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"status\":\"live\"}\n")))
        }
        router.get("/health/ready") { _, _ -> Response in
            let ok = health.isReady
            return Response(
                status: ok ? .ok : .serviceUnavailable,
                body: ResponseBody(byteBuffer: ByteBuffer(string: ok ? "{\"status\":\"ready\"}\n" : "{\"status\":\"starting\"}\n")))
        }
        let onListening = self.onListening
        let logger = self.logger
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("metrics and health listening", metadata: ["http.port": "\(bound)"])
                onListening(bound)
            },
            logger: logger)
        try await app.run()
    }
}
