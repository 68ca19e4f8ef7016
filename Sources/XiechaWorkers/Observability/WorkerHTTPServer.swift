import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// The routes every worker serves: `/metrics` (Prometheus text of `registry`), `/health/live` and
/// `/health/ready` (see ``WorkerHealth``). One function so the server and its tests build the same
/// router.
public func buildWorkerRouter(registry: PrometheusCollectorRegistry, health: WorkerHealth) -> Router<BasicRequestContext> {
    let router = Router()
    router.get("/metrics") { _, _ -> Response in
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
    }
    router.get("/health/live") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{\"status\":\"live\"}\n")))
    }
    router.get("/health/ready") { _, _ -> Response in
        let failing = await health.failingChecks()
        let body =
            failing.isEmpty
            ? "{\"status\":\"ready\"}\n"
            : "{\"status\":\"not ready\",\"failing\":[\(failing.map { "\"\($0)\"" }.joined(separator: ","))]}\n"
        return Response(
            status: failing.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
    return router
}

/// `/metrics` and `/health/*` on 127.0.0.1 (or the given host), as a `Service`.
public struct WorkerHTTPServer: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let health: WorkerHealth
    let logger: Logger
    /// Called with the bound port (useful with port 0).
    let onListening: @Sendable (Int) -> Void

    /// A server for `registry` and `health` on `host:port` (port 0: one the kernel picks).
    public init(
        host: String = "127.0.0.1", port: Int, registry: PrometheusCollectorRegistry, health: WorkerHealth, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.registry = registry
        self.health = health
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let onListening = self.onListening
        let logger = self.logger
        let app = Application(
            router: buildWorkerRouter(registry: registry, health: health),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("metrics and health listening", metadata: ["http.port": "\(bound)"])
                onListening(bound)
            },
            logger: logger)
        try await app.run()
    }
}
