import PropertyBased
import Testing
import XiechaCore

@Suite struct RulesOrderTests {
    /// One woman's two years, touching every rule: missing (closed by a late certificate),
    /// marital change, a child missing from the certificate, a move to B and back, a name
    /// conflict, expiring and expired, and a renewal that closes the certificate alerts.
    static func mixedHistory(_ p: Person) -> [PersonEvent] {
        var renamed = p
        renamed.name = "王芬"
        let child = ChildRef(
            idNumber: RT.idNumber(region: "420102", birth: RT.date("2020-04-02"), sequence: 13),
            birthDate: RT.date("2020-04-02"), sex: .male)
        return [
            RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01"),
            RT.certificate(p, "c1", at: "2026-10-20", issued: "2026-10-20", validUntil: "2027-10-19"),
            RT.marriage(p, "m1", at: "2026-12-01", registered: "2026-12-01"),
            RT.enrolment(p, "e1", at: "2027-02-01", child: child, enrolled: "2027-02-01"),
            RT.permit(
                p, "r2", at: "2027-03-01", event: .renewed, arrival: "2026-09-01",
                residence: RT.house("421125-002-001-0202", community: RT.communityB)),
            RT.licence(renamed, "l1", at: "2027-04-01", issued: "2027-04-01",
                residence: RT.house("421125-002-001-0202", community: RT.communityB)),
            RT.certificate(
                p, "c2", at: "2027-11-01", event: .renewed, marital: .married,
                children: [ChildRef(idNumber: nil, birthDate: RT.date("2020-04-02"), sex: .male)],
                issued: "2027-11-01", validUntil: "2030-10-31"),
            RT.permit(p, "r3", at: "2028-01-05", permitNo: "P2", arrival: "2028-01-05"),
        ]
    }

    static let until = "2028-06-01"

    /// A person's history, the reference run (event-time order, simulate clock) and a permuted one.
    static func check(_ events: [PersonEvent], permuted: [PersonEvent]) {
        let sorted = events.sorted { EventKey($0) < EventKey($1) }
        let reference = RT.run(sorted, until: until)
        let ref = reference.last

        // 1. Simulate clock (now = max event time seen): the timeline, the open alerts and every
        //    alert both runs published are identical; the only extra an out-of-order run may show
        //    is an alert it published open too early and had to close.
        let sim = RT.run(permuted, until: until)
        #expect(sim.state?.alerts == reference.state?.alerts)
        #expect(sim.open == reference.open)
        for (id, m) in sim.last {
            if let r = ref[id] { #expect(m == r) } else { #expect(m.status == .closed) }
        }
        #expect(sim.last == sim.state?.publishedAlerts)

        // 2. All records on file before the clock passes them (clock held at the first event):
        //    the last message per alertId is identical, closed ones included.
        let held = RT.run(permuted, clock: sorted.first!.occurredAt, until: until)
        #expect(held.last == ref)
        #expect(held.state?.alerts == reference.state?.alerts)
        #expect(held.state?.nextDeadline == reference.state?.nextDeadline)
    }

    @Test func referenceHistoryRaisesEveryRule() {
        let r = RT.run(Self.mixedHistory(RT.person()), until: Self.until)
        let types = Set(r.last.values.map(\.type))
        #expect(
            types == [
                .certificateMissing, .certificateExpiring, .certificateExpired, .maritalStatusChanged,
                .childNotOnCertificate, .movedIn, .movedOut, .recordConflict,
            ])
        #expect(r.open.map(\.type).sorted() == [.movedIn, .movedIn, .movedOut, .movedOut, .recordConflict])
        // record_conflict followed her back to A's street.
        #expect(r.open(.recordConflict).first?.street == RT.streetA)
    }

    @Test func anyPermutationGivesTheSameAlerts() async {
        let events = Self.mixedHistory(RT.person())
        await propertyCheck(count: 150, input: Gen.shuffled(events)) { permuted in
            Self.check(events, permuted: permuted)
        }
    }

    @Test func anySubsetInAnyOrderGivesTheSameAlerts() async {
        let events = Self.mixedHistory(RT.person())
        await propertyCheck(count: 150, input: Gen.int(in: 1...255), Gen.int(in: 0...Int.max)) { mask, seed in
            let subset = events.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
            var rng = SplitMix64(seed: UInt64(seed))
            Self.check(subset, permuted: subset.shuffled(using: &rng))
        }
    }

    @Test func sameInstantEventsInEitherOrder() {
        let p = RT.person()
        var other = p
        other.name = "王芬"
        let a = RT.permit(p, "r1", at: "2026-09-01", arrival: "2026-09-01")
        let b = RT.certificate(other, "c1", at: "2026-09-01", issued: "2026-09-01", validUntil: "2029-08-31")
        Self.check([a, b], permuted: [b, a])
        #expect(RT.run([b, a]).last == RT.run([a, b]).last)
    }
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
