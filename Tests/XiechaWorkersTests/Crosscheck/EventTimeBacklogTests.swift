import Foundation
import Logging
import Testing
import XiechaCore
import XiechaStore
import XiechaWorkers

@Suite("The crosscheck worker applies a backlog in event time")
struct EventTimeBacklogTests {
    static let logger = Logger(label: "event-time", factory: { _ in SwiftLogNoOpLogHandler() })
    static let day0 = LocalDate(year: 2026, month: 3, day: 2)!

    static func at(_ days: Int, hour: Int = 10) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: Timestamp(startOf: day0.adding(days: days), utcOffsetSeconds: 8 * 3600).millisecondsSinceEpoch + Int64(hour) * 3_600_000)
    }

    /// A migrant woman's permit (arrival day 0) and her certificate, issued and on file on day 10,
    /// read from a backlog on day 100 in that order.
    static func events() -> [PersonEvent] {
        let id = IDNumber.make(region: "510623", birthDate: LocalDate(year: 1994, month: 5, day: 12)!, sequence: 24).value
        let person = Person(idNumber: id, name: "测试乙", sex: .female, birthDate: LocalDate(year: 1994, month: 5, day: 12)!, hukouRegion: "510623")
        let home = SyntheticEvents.communities[3]
        func event(_ source: Topic, _ role: PersonRole, _ recordId: String, _ t: Timestamp, _ residence: Residence?, _ fact: PersonEvent.Fact) -> PersonEvent {
            PersonEvent(
                eventId: PersonEvent.makeEventId(source: source, recordId: recordId, role: role, idNumber: id), source: source, recordId: recordId,
                occurredAt: t, role: role, person: person, residence: residence, fact: fact)
        }
        return [
            event(.residencePermits, .permitHolder, "rp-1", at(0), home,
                .residencePermit(ResidencePermitFact(event: .registered, permitNo: "P1", arrivalDate: day0, issuedAt: day0, validUntil: day0.adding(days: 365)))),
            event(.certificates, .certificateHolder, "mc-1", at(10), nil,
                .certificate(CertificateFact(event: .issued, certificateNo: "C1", maritalStatus: .unmarried, children: [], issuedOn: day0.adding(days: 10), validUntil: day0.adding(days: 1000), verifiedOn: nil))),
        ]
    }

    /// In event time her certificate is on file before the 30-day deadline: no alert at all, also
    /// after the deadlines due on day 100 fire. At the reading day's clock (what the worker did
    /// before) the permit alone is evaluated up to day 100: `certificate_missing` opens, and the
    /// certificate, late, can only close it.
    @Test func aCertificateOnFileBeforeTheDeadlineRaisesNothing() async throws {
        let store = InMemoryStateStore()
        try await store.migrate()
        let processor = CrosscheckProcessor(store: store, engine: CrosscheckEngine(), logger: Self.logger)
        let applied = try await processor.process(inEventTime: Self.events())
        #expect(applied.applied == 2)
        #expect(applied.messages.isEmpty)
        #expect(try await processor.advance(to: Self.at(100)).isEmpty)
        #expect(try await store.alertCount() == 0)

        let atReadingTime = InMemoryStateStore()
        try await atReadingTime.migrate()
        let old = CrosscheckProcessor(store: atReadingTime, engine: CrosscheckEngine(), logger: Self.logger)
        let messages = try await old.process(Self.events(), now: Self.at(100)).messages
        #expect(messages.map { "\($0.type.rawValue) \($0.status.rawValue)" } == ["certificate_missing open", "certificate_missing closed"])
    }

    /// Without the certificate the deadline fires when the clock passes it, in event time too.
    @Test func theDeadlineStillFiresOnTheClock() async throws {
        let store = InMemoryStateStore()
        try await store.migrate()
        let processor = CrosscheckProcessor(store: store, engine: CrosscheckEngine(), logger: Self.logger)
        #expect(try await processor.process(inEventTime: [Self.events()[0]]).messages.isEmpty)
        #expect(try await processor.advance(to: Self.at(29, hour: 23)).isEmpty)
        let fired = try await processor.advance(to: Self.at(31))
        #expect(fired.map { "\($0.type.rawValue) \($0.status.rawValue)" } == ["certificate_missing open"])
        #expect(fired.first?.raisedAt == Timestamp(startOf: Self.day0.adding(days: 30), utcOffsetSeconds: 8 * 3600))
    }
}
