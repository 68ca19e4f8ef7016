import Foundation
import Logging
import Testing
import XiechaCore
import XiechaStore

@testable import XiechaWorkers

/// DESIGN.md "Security and privacy": alerts made by the real rules from people with full ID numbers and names go
/// through the notify worker; no webhook body, inbox payload, log line or `xiecha webhooks` output holds a full ID
/// number (or anything shaped like one) or a full name.
@Suite("Notify privacy", .timeLimit(.minutes(5)))
struct NotifyPrivacyTests {
    @Test func noIDNumberOrNameInWebhooksInboxOrLogs() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "notify-privacy")
        defer { children.killAll() }
        let cluster = try TestKafkaCluster(brokers: 1, partitions: [.alerts: 4, .deadLetters: 1])
        defer { cluster.shutdown() }

        // Alerts as the crosscheck makes them, from 600 people (the rules, masking and personRef of XiechaCore).
        let events = SyntheticEvents.make(persons: 600)
        let memory = InMemoryStateStore()
        try await memory.migrate()
        var rules = RulesConfiguration()
        rules.personRefSecret = Array("privacy-test-secret".utf8)
        let processor = CrosscheckProcessor(
            store: memory, engine: CrosscheckEngine(configuration: rules), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        var alerts = try await processor.process(inEventTime: events).messages
        alerts += try await processor.advance(to: Timestamp(millisecondsSinceEpoch: 1_800_000_000_000))
        #expect(alerts.count > 100)
        try await NotifyTestAlerts.publish(alerts.map(\.jsonBytes), cluster: cluster)
        let idNumbers = Set(events.map(\.person.idNumber))
        let names = Set(events.map(\.person.name))

        let receiver = try await WebhookReceiver(children: children, routes: ["/street": "ok", "/fail": "fail"], secrets: ["/street": "s", "/fail": "f"], bodies: true)
        defer { receiver.stop() }
        let streets = ["421125001", "421125002", "421125003"]
        var yaml = "webhooks:\n  endpoints:\n"
        for s in streets { yaml += "    - office: \"\(s)\"\n      url: \"\(receiver.url("/street"))\"\n      secret: s\n" }
        yaml += "    - office: \"421125004\"\n      url: \"\(receiver.url("/fail"))\"\n      secret: f\n"
        yaml += "  retrySchedule: [0, 0.1]\n  timeoutSeconds: 2\n"
        let config = children.directory.appendingPathComponent("privacy.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        let inbox = "sqlite:\(children.directory.path)/inbox.sqlite"
        let wanted = alerts.filter { streets.contains($0.street?.code ?? "") }.count
        #expect(wanted > 10)

        let worker = try children.start(
            "notify", ["worker", "notify", "--brokers", cluster.bootstrap, "--inbox", inbox, "--config", config.path, "--log-level", "debug"])
        try await receiver.wait(within: 60, "every street change delivered") { r in
            Set(r.filter { $0.path == "/street" }.map(\.id)).count >= wanted && r.filter { $0.path == "/fail" }.count >= 2
        }
        try await Task.sleep(for: .milliseconds(500))
        await worker.stop()
        let failed = try children.start("failed", ["webhooks", "failed", "--format", "json", "--inbox", inbox])
        #expect(try await failed.waitForExit(within: 60) == 0)
        #expect(!failed.stdout.isEmpty)

        var lines: [(source: String, line: String)] = []
        for r in receiver.requests() { lines.append(("webhook body", r.body ?? "")) }
        let (current, history) = try await NotifyTestAlerts.snapshot(inbox: "\(children.directory.path)/inbox.sqlite")
        #expect(current.count == Set(alerts.map(\.alertId)).count)
        for a in current { lines.append(("inbox", String(decoding: a.payload, as: UTF8.self))) }
        for h in history { lines.append(("inbox history", String(decoding: h.payload, as: UTF8.self))) }
        for c in [worker, failed] {
            for l in c.stdout.split(separator: "\n") { lines.append(("\(c.name) stdout", String(l))) }
            for l in c.stderr.split(separator: "\n") { lines.append(("\(c.name) stderr", String(l))) }
        }
        #expect(worker.stdout.contains("\"alertId\""), "the logs name alerts by id")
        // personRef and alertId are lowercase hex hashes (64 characters): about one in a hundred holds 18 digits in a
        // row by chance. Those tokens are set aside for the pattern scan; the exact input ID numbers are looked for in
        // the raw text as well.
        let findings = PrivacyScan.findings(in: lines.map { ($0.source, Self.maskingHexHashes($0.line)) }, idNumbers: idNumbers, names: names)
        #expect(findings.isEmpty, "\(findings.prefix(5))")
        let exact = lines.filter { entry in idNumbers.contains { entry.line.contains($0) } }
        #expect(exact.isEmpty, "\(exact.count) lines hold an input ID number, e.g. in \(exact.first?.source ?? "")")
        children.removeDirectory()
    }

    /// `line` with every run of 32 or more lowercase hex characters that holds a letter (a hash: personRef, alertId)
    /// replaced by `#`.
    static func maskingHexHashes(_ line: String) -> String {
        var out = ""
        var run = ""
        func flush() {
            let isHash = run.count >= 32 && run.contains { ("a"..."f").contains($0) }
            out += isHash ? "#" : run
            run = ""
        }
        for c in line {
            if ("0"..."9").contains(c) || ("a"..."f").contains(c) { run.append(c) } else {
                flush()
                out.append(c)
            }
        }
        flush()
        return out
    }
}
