/// What applying one batch of alert messages writes, decided once for every backend from what the inbox already
/// holds about the batch's alerts. Keeping the decision in one pure function is what makes the SQLite and PostgreSQL
/// inboxes give the same sequences, history and deliveries.
struct InboxPlan {
    /// An alert the inbox already has.
    struct Known {
        var lastSequence: Int64
        var routing: InboxRouting
    }

    /// A new history entry (and the alert's current message, when it is the alert's last in the batch).
    struct Change {
        var message: InboxMessage
        var sequence: Int64
        var digest: Int64
    }

    /// A delivery to queue.
    struct Delivery {
        var alertId: String
        var sequence: Int64
        var office: String
        var url: String
    }

    var changes: [Change] = []
    var deliveries: [Delivery] = []
    var duplicates = 0

    /// The changes as the caller sees them.
    var summary: [InboxChange] {
        changes.map { InboxChange(alertId: $0.message.alertId, sequence: $0.sequence, status: $0.message.status) }
    }

    /// The last change of each alert, in first-seen order: the current messages to write.
    var currents: [Change] {
        var index: [String: Int] = [:]
        var out: [Change] = []
        for c in changes {
            if let i = index[c.message.alertId] {
                out[i] = c
            } else {
                index[c.message.alertId] = out.count
                out.append(c)
            }
        }
        return out
    }

    /// Decides the batch.
    /// - `known`: the inbox's current sequence and routing of the batch's alerts it has.
    /// - `existing`: for the batch's (alertId, digest) pairs, the payloads already in the history with that digest.
    /// - `endpoints`: office code → webhook URLs.
    static func make(
        _ messages: [InboxMessage], known: [String: Known], existing: [String: [(digest: Int64, payload: [UInt8])]],
        endpoints: [String: [String]]
    ) -> InboxPlan {
        var plan = InboxPlan()
        var known = known
        var existing = existing
        for m in messages {
            let digest = inboxDigest(m.payload)
            if existing[m.alertId]?.contains(where: { $0.digest == digest && $0.payload == m.payload }) == true {
                plan.duplicates += 1
                continue
            }
            let previous = known[m.alertId]
            let sequence = (previous?.lastSequence ?? 0) + 1
            plan.changes.append(Change(message: m, sequence: sequence, digest: digest))
            existing[m.alertId, default: []].append((digest, m.payload))
            known[m.alertId] = Known(lastSequence: sequence, routing: m.routing)
            if !endpoints.isEmpty {
                // The offices that see it now, and those it left (so their systems learn it moved away).
                var offices = m.routing.offices
                for o in previous?.routing.offices ?? [] where !offices.contains(o) { offices.append(o) }
                for office in offices {
                    for url in endpoints[office] ?? [] {
                        plan.deliveries.append(Delivery(alertId: m.alertId, sequence: sequence, office: office, url: url))
                    }
                }
            }
        }
        return plan
    }
}

/// FNV-1a (64-bit) of a payload: a cheap key to find a message's possible twins in its alert's history (the bytes are
/// then compared in full). Stable across processes and platforms, unlike `Hasher`.
func inboxDigest(_ bytes: [UInt8]) -> Int64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h &*= 0x0000_0100_0000_01b3
    }
    return Int64(bitPattern: h)
}
