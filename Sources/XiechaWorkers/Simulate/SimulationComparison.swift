import XiechaCore

/// Rule trial (试运行): the same input simulated under the current and a proposed configuration,
/// compared alert by alert — what a policy officer needs to see before switching a rule on.
///
/// Alerts are compared by `alertId` (deterministic from rule, person and subject, so the same
/// problem has the same id under both configurations) on the last message of each: an alert only
/// the proposal raises is *added*, one only the current rules raise is *removed*, and one both
/// raise whose last message differs in status, dates, community or reason is *changed*. Counts are
/// per alert type and the community (or street, for street-audience alerts) it is addressed to
/// under the proposal (the current one for removed alerts). Nothing personal is compared or shown
/// beyond what the alert messages carry (masked data only).
public struct SimulationComparison: Sendable {
    /// One row: a type and an office.
    public struct Row: Sendable, Hashable, Comparable {
        /// The alert type.
        public var type: AlertType
        /// The community or street code the alerts are addressed to.
        public var office: String
        /// Raised under the proposal only.
        public var added = 0
        /// Raised under the current rules only.
        public var removed = 0
        /// Raised under both, with a different outcome.
        public var changed = 0
        /// Open at the end under the current rules.
        public var openBefore = 0
        /// Open at the end under the proposal.
        public var openAfter = 0

        public static func < (a: Row, b: Row) -> Bool { (a.type, a.office) < (b.type, b.office) }
    }

    /// Rows with at least one alert under either configuration, by type then office.
    public private(set) var rows: [Row] = []

    /// Compares the last messages per alertId of two runs.
    public init(current: [String: AlertMessage], proposed: [String: AlertMessage]) {
        var table: [RowKey: Row] = [:]
        func touch(_ m: AlertMessage, _ change: (inout Row) -> Void) {
            let key = RowKey(type: m.type, office: m.kafkaKey)
            var row = table[key] ?? Row(type: m.type, office: m.kafkaKey)
            change(&row)
            table[key] = row
        }
        for (id, after) in proposed {
            if after.status == .open { touch(after) { $0.openAfter += 1 } }
            guard let before = current[id] else {
                touch(after) { $0.added += 1 }
                continue
            }
            if Self.outcome(before) != Self.outcome(after) { touch(after) { $0.changed += 1 } }
        }
        for (id, before) in current {
            if before.status == .open { touch(before) { $0.openBefore += 1 } }
            if proposed[id] == nil { touch(before) { $0.removed += 1 } }
        }
        rows = table.values.sorted()
    }

    private struct RowKey: Hashable {
        var type: AlertType
        var office: String
    }

    /// What counts as a different outcome for one alert.
    private static func outcome(_ m: AlertMessage) -> [String] {
        [
            m.status.rawValue, m.kafkaKey, m.community.code, m.reason, "\(m.raisedAt.millisecondsSinceEpoch)",
            "\(m.dueBy.millisecondsSinceEpoch)", m.closedAt.map { "\($0.millisecondsSinceEpoch)" } ?? "-",
        ]
    }

    /// Totals over every row.
    public var totals: Row {
        rows.reduce(into: Row(type: .certificateMissing, office: "*")) { t, r in
            t.added += r.added
            t.removed += r.removed
            t.changed += r.changed
            t.openBefore += r.openBefore
            t.openAfter += r.openAfter
        }
    }

    /// Aligned text for a terminal: one line per row, then the totals.
    public func table() -> String {
        var lines = ["TYPE                       OFFICE         ADDED  REMOVED  CHANGED  OPEN-BEFORE  OPEN-AFTER"]
        func line(_ type: String, _ r: Row) -> String {
            [
                type.padded(26), r.office.padded(14), "\(r.added)".padded(6, left: true), "\(r.removed)".padded(8, left: true),
                "\(r.changed)".padded(8, left: true), "\(r.openBefore)".padded(12, left: true), "\(r.openAfter)".padded(11, left: true),
            ].joined(separator: " ")
        }
        for r in rows { lines.append(line(r.type.rawValue, r)) }
        lines.append(line("total", totals))
        return lines.joined(separator: "\n") + "\n"
    }

    /// One JSON object: `{"rows": [{"type","office","added","removed","changed","openBefore","openAfter"}], "totals": {…}}`.
    public func json() -> String {
        func object(_ r: Row, withKeys: Bool) -> String {
            var w = JSONWriter(capacity: 160)
            w.beginObject()
            if withKeys {
                w.member("type", r.type.rawValue)
                w.member("office", r.office)
            }
            for (k, v) in [
                ("added", r.added), ("removed", r.removed), ("changed", r.changed), ("openBefore", r.openBefore), ("openAfter", r.openAfter),
            ] {
                w.key(k)
                w.int(Int64(v))
            }
            w.endObject()
            return String(decoding: w.bytes, as: UTF8.self)
        }
        return "{\"rows\":[" + rows.map { object($0, withKeys: true) }.joined(separator: ",") + "],\"totals\":"
            + object(totals, withKeys: false) + "}\n"
    }
}

extension Simulation {
    /// Runs `lines` under `rules` and returns the last message per alertId.
    public static func lastMessages(lines: [[UInt8]], options: Options) async throws -> [String: AlertMessage] {
        var last: [String: AlertMessage] = [:]
        let simulation = Simulation(options: options, alerts: { last[$0.alertId] = $0 }, deadLetters: { _ in })
        try await simulation.run(lines: lines)
        return last
    }
}

extension String {
    fileprivate func padded(_ width: Int, left: Bool = false) -> String {
        guard count < width else { return self }
        let pad = String(repeating: " ", count: width - count)
        return left ? pad + self : self + pad
    }
}
