import Foundation
import Kafka
import Logging
import XiechaCore
import XiechaStore

/// Alert messages for the notify worker's tests, as the crosscheck publishes them, and what an inbox must hold after
/// reading them.
enum NotifyTestAlerts {
    static let streets = ["421125001", "421125002"]
    /// Four communities per street.
    static let communities: [(community: CommunityRef, street: StreetRef)] = streets.flatMap { s in
        (1...4).map { c in (CommunityRef(code: s + String(format: "%03d", c), name: "第\(c)社区"), StreetRef(code: s, name: "街道\(s.suffix(1))")) }
    }

    /// `count` messages over alerts that each change 1–4 times (raised, closed, raised again, …), every alert's changes in
    /// order, alerts interleaved; a few street-audience alerts and a few of the unassigned queue.
    static func make(count: Int, seed: UInt64) -> [AlertMessage] {
        var rng = SplitMix(seed: seed)
        var out: [AlertMessage] = []
        var active: [(alert: AlertMessage, changesLeft: Int)] = []
        var next = 0
        let day: Int64 = 86_400_000
        let base: Int64 = 1_790_000_000_000
        while out.count < count {
            if active.isEmpty || (active.count < 400 && rng.next() % 3 != 0) {
                let i = next
                next += 1
                let place = communities[Int(rng.next() % UInt64(communities.count))]
                let unassigned = i % 97 == 0
                let street = i % 13 == 0
                let raised = Timestamp(millisecondsSinceEpoch: base + Int64(rng.next() % 1000) * day / 10)
                let alert = AlertMessage(
                    alertId: String(format: "%032llx", UInt64(i) &* 0x9E37_79B9_7F4A_7C15),
                    type: street ? .recordConflict : [.certificateMissing, .certificateExpired, .certificateExpiring][i % 3], status: .open,
                    audience: street ? .street : .community, community: unassigned ? .unassigned : place.community,
                    street: unassigned ? nil : place.street,
                    subject: AlertSubject(personRef: String(format: "%064llx", UInt64(i)), maskedId: "5106**********\(String(format: "%04d", i % 10000))", maskedName: "测*"),
                    reason: "测试提醒", evidence: [AlertEvidence(topic: .residencePermits, recordId: "rp-\(i)")], raisedAt: raised,
                    dueBy: Timestamp(millisecondsSinceEpoch: raised.millisecondsSinceEpoch + 7 * day))
                out.append(alert)
                let changes = Int(rng.next() % 4)
                if changes > 0 { active.append((alert, changes)) }
            } else {
                let k = Int(rng.next() % UInt64(active.count))
                var (alert, left) = active[k]
                if alert.status == .open {
                    alert = alert.closed(at: Timestamp(millisecondsSinceEpoch: alert.raisedAt.millisecondsSinceEpoch + day), by: .record(AlertEvidence(topic: .certificates, recordId: "mc-\(out.count)")))
                } else {
                    alert.status = .open
                    alert.closedAt = nil
                    alert.closedBy = nil
                    alert.raisedAt = Timestamp(millisecondsSinceEpoch: alert.raisedAt.millisecondsSinceEpoch + 30 * day)
                    alert.dueBy = Timestamp(millisecondsSinceEpoch: alert.raisedAt.millisecondsSinceEpoch + 7 * day)
                }
                out.append(alert)
                left -= 1
                if left == 0 { active.remove(at: k) } else { active[k] = (alert, left) }
            }
        }
        return out
    }

    /// What an inbox holds after reading `messages` (each alert's in order): per alert, its distinct payloads in the
    /// order first seen.
    static func expectedHistory(_ messages: [[UInt8]]) -> [String: [[UInt8]]] {
        var out: [String: [[UInt8]]] = [:]
        for value in messages {
            guard case .success(let m) = AlertInboxDecodingProbe.decode(value) else { continue }
            if out[m.alertId]?.contains(value) == true { continue }
            out[m.alertId, default: []].append(value)
        }
        return out
    }

    /// Publishes `values` to `xiecha.alerts.v1`, each keyed as the crosscheck keys it (its community or street; a value
    /// that is not an alert goes unkeyed).
    static func publish(_ values: [[UInt8]], cluster: TestKafkaCluster) async throws {
        let producer = try cluster.producer()
        for v in values {
            let key = (try? JSONDecoder().decode(AlertMessage.self, from: Data(v)))?.kafkaKey
            try await producer.send(KafkaProducerMessage(topic: Topic.alerts.rawValue, key: key, value: v))
        }
        try await producer.awaitDeliveries()
        await producer.shutdown()
    }

    /// The inbox at `path`, read while no worker writes it.
    static func snapshot(inbox path: String) async throws -> (alerts: [InboxAlert], history: [InboxHistoryEntry]) {
        let store = try SQLiteInboxStore(url: .sqlite(path: path, synchronous: .normal), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            let result = (try await store.allAlerts(), try await store.allHistory())
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The history as `expectedHistory` gives it.
    static func historyByAlert(_ entries: [InboxHistoryEntry]) -> [String: [[UInt8]]] {
        var out: [String: [[UInt8]]] = [:]
        for e in entries.sorted(by: { ($0.alertId, $0.sequence) < ($1.alertId, $1.sequence) }) { out[e.alertId, default: []].append(e.payload) }
        return out
    }
}

/// The alertId of a value, as the worker's decoding reads it (tests use it to compute expectations independently of
/// the store).
enum AlertInboxDecodingProbe {
    struct Probe: Decodable { var alertId: String }

    static func decode(_ value: [UInt8]) -> Result<Probe, any Error> {
        Result { try JSONDecoder().decode(Probe.self, from: Data(value)) }
    }
}

extension ChildProcess {
    /// The `--stop-at-end` summary line on stdout, decoded.
    func summary() throws -> [String: Any] {
        guard let line = stdout.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { throw TestFailure("\(name): no summary line on stdout; stderr tail:\n\(tail(stderr))") }
        return object
    }
}
