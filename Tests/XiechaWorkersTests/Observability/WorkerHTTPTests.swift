import Foundation
import Hummingbird
import HummingbirdTesting
import Kafka
import Logging
import Metrics
import Prometheus
import Testing
import XiechaCore
import XiechaStore

@testable import XiechaWorkers

/// `/metrics`, `/health/live` and `/health/ready` through Hummingbird's testing client, on the
/// router every worker serves.
@Suite("Worker HTTP: metrics and health")
struct WorkerHTTPTests {
    @Test("live always; ready only when every check passes, naming the ones that fail")
    func healthRoutes() async throws {
        let health = WorkerHealth()
        let store = Flag()
        let app = Application(router: buildWorkerRouter(registry: PrometheusCollectorRegistry(), health: health))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "{\"status\":\"live\"}\n")
            }
            // No check yet: the worker has not started consuming.
            try await client.execute(uri: "/health/ready", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body).contains("\"starting\""))
            }
            health.add(WorkerHealth.Check(name: "kafka.assignment") { true })
            health.add(WorkerHealth.Check(name: "store") { store.value })
            try await client.execute(uri: "/health/ready", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(String(buffer: r.body) == "{\"status\":\"not ready\",\"failing\":[\"store\"]}\n")
            }
            store.value = true
            try await client.execute(uri: "/health/ready", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "{\"status\":\"ready\"}\n")
            }
        }
    }

    @Test("/metrics renders what the worker metrics recorded, in Prometheus text")
    func metricsRoute() async throws {
        let observability = WorkerRuntime.Observability()
        observability.metrics.recordsIn(.residencePermits).increment(by: 7)
        observability.metrics.deadLettered(.residencePermits, DeadLetterReason(.emptyValue))
        let app = Application(router: buildWorkerRouter(registry: observability.registry, health: WorkerHealth()))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: r.body)
                #expect(metricValue(text, "xiecha_records_in_total", ["topic": Topic.residencePermits.rawValue]) == 7)
                #expect(
                    metricValue(text, "xiecha_dead_letters_total", ["topic": Topic.residencePermits.rawValue, "reason": "empty_value"]) == 1)
            }
        }
    }

    @Test("an intake worker: not ready before it holds partitions, ready after; its counters follow the records")
    func intakeWorkerCountersAndReadiness() async throws {
        let cluster = try TestKafkaCluster(partitions: [.residencePermits: 2, .addressDirectory: 1])
        defer { cluster.shutdown() }
        let corpus = IntakeCorpus.generate()
        let records = Array(corpus.records(for: .residencePermits).prefix(60))
        let expectedOut = records.reduce(0) { n, r in
            if case .events(let e) = r.outcome { return n + e.count }
            return n
        }
        let expectedDead = records.count - records.filter { if case .events = $0.outcome { return true } else { return false } }.count
        #expect(expectedDead > 0, "the sample holds bad records too")

        let producer = try cluster.producer()
        for line in corpus.directoryLines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            try await producer.send(
                KafkaProducerMessage(topic: Topic.addressDirectory.rawValue, key: object?["houseId"] as? String, value: Array(line.utf8)))
        }
        try await producer.awaitDeliveries()

        let observability = WorkerRuntime.Observability()
        var configuration = XiechaConfiguration()
        configuration.brokers = cluster.kafka.bootstrapServerList
        var options = WorkerRunOptions()
        options.httpPort = nil
        let process = try await WorkerRuntime.build(
            kind: .intake(.residencePermits), options: options, configuration: configuration, observability: observability,
            logger: cluster.logger)
        let app = Application(router: buildWorkerRouter(registry: observability.registry, health: process.health))
        let running = Task { try await process.run() }

        try await app.test(.router) { client in
            // Before the group gave it partitions (the first join takes seconds), it is not ready.
            try await client.execute(uri: "/health/ready", method: .get) { r in #expect(r.status == .serviceUnavailable) }
            try await waitUntil("the worker is ready", within: 60) { await process.health.isReady() }
            try await client.execute(uri: "/health/ready", method: .get) { r in #expect(r.status == .ok) }

            for r in records {
                try await producer.send(
                    KafkaProducerMessage(topic: Topic.residencePermits.rawValue, key: r.key, value: Array(r.line.utf8)))
            }
            try await producer.awaitDeliveries()
            try await waitUntil("every record is counted in", within: 60) {
                var text = ""
                try await client.execute(uri: "/metrics", method: .get) { r in text = String(buffer: r.body) }
                return metricValue(text, "xiecha_records_in_total", ["topic": Topic.residencePermits.rawValue]) == Double(records.count)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(metricValue(text, "xiecha_records_out_total", ["topic": Topic.personEvents.rawValue]) == Double(expectedOut))
                #expect(sumOf(text, "xiecha_dead_letters_total", ["topic": Topic.residencePermits.rawValue]) == Double(expectedDead))
            }
        }
        await process.triggerGracefulShutdown()
        let summary = try await running.value
        #expect(summary.records == records.count)
        #expect(summary.out == expectedOut)
        #expect(summary.deadLetters == expectedDead)
        await producer.shutdown()
    }

    @Test("a crosscheck worker is ready once it holds partitions and its store answers")
    func crosscheckReadiness() async throws {
        let cluster = try TestKafkaCluster(partitions: [.personEvents: 2])
        defer { cluster.shutdown() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xiecha-ready-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = XiechaConfiguration()
        configuration.brokers = cluster.kafka.bootstrapServerList
        configuration.store = .sqlite(path: dir.appendingPathComponent("state.sqlite").path, synchronous: .normal)
        var options = WorkerRunOptions()
        options.httpPort = nil
        let process = try await WorkerRuntime.build(
            kind: .crosscheck, options: options, configuration: configuration, observability: WorkerRuntime.Observability(),
            logger: cluster.logger)
        #expect(await process.health.failingChecks() == ["starting"], "not consuming yet")
        let running = Task { try await process.run() }
        try await waitUntil("the worker is ready", within: 60) { await process.health.isReady() }
        #expect(await process.health.failingChecks().isEmpty)
        await process.triggerGracefulShutdown()
        let summary = try await running.value
        #expect(summary.records == 0)
    }
}

/// A value shared with a readiness probe.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Polls `condition` until it holds, failing after `seconds`.
func waitUntil(_ what: String, within seconds: Double, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("timed out after \(seconds) s waiting until \(what)")
}

/// The value of the sample `name{labels}` in Prometheus text (labels matched exactly), if present.
func metricValue(_ text: String, _ name: String, _ labels: [String: String]) -> Double? {
    samples(text, name).first { $0.labels == labels }?.value
}

/// The sum of every sample of `name` whose labels include `labels`.
func sumOf(_ text: String, _ name: String, _ labels: [String: String]) -> Double {
    samples(text, name).filter { s in labels.allSatisfy { s.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
}

private func samples(_ text: String, _ name: String) -> [(labels: [String: String], value: Double)] {
    text.split(separator: "\n").compactMap { line -> (labels: [String: String], value: Double)? in
        guard line.hasPrefix(name), !line.hasPrefix("#") else { return nil }
        let rest = line.dropFirst(name.count)
        var labels: [String: String] = [:]
        let valueText: Substring
        if rest.first == "{" {
            guard let close = rest.firstIndex(of: "}") else { return nil }
            for pair in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                labels[String(kv[0])] = String(kv[1].dropFirst().dropLast())
            }
            valueText = rest[rest.index(after: close)...]
        } else if rest.first == " " {
            valueText = rest
        } else {
            return nil
        }
        guard let value = Double(valueText.trimmingCharacters(in: .whitespaces)) else { return nil }
        return (labels, value)
    }
}
