import Foundation
import Testing
import XiechaCore

/// Person events are written by hand in several encodings — `Codable`, the fast JSON writer and
/// reader (`PersonEvent+JSON.swift`), the binary person state (`PersonStateEncoding.swift`) and
/// the event-id content bytes (`IntakeProcessor.swift`). These tests round-trip events whose every
/// field is set through each of them, so a field one encoding forgets fails here.
///
/// The fixtures are checked with `Mirror`: a stored property added later without a fixture value
/// (or without a mutation in `mutations`) fails `fixturesSetEveryField` / `eventIdCoversEveryField`.
@Suite struct PersonEventEncodingRoundTripTests {
    typealias Mutation = (inout PersonEvent) -> Void

    // MARK: fixtures

    static let person = RT.person(name: "王芳", sex: .female, birth: "1990-03-07", region: "420102", hukou: "510104")
    static let son = ChildRef(
        idNumber: RT.idNumber(region: "421125", birth: RT.date("2016-05-01"), sequence: 3),
        birthDate: RT.date("2016-05-01"),
        sex: .male)
    static let daughter = ChildRef(
        idNumber: RT.idNumber(region: "421125", birth: RT.date("2019-08-20"), sequence: 4),
        birthDate: RT.date("2019-08-20"),
        sex: .female)
    static let residence = Residence(houseId: "421125-001-003-0101", community: RT.communityA, street: RT.streetA)

    /// An event with its id derived the way intake derives it.
    static func event(
        _ source: Topic, _ recordId: String, at: String, role: PersonRole, person: Person = person,
        residence: Residence? = residence, _ fact: PersonEvent.Fact
    ) -> PersonEvent {
        var e = PersonEvent(
            eventId: "", source: source, recordId: recordId, occurredAt: RT.at(at), role: role, person: person,
            residence: residence, fact: fact)
        e.eventId = derivedEventId(e)
        return e
    }

    /// One event per fact kind, every stored property set to a value that is not nil, not empty
    /// and not the first case of its enum.
    static func fixtures() -> [PersonEvent] {
        [
            event(
                .residencePermits, "rp-0001", at: "2026-09-01T09:15:30.123+08:00", role: .permitHolder,
                .residencePermit(
                    ResidencePermitFact(
                        event: .renewed, permitNo: "P-421125-0001", arrivalDate: RT.date("2025-03-01"),
                        issuedAt: RT.date("2025-03-05"), validUntil: RT.date("2027-03-04")))),
            event(
                .marriageRegistrations, "mr-0001", at: "2026-09-02", role: .marriageParty,
                .marriageRegistration(
                    MarriageRegistrationFact(
                        event: .divorce, certificateNo: "L420102-2026-000017", registeredOn: RT.date("2026-08-30")))
            ),
            event(
                .businessLicenses, "bl-0001", at: "2026-09-03", role: .licenseHolder,
                .businessLicense(
                    BusinessLicenseFact(
                        event: .changed, licenseNo: "91421125MA4000000X", issuedOn: RT.date("2024-11-11")))),
            event(
                .schoolEnrollments, "se-0001", at: "2026-09-04", role: .guardian,
                .schoolEnrollment(
                    SchoolEnrollmentFact(
                        event: .withdrawn, relation: .father, child: son, schoolCode: "S-421125-07",
                        schoolLevel: .junior,
                        enrolledOn: RT.date("2026-09-01")))),
            event(
                .certificates, "hc-0001", at: "2026-09-05", role: .certificateHolder,
                .certificate(
                    CertificateFact(
                        event: .verified, certificateNo: "HB-420102-2025-0042", maritalStatus: .divorced,
                        children: [son, daughter], issuedOn: RT.date("2025-01-10"), validUntil: RT.date("2028-01-09"),
                        verifiedOn: RT.date("2026-09-05")))),
        ]
    }

    /// The fixtures again with every optional left out (and an empty children list), plus the
    /// roles the fixtures do not use.
    static func sparseFixtures() -> [PersonEvent] {
        [
            event(
                .residencePermits, "rp-0002", at: "2026-10-01", role: .permitHolder, residence: nil,
                .residencePermit(
                    ResidencePermitFact(
                        event: .cancelled, permitNo: "P-421125-0001", arrivalDate: RT.date("2025-03-01"),
                        issuedAt: RT.date("2025-03-05"), validUntil: RT.date("2027-03-04")))),
            event(
                .businessLicenses, "bl-0002", at: "2026-10-02", role: .licenseHolder,
                residence: Residence(houseId: "421125-999-999-9999", community: .unassigned, street: nil),
                .businessLicense(
                    BusinessLicenseFact(
                        event: .issued, licenseNo: "91421125MA4000001X", issuedOn: RT.date("2026-10-01")))),
            event(
                .schoolEnrollments, "se-0002", at: "2026-10-03", role: .child,
                person: RT.person(name: "李小明", sex: .male, birth: "2016-05-01", region: "421125", sequence: 3),
                .schoolEnrollment(
                    SchoolEnrollmentFact(
                        event: .enrolled, relation: nil,
                        child: ChildRef(idNumber: nil, birthDate: RT.date("2016-05-01"), sex: .male),
                        schoolCode: "S-421125-07", schoolLevel: .kindergarten, enrolledOn: RT.date("2026-09-01")))),
            event(
                .certificates, "hc-0002", at: "2026-10-04", role: .spouse, residence: nil,
                .certificate(
                    CertificateFact(
                        event: .issued, certificateNo: "HB-420102-2026-0001", maritalStatus: .unmarried, children: [],
                        issuedOn: RT.date("2026-10-01"), validUntil: RT.date("2029-09-30"), verifiedOn: nil))),
        ]
    }

    /// An alert message with every field set, closed by a record that also names an office.
    static let fullAlert = AlertMessage(
        alertId: "0123456789abcdef0123456789abcdef", type: .childNotOnCertificate, status: .closed, audience: .street,
        community: RT.communityB, street: RT.streetB,
        subject: AlertSubject(
            personRef: "ab" + String(repeating: "0", count: 62), maskedId: "4201**********002X", maskedName: "王*"),
        reason: "入学记录中的子女不在婚育证明上",
        evidence: [
            AlertEvidence(topic: .certificates, recordId: "hc-0001"),
            AlertEvidence(topic: .schoolEnrollments, recordId: "se-0001"),
        ],
        raisedAt: RT.at("2026-09-04"), dueBy: RT.at("2026-09-18"), closedAt: RT.at("2026-09-10"),
        closedBy: AlertCloser(kind: .office, topic: .certificates, recordId: "hc-0003", office: RT.streetB.code))

    /// The id intake gives an event (`IntakeProcessor.events(for:)`).
    static func derivedEventId(_ e: PersonEvent) -> String {
        PersonEvent.makeEventId(
            source: e.source, recordId: e.recordId, role: e.role, idNumber: e.person.idNumber,
            content: PersonEvent.contentBytes(
                occurredAt: e.occurredAt, person: e.person, residence: e.residence, fact: e.fact))
    }

    /// A person state with exactly these contents, built through `Codable` (no rule decides
    /// what is in it).
    static func state(
        events: [PersonEvent], personRef: String? = nil, foldedCount: Int? = nil, alerts: [AlertMessage] = [],
        retracted: [AlertMessage] = [],
        horizon: Timestamp? = nil, lastEvaluatedAt: Timestamp? = nil, nextDeadline: Timestamp? = nil,
        lastResidence: ResidenceMark? = nil, checkpoint: TimelineCheckpoint? = nil
    ) throws -> PersonState {
        struct Document: Encodable {
            var idNumber: String
            var personRef: String
            var events: [PersonEvent]
            var foldedCount: Int
            var horizon: Timestamp?
            var lastEvaluatedAt: Timestamp?
            var nextDeadline: Timestamp?
            var lastResidence: ResidenceMark?
            var alerts: [String: AlertMessage]
            var retracted: [String: AlertMessage]
            var checkpoint: TimelineCheckpoint?
        }
        let idNumber = events[0].person.idNumber
        let document = Document(
            idNumber: idNumber, personRef: personRef ?? RT.engine.personRef(idNumber: idNumber), events: events,
            foldedCount: foldedCount ?? events.count, horizon: horizon, lastEvaluatedAt: lastEvaluatedAt,
            nextDeadline: nextDeadline, lastResidence: lastResidence,
            alerts: Dictionary(uniqueKeysWithValues: alerts.map { ($0.alertId, $0) }),
            retracted: Dictionary(uniqueKeysWithValues: retracted.map { ($0.alertId, $0) }), checkpoint: checkpoint)
        return try JSONDecoder().decode(PersonState.self, from: JSONEncoder().encode(document))
    }

    // MARK: the fixtures are complete

    /// Every stored property, recursively, as a dotted path (`fact.certificate.children[1].sex`),
    /// with a problem when its value is nil, empty, zero or false. Dates, instants, strings and
    /// enums without payload are leaves.
    static func leaves(_ value: Any, path: String = "") -> [(path: String, problem: String?)] {
        if value is String || value is LocalDate || value is Timestamp {
            return [(path, (value as? String)?.isEmpty == true ? "empty string" : nil)]
        }
        let mirror = Mirror(reflecting: value)
        func child(_ label: String) -> String { path.isEmpty ? label : path + "." + label }
        switch mirror.displayStyle {
        case .optional:
            guard let some = mirror.children.first else { return [(path, "nil")] }
            return leaves(some.value, path: path)
        case .collection, .set, .dictionary:
            guard !mirror.children.isEmpty else { return [(path, "empty collection")] }
            return mirror.children.enumerated().flatMap { i, c in leaves(c.value, path: "\(path)[\(i)]") }
        default:
            if mirror.children.isEmpty {
                if let b = value as? Bool { return [(path, b ? nil : "false")] }
                if let n = value as? any BinaryInteger { return [(path, "\(n)" == "0" ? "zero" : nil)] }
                return [(path, nil)]  // an enum case without payload
            }
            return mirror.children.enumerated().flatMap { i, c in leaves(c.value, path: child(c.label ?? "\(i)")) }
        }
    }

    @Test func fixturesSetEveryField() {
        let fixtures = Self.fixtures()
        #expect(Set(fixtures.map(\.fact.kind)) == Set(PersonEvent.Fact.Kind.allCases))
        for e in fixtures {
            let leaves = Self.leaves(e)
            #expect(leaves.count > 15)
            for leaf in leaves where leaf.problem != nil {
                Issue.record("fixture \(e.fact.kind) does not set \(leaf.path): \(leaf.problem!)")
            }
        }
        for leaf in Self.leaves(Self.fullAlert) where leaf.problem != nil {
            Issue.record("the alert fixture does not set \(leaf.path): \(leaf.problem!)")
        }
    }

    // MARK: round trips

    static func allEvents() -> [PersonEvent] { fixtures() + sparseFixtures() + StableTagTests.sweepEvents() }

    @Test func fastJSONRoundTrip() throws {
        for e in Self.allEvents() {
            #expect(try PersonEvent(jsonBytes: e.jsonBytes()) == e)
        }
    }

    @Test func codableRoundTrip() throws {
        for e in Self.allEvents() {
            #expect(try JSONDecoder().decode(PersonEvent.self, from: JSONEncoder().encode(e)) == e)
        }
    }

    /// The fast writer writes the document `Codable` writes, and each reader reads the other's.
    @Test func fastJSONAgreesWithCodable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for e in Self.allEvents() {
            let fast = e.jsonBytes()
            let codable = Array(try encoder.encode(e))
            #expect(Self.sortedKeys(try JSONParser.parse(fast)) == Self.sortedKeys(try JSONParser.parse(codable)))
            #expect(try PersonEvent(jsonBytes: codable) == e)
            #expect(try JSONDecoder().decode(PersonEvent.self, from: Data(fast)) == e)
        }
    }

    /// The document with every object's members sorted by key (member order is not meaning).
    static func sortedKeys(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o):
            return .object(
                JSONObject(zip(o.keys, o.values).sorted { $0.0 < $1.0 }.map { ($0.0, sortedKeys($0.1)) }))
        case .array(let a): return .array(a.map(sortedKeys))
        default: return v
        }
    }

    @Test func binaryStateRoundTrip() throws {
        let events = Self.fixtures() + Self.sparseFixtures().filter { $0.person.idNumber == Self.person.idNumber }
        #expect(events.count == Self.fixtures().count + 3)
        let s = try Self.state(
            events: events, alerts: [Self.fullAlert], retracted: [Self.fullAlert],
            checkpoint: TimelineCheckpoint(
                evaluatedAt: RT.at("2026-09-05"), lastResidence: nil, alerts: [Self.fullAlert.alertId: Self.fullAlert]))
        let decoded = try PersonState(decoding: s.encoded())
        #expect(decoded.events == events)
        #expect(decoded.alerts[Self.fullAlert.alertId] == Self.fullAlert)
        #expect(decoded == s)

        // The same through the engine, which stores what it is given.
        let applied = RT.engine.apply(events, to: nil, now: RT.at("2026-12-01")).state
        let reread = try PersonState(decoding: applied.encoded())
        #expect(reread == applied)
        #expect(Set(reread.events) == Set(events))
        let child = Self.sparseFixtures()[2]
        #expect(
            try PersonState(decoding: RT.engine.apply(child, to: nil, now: child.occurredAt).state.encoded()).events
                == [child])
    }

    // MARK: event ids

    /// Fields the event id does not cover, by design (`PersonEvent.contentBytes`): the id itself, and
    /// the community and street, which the address directory resolves and which may change without
    /// the record changing.
    static let outsideEventId: Set<String> = [
        "eventId", "residence.community.code", "residence.community.name", "residence.street",
        "residence.street.code", "residence.street.name",
    ]

    /// A change to every field the fixtures have, by path (as `leaves` names them); `=nil`
    /// entries leave an optional out. `eventIdCoversEveryField` fails for a field without one.
    static func mutations() -> [String: Mutation] {
        func other<E: CaseIterable & Equatable>(_ v: E) -> E { E.allCases.first { $0 != v }! }
        func day(_ d: inout LocalDate) { d = d.adding(days: 1) }
        func text(_ s: inout String) { s += "9" }
        func permit(_ f: @escaping (inout ResidencePermitFact) -> Void) -> Mutation {
            { e in
                if case .residencePermit(var x) = e.fact {
                    f(&x)
                    e.fact = .residencePermit(x)
                }
            }
        }
        func marriage(_ f: @escaping (inout MarriageRegistrationFact) -> Void) -> Mutation {
            { e in
                if case .marriageRegistration(var x) = e.fact {
                    f(&x)
                    e.fact = .marriageRegistration(x)
                }
            }
        }
        func licence(_ f: @escaping (inout BusinessLicenseFact) -> Void) -> Mutation {
            { e in
                if case .businessLicense(var x) = e.fact {
                    f(&x)
                    e.fact = .businessLicense(x)
                }
            }
        }
        func enrolment(_ f: @escaping (inout SchoolEnrollmentFact) -> Void) -> Mutation {
            { e in
                if case .schoolEnrollment(var x) = e.fact {
                    f(&x)
                    e.fact = .schoolEnrollment(x)
                }
            }
        }
        func certificate(_ f: @escaping (inout CertificateFact) -> Void) -> Mutation {
            { e in
                if case .certificate(var x) = e.fact {
                    f(&x)
                    e.fact = .certificate(x)
                }
            }
        }
        func child(_ c: inout ChildRef, _ field: String) {
            switch field {
            case "idNumber": c.idNumber = RT.idNumber(region: "421125", birth: c.birthDate, sequence: 99)
            case "idNumber=nil": c.idNumber = nil
            case "birthDate": day(&c.birthDate)
            default: c.sex = other(c.sex)
            }
        }
        var m: [String: Mutation] = [
            "eventId": { text(&$0.eventId) },
            "source": { $0.source = other($0.source) },
            "recordId": { text(&$0.recordId) },
            "occurredAt": {
                $0.occurredAt = Timestamp(millisecondsSinceEpoch: $0.occurredAt.millisecondsSinceEpoch + 1)
            },
            "role": { $0.role = other($0.role) },
            "person.idNumber": { $0.person.idNumber = RT.idNumber(birth: $0.person.birthDate, sequence: 98) },
            "person.name": { text(&$0.person.name) },
            "person.sex": { $0.person.sex = other($0.person.sex) },
            "person.birthDate": { day(&$0.person.birthDate) },
            "person.hukouRegion": { $0.person.hukouRegion = "110101" },
            "residence=nil": { $0.residence = nil },
            "residence.houseId": { text(&$0.residence!.houseId) },
            "residence.community.code": { text(&$0.residence!.community.code) },
            "residence.community.name": { text(&$0.residence!.community.name) },
            "residence.street=nil": { $0.residence!.street = nil },
            "residence.street.code": { text(&$0.residence!.street!.code) },
            "residence.street.name": { text(&$0.residence!.street!.name) },

            "fact.residencePermit.event": permit { $0.event = other($0.event) },
            "fact.residencePermit.permitNo": permit { text(&$0.permitNo) },
            "fact.residencePermit.arrivalDate": permit { day(&$0.arrivalDate) },
            "fact.residencePermit.issuedAt": permit { day(&$0.issuedAt) },
            "fact.residencePermit.validUntil": permit { day(&$0.validUntil) },

            "fact.marriageRegistration.event": marriage { $0.event = other($0.event) },
            "fact.marriageRegistration.certificateNo": marriage { text(&$0.certificateNo) },
            "fact.marriageRegistration.registeredOn": marriage { day(&$0.registeredOn) },

            "fact.businessLicense.event": licence { $0.event = other($0.event) },
            "fact.businessLicense.licenseNo": licence { text(&$0.licenseNo) },
            "fact.businessLicense.issuedOn": licence { day(&$0.issuedOn) },

            "fact.schoolEnrollment.event": enrolment { $0.event = other($0.event) },
            "fact.schoolEnrollment.relation": enrolment { $0.relation = other($0.relation!) },
            "fact.schoolEnrollment.relation=nil": enrolment { $0.relation = nil },
            "fact.schoolEnrollment.schoolCode": enrolment { text(&$0.schoolCode) },
            "fact.schoolEnrollment.schoolLevel": enrolment { $0.schoolLevel = other($0.schoolLevel) },
            "fact.schoolEnrollment.enrolledOn": enrolment { day(&$0.enrolledOn) },

            "fact.certificate.event": certificate { $0.event = other($0.event) },
            "fact.certificate.certificateNo": certificate { text(&$0.certificateNo) },
            "fact.certificate.maritalStatus": certificate { $0.maritalStatus = other($0.maritalStatus) },
            "fact.certificate.children=[]": certificate { $0.children = [] },
            "fact.certificate.children.reversed": certificate { $0.children.reverse() },
            "fact.certificate.issuedOn": certificate { day(&$0.issuedOn) },
            "fact.certificate.validUntil": certificate { day(&$0.validUntil) },
            "fact.certificate.verifiedOn": certificate { day(&$0.verifiedOn!) },
            "fact.certificate.verifiedOn=nil": certificate { $0.verifiedOn = nil },
        ]
        for field in ["idNumber", "idNumber=nil", "birthDate", "sex"] {
            m["fact.schoolEnrollment.child." + field] = enrolment { child(&$0.child, field) }
            for i in 0..<2 {
                m["fact.certificate.children[\(i)]." + field] = certificate { child(&$0.children[i], field) }
            }
        }
        return m
    }

    /// Fields `makeEventId` hashes directly; every other field the id covers is in `contentBytes`.
    static let eventIdInputs: Set<String> = ["source", "recordId", "role", "person.idNumber"]

    /// Changing any one field the id covers gives another id (a later record that reuses a
    /// `recordId` is applied, not taken for a replay); changing a field it does not cover keeps it.
    @Test func eventIdCoversEveryField() {
        let mutations = Self.mutations()
        var used: Set<String> = []
        for e in Self.fixtures() {
            #expect(e.eventId == Self.derivedEventId(e))
            for leaf in Self.leaves(e) where mutations[leaf.path] == nil {
                Issue.record("no mutation for \(leaf.path): add one to `mutations()`")
            }
            let content = Self.contentBytes(e)
            for name in mutations.keys.sorted() {
                var changed = e
                mutations[name]!(&changed)
                guard changed != e else { continue }  // a field of another fact kind
                used.insert(name)
                let field = String(name.prefix { $0 != "=" })
                if Self.outsideEventId.contains(field) {
                    #expect(Self.derivedEventId(changed) == e.eventId, "\(name) changed the event id")
                } else {
                    #expect(Self.derivedEventId(changed) != e.eventId, "\(name) did not change the event id")
                    if !Self.eventIdInputs.contains(field) {
                        #expect(Self.contentBytes(changed) != content, "\(name) did not change the content bytes")
                    }
                }
            }
        }
        #expect(
            used == Set(mutations.keys), "mutations never applied: \(Set(mutations.keys).subtracting(used).sorted())")
    }

    static func contentBytes(_ e: PersonEvent) -> [UInt8] {
        PersonEvent.contentBytes(occurredAt: e.occurredAt, person: e.person, residence: e.residence, fact: e.fact)
    }
}
