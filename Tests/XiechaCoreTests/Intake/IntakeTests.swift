import Foundation
import Testing
import XiechaCore

@Suite("Intake fan-out")
struct IntakeTests {
    let processor = IntakeProcessor()

    func events(_ topic: Topic, _ name: String, directory: AddressDirectory = Fixtures.directory) -> [PersonEvent] {
        let result = processor.process(
            topic: topic, value: Fixtures.example(topic, name), timestamp: Fixtures.timestamp, directory: directory)
        guard case .events(let e) = result else {
            Issue.record("\(topic.rawValue)/\(name): \(result)")
            return []
        }
        return e
    }

    @Test func permitHolder() throws {
        let e = events(.residencePermits, "registered-migrant-woman")
        #expect(e.count == 1)
        let ev = try #require(e.first)
        #expect(ev.role == .permitHolder)
        #expect(ev.source == .residencePermits)
        #expect(ev.recordId == "rp-2026-000001")
        #expect(ev.occurredAt == Fixtures.timestamp)
        #expect(ev.residence?.community.code == "421125001003")
        #expect(ev.residence?.street?.code == "421125001")
        #expect(ev.person.hukouRegion == "510623")
        guard case .residencePermit(let f) = ev.fact else { throw Failure() }
        #expect(f.arrivalDate == LocalDate(iso: "2026-09-01"))
        #expect(f.permitNo == "4211252026090001")
    }

    @Test func countsPerRecordType() {
        #expect(events(.marriageRegistrations, "marriage").map(\.role) == [.marriageParty, .marriageParty])
        #expect(events(.businessLicenses, "issued").map(\.role) == [.licenseHolder])
        #expect(events(.schoolEnrollments, "enrolled-two-guardians").map(\.role) == [.child, .guardian, .guardian])
        #expect(events(.schoolEnrollments, "no-guardians").map(\.role) == [.child])
        // The spouse a certificate names gets an event too (DESIGN.md: one per person the record names).
        #expect(events(.certificates, "issued-married-with-children").map(\.role) == [.certificateHolder, .spouse])
        #expect(events(.certificates, "renewed-unmarried").map(\.role) == [.certificateHolder])
    }

    @Test func marriageAndCertificateEventsHaveNoResidence() {
        #expect(events(.marriageRegistrations, "marriage").allSatisfy { $0.residence == nil })
        #expect(events(.certificates, "verified").allSatisfy { $0.residence == nil })
    }

    @Test func guardianEventsCarryTheChildAndRelation() throws {
        let e = events(.schoolEnrollments, "enrolled-two-guardians")
        guard e.count == 3, case .schoolEnrollment(let c) = e[0].fact, case .schoolEnrollment(let m) = e[1].fact,
            case .schoolEnrollment(let f) = e[2].fact
        else { throw Failure() }
        #expect(c.relation == nil)
        #expect(m.relation == .mother)
        #expect(f.relation == .father)
        #expect(m.child == c.child)
        #expect(m.child.idNumber == e[0].person.idNumber)
        #expect(Set(e.map(\.residence)).count == 1)
    }

    @Test func certificateFact() throws {
        let e = events(.certificates, "verified")
        guard case .certificate(let f) = e.first?.fact else { throw Failure() }
        #expect(f.event == .verified)
        #expect(f.verifiedOn == LocalDate(iso: "2026-09-20"))
        #expect(f.children.count == 2)
        #expect(f.children[1].idNumber == nil)
    }

    @Test func unknownHouseIsUnassigned() throws {
        let e = events(.residencePermits, "id-with-lowercase-x-and-fullwidth-space-in-name")
        let r = try #require(e.first?.residence)
        #expect(r.community == .unassigned)
        #expect(r.community.isUnassigned)
        #expect(r.street == nil)
        #expect(r.houseId == "421125-009-001-0001")
    }

    @Test func tombstoneRemovesAHouse() throws {
        var dir = Fixtures.directory
        #expect(dir.apply(key: "421125-001-003-0101", value: nil) == nil)
        #expect(dir["421125-001-003-0101"] == nil)
        #expect(dir.count == 1)
        let e = events(.residencePermits, "registered-migrant-woman", directory: dir)
        #expect(e.first?.residence?.community == .unassigned)
        // A tombstone needs a key.
        #expect(dir.apply(key: nil, value: nil)?.code == "missing_key")
    }

    @Test func directoryUpsertAndKeyMismatch() throws {
        var dir = AddressDirectory()
        let value = Fixtures.example(.addressDirectory, "other-street")
        #expect(dir.apply(key: "421125-002-001-0301", value: value) == nil)
        #expect(dir.resolve(houseId: "421125-002-001-0301").community.code == "421125002001")
        #expect(dir.resolve(houseId: "４２１１２５-002-001-0301").street?.code == "421125002")
        #expect(dir.apply(key: "421125-002-001-0302", value: value)?.code == "key_mismatch")
        #expect(dir.apply(key: nil, value: Array("{}".utf8))?.code == "missing_field:houseId")
        #expect(dir.count == 1)
    }

    @Test func eventIdsAreDeterministicAndContainNoIDNumber() {
        let a = events(.schoolEnrollments, "enrolled-two-guardians")
        let b = events(.schoolEnrollments, "enrolled-two-guardians")
        #expect(a.map(\.eventId) == b.map(\.eventId))
        #expect(Set(a.map(\.eventId)).count == 3)
        for e in a {
            #expect(e.eventId.count == 32)
            #expect(!containsFullIDNumber(e.eventId))
            #expect(e.eventId == PersonEvent.makeEventId(
                source: e.source, recordId: e.recordId, role: e.role, idNumber: e.person.idNumber,
                content: PersonEvent.contentBytes(occurredAt: e.occurredAt, person: e.person, residence: e.residence, fact: e.fact)))
        }
        #expect(PersonEvent.makeEventId(source: .residencePermits, recordId: "r1", role: .permitHolder, idNumber: "1")
            != PersonEvent.makeEventId(source: .residencePermits, recordId: "r2", role: .permitHolder, idNumber: "1"))
    }

    /// A replay (same record, same timestamp) keeps its id; a later record that reuses the
    /// recordId (a withdrawal of the enrolment, a renewal of the permit), or the same record sent
    /// again later, gets a new one, so it is applied instead of being taken for a replay.
    @Test func reusedRecordIdWithNewContentIsANewEvent() {
        let enrolled = String(decoding: Fixtures.example(.schoolEnrollments, "enrolled-two-guardians"), as: UTF8.self)
        let withdrawn = enrolled.replacingOccurrences(of: #""event": "enrolled""#, with: #""event": "withdrawn""#)
            .replacingOccurrences(of: #""event":"enrolled""#, with: #""event":"withdrawn""#)
        #expect(withdrawn != enrolled)
        func ids(_ text: String, at t: Timestamp) -> [String] {
            guard case .events(let e) = processor.process(
                topic: .schoolEnrollments, value: Array(text.utf8), timestamp: t, directory: Fixtures.directory)
            else { return [] }
            return e.map(\.eventId)
        }
        let later = Timestamp(millisecondsSinceEpoch: Fixtures.timestamp.millisecondsSinceEpoch + 86_400_000)
        let first = ids(enrolled, at: Fixtures.timestamp)
        #expect(first.count == 3)
        #expect(ids(enrolled, at: Fixtures.timestamp) == first)
        let withdrawal = ids(withdrawn, at: later)
        #expect(withdrawal.count == 3)
        #expect(Set(withdrawal).isDisjoint(with: first))
        let again = ids(enrolled, at: Timestamp(millisecondsSinceEpoch: later.millisecondsSinceEpoch + 86_400_000))
        #expect(again.count == 3)
        #expect(Set(again).isDisjoint(with: first) && Set(again).isDisjoint(with: withdrawal))
    }

    @Test func recordLevelReasons() {
        func reason(_ value: [UInt8]?) -> String? {
            if case .deadLetter(let r, _) = processor.process(
                topic: .residencePermits, value: value, timestamp: Fixtures.timestamp, directory: Fixtures.directory)
            {
                return r.code
            }
            return nil
        }
        #expect(reason(nil) == "empty_value")
        #expect(reason([]) == "empty_value")
        #expect(reason([0xFF, 0xFE]) == "invalid_utf8")
        #expect(reason(Array("{\"a\":".utf8)) == "not_json")
        #expect(reason(Array("[]".utf8)) == "not_object")
        #expect(reason(Array("{}".utf8)) == "missing_field:recordId")
        var big = Array("{\"recordId\":\"".utf8)
        big += [UInt8](repeating: 0x61, count: RecordLimits.maxRecordBytes)
        big += Array("\"}".utf8)
        #expect(reason(big) == "record_too_large")
        #expect(
            processor.process(
                topic: .alerts, value: Array("{}".utf8), timestamp: Fixtures.timestamp, directory: Fixtures.directory)
                == .deadLetter(DeadLetterReason(.unsupportedTopic), recordId: nil))
    }

    @Test func deadLetterCarriesTheRecordIdWhenReadable() {
        let bytes = Array(#"{"recordId":"rp-9","event":"nope"}"#.utf8)
        let r = processor.process(topic: .residencePermits, value: bytes, timestamp: Fixtures.timestamp,
            directory: Fixtures.directory)
        #expect(r == .deadLetter(DeadLetterReason(.unknownEnum, path: "event"), recordId: "rp-9"))
    }

    @Test func recordKeys() throws {
        #expect(try IntakeProcessor.recordKey(topic: .residencePermits, value: Fixtures.example(.residencePermits, "registered-migrant-woman")) == "4211252026090001")
        #expect(try IntakeProcessor.recordKey(topic: .marriageRegistrations, value: Fixtures.example(.marriageRegistrations, "marriage")) == "J421125-2026-000101")
        #expect(try IntakeProcessor.recordKey(topic: .certificates, value: Fixtures.example(.certificates, "verified")) == "HB-510623-2026-0001")
        #expect(try IntakeProcessor.recordKey(topic: .businessLicenses, value: Fixtures.example(.businessLicenses, "issued"))?.count == 18)
        #expect(try IntakeProcessor.recordKey(topic: .schoolEnrollments, value: Fixtures.example(.schoolEnrollments, "withdrawn")) == "se-2026-000002")
        #expect(try IntakeProcessor.recordKey(topic: .addressDirectory, value: Fixtures.example(.addressDirectory, "house")) == "421125-001-003-0101")
        #expect(try IntakeProcessor.recordKey(topic: .addressDirectory, value: nil) == nil)
        #expect(try IntakeProcessor.recordKey(topic: .alerts, value: Fixtures.example(.alerts, "record-conflict-street")) == "421125001")
        #expect(try IntakeProcessor.recordKey(topic: .alerts, value: Fixtures.example(.alerts, "unassigned-no-street")) == "unassigned")
        #expect(try IntakeProcessor.recordKey(topic: .personEvents, value: Fixtures.example(.personEvents, "guardian")) == "510623199405121280")
        #expect(throws: DeadLetterReason(.missingField, path: "permitNo")) {
            try IntakeProcessor.recordKey(topic: .residencePermits, value: Array("{}".utf8))
        }
        // An otherwise invalid record still has a key.
        #expect(try IntakeProcessor.recordKey(topic: .residencePermits, value: Array(#"{"permitNo":" P1 "}"#.utf8)) == "P1")
    }

    struct Failure: Error {}
}
