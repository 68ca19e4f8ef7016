import Foundation
import Testing

@testable import XiechaCore

/// Pins the one-byte tag of every enum the binary person state stores (`StableTag.swift`).
///
/// The tables are written out literally: changing a tag — which would make every stored state
/// decode differently — fails here. A new case needs a new, unused tag and a new row.
@Suite struct StableTagTests {
    // MARK: the tag table (a new case: a new row at the end of its table, with the next unused tag)

    static let topics: [(Topic, UInt8)] = [
        (.residencePermits, 0), (.marriageRegistrations, 1), (.businessLicenses, 2), (.schoolEnrollments, 3),
        (.certificates, 4), (.addressDirectory, 5), (.personEvents, 6), (.alerts, 7), (.deadLetters, 8),
    ]
    static let roles: [(PersonRole, UInt8)] = [
        (.permitHolder, 0), (.marriageParty, 1), (.licenseHolder, 2), (.child, 3), (.guardian, 4),
        (.certificateHolder, 5), (.spouse, 6),
    ]
    static let sexes: [(Sex, UInt8)] = [(.female, 0), (.male, 1)]
    static let factKinds: [(PersonEvent.Fact.Kind, UInt8)] = [
        (.residencePermit, 0), (.marriageRegistration, 1), (.businessLicense, 2), (.schoolEnrollment, 3),
        (.certificate, 4),
    ]
    static let permitEvents: [(ResidencePermitFact.Event, UInt8)] = [(.registered, 0), (.renewed, 1), (.cancelled, 2)]
    static let marriageEvents: [(MarriageRegistrationFact.Event, UInt8)] = [(.marriage, 0), (.divorce, 1)]
    static let licenceEvents: [(BusinessLicenseFact.Event, UInt8)] = [(.issued, 0), (.changed, 1), (.revoked, 2)]
    static let enrolmentEvents: [(SchoolEnrollmentFact.Event, UInt8)] = [(.enrolled, 0), (.withdrawn, 1)]
    static let relations: [(SchoolEnrollmentFact.Relation, UInt8)] = [(.mother, 0), (.father, 1), (.guardian, 2)]
    static let schoolLevels: [(SchoolEnrollmentFact.SchoolLevel, UInt8)] = [
        (.kindergarten, 0), (.primary, 1), (.junior, 2),
    ]
    static let certificateEvents: [(CertificateFact.Event, UInt8)] = [
        (.issued, 0), (.renewed, 1), (.revoked, 2), (.verified, 3),
    ]
    static let maritalStatuses: [(CertificateFact.MaritalStatus, UInt8)] = [
        (.unmarried, 0), (.married, 1), (.divorced, 2), (.widowed, 3),
    ]
    static let alertTypes: [(AlertType, UInt8)] = [
        (.certificateMissing, 0), (.certificateExpiring, 1), (.certificateExpired, 2), (.maritalStatusChanged, 3),
        (.childNotOnCertificate, 4), (.movedIn, 5), (.movedOut, 6), (.recordConflict, 7), (.escalation, 8),
    ]
    static let alertStatuses: [(AlertStatus, UInt8)] = [(.open, 0), (.closed, 1)]
    static let audiences: [(AlertAudience, UInt8)] = [(.community, 0), (.street, 1)]
    static let closerKinds: [(AlertCloser.Kind, UInt8)] = [(.record, 0), (.office, 1), (.clock, 2)]

    // MARK: the sweep state: every case of every tagged enum, in a state of the old format
    //
    // The sweep is frozen: it is what `stateBeforeStableTags` holds, so it uses only literals and
    // the table rows that existed when those bytes were written (`frozen`), never `RT` defaults or
    // `allCases`. New rows go at the end of a table and stay out of it.

    /// The first `count` cases of a table: those the sweep was written with.
    static func frozen<E>(_ table: [(E, UInt8)], _ count: Int) -> [E] { table.prefix(count).map(\.0) }

    static let sweepPerson = Person(
        idNumber: "420102199003070029", name: "王芳", sex: .female, birthDate: LocalDate(iso: "1990-03-07")!,
        hukouRegion: "420102")
    static let sweepCommunity = CommunityRef(code: "421125001001", name: "沿河社区")
    static let sweepStreet = StreetRef(code: "421125001", name: "清泉镇")

    static func day(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }
    /// 00:00 at +08:00 on `iso`, plus `seconds`.
    static func instant(_ iso: String, plus seconds: Int = 0) -> Timestamp {
        let t = Timestamp(iso: iso + "T00:00:00+08:00")!
        return Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch + Int64(seconds) * 1000)
    }

    /// Events that together use every case of every enum stored in an event: per fact kind
    /// four events (`j`), and the event-level enums cycling with the running count `c`.
    static func sweepEvents() -> [PersonEvent] {
        let t = frozen(topics, 9)
        let r = frozen(roles, 7)
        let s = frozen(sexes, 2)
        let childIds = ["420102201605010015", nil, "420102201605030032", nil]
        var out: [PersonEvent] = []
        for (k, kind) in frozen(factKinds, 5).enumerated() {
            for j in 0..<4 {
                let c = k * 4 + j
                let child = ChildRef(idNumber: childIds[j], birthDate: day("2016-05-0\(j + 1)"), sex: s[(j + 1) % 2])
                let on = day("2026-01-01").adding(days: c)
                let fact: PersonEvent.Fact
                switch kind {
                case .residencePermit:
                    fact = .residencePermit(
                        ResidencePermitFact(
                            event: frozen(permitEvents, 3)[j % 3], permitNo: "P\(j)", arrivalDate: on, issuedAt: on,
                            validUntil: on.adding(days: 365)))
                case .marriageRegistration:
                    fact = .marriageRegistration(
                        MarriageRegistrationFact(
                            event: frozen(marriageEvents, 2)[j % 2], certificateNo: "J\(j)", registeredOn: on))
                case .businessLicense:
                    fact = .businessLicense(
                        BusinessLicenseFact(event: frozen(licenceEvents, 3)[j % 3], licenseNo: "L\(j)", issuedOn: on))
                case .schoolEnrollment:
                    fact = .schoolEnrollment(
                        SchoolEnrollmentFact(
                            event: frozen(enrolmentEvents, 2)[j % 2], relation: j == 3 ? nil : frozen(relations, 3)[j],
                            child: child, schoolCode: "S\(j)", schoolLevel: frozen(schoolLevels, 3)[j % 3],
                            enrolledOn: on))
                case .certificate:
                    fact = .certificate(
                        CertificateFact(
                            event: frozen(certificateEvents, 4)[j], certificateNo: "C\(j)",
                            maritalStatus: frozen(maritalStatuses, 4)[j], children: Array(repeating: child, count: j),
                            issuedOn: on, validUntil: on.adding(days: 1000), verifiedOn: j % 2 == 1 ? on : nil))
                }
                let residence =
                    c % 3 == 0
                    ? nil
                    : c % 3 == 1
                        ? Residence(houseId: "H\(c % 2)", community: sweepCommunity, street: sweepStreet)
                        : Residence(houseId: "H\(c % 2)", community: .unassigned, street: nil)
                out.append(
                    PersonEvent(
                        eventId: "e\(c)", source: t[c % t.count], recordId: "r\(c)",
                        occurredAt: instant("2026-01-01", plus: 3600 * c), role: r[c % r.count], person: sweepPerson,
                        residence: residence, fact: fact))
            }
        }
        return out
    }

    /// Alerts that together use every case of every enum stored in an alert.
    static func sweepAlerts() -> [AlertMessage] {
        let t = frozen(topics, 9)
        let types = frozen(alertTypes, 9)
        let statuses = frozen(alertStatuses, 2)
        let audiences = frozen(audiences, 2)
        let kinds = frozen(closerKinds, 3)
        return types.indices.map { c in
            let closer =
                c % 4 == 3
                ? nil
                : AlertCloser(
                    kind: kinds[c % 3], topic: c % 2 == 0 ? t[(c + 2) % t.count] : nil,
                    recordId: c % 3 == 0 ? "r\(c)" : nil, office: c % 3 == 1 ? sweepCommunity.code : nil)
            return AlertMessage(
                alertId: "a\(c)", type: types[c], status: statuses[c % 2], audience: audiences[c % 2],
                community: c % 3 == 2 ? .unassigned : sweepCommunity, street: c % 3 == 2 ? nil : sweepStreet,
                subject: AlertSubject(personRef: "ref", maskedId: "4201**********002X", maskedName: "王*"),
                reason: "原因\(c)",
                evidence: [
                    AlertEvidence(topic: t[c], recordId: "r\(c)"),
                    AlertEvidence(topic: t[(c + 4) % t.count], recordId: "q"),
                ],
                raisedAt: instant("2026-02-01", plus: 60 * c), dueBy: instant("2026-03-01"),
                closedAt: closer == nil ? nil : instant("2026-02-15"), closedBy: closer)
        }
    }

    /// A state holding the sweep events and alerts (built through `Codable`, so no rule decides what is in it).
    static func sweepState() throws -> PersonState {
        let events = sweepEvents()
        let alerts = sweepAlerts()
        return try PersonEventEncodingRoundTripTests.state(
            events: events, personRef: "4772c5a4db3a58567035fc306ff0f7bae51867aed437ccd4bd96c746238f62fc",
            foldedCount: events.count - 3, alerts: Array(alerts[..<6]), retracted: Array(alerts[6...]),
            horizon: instant("2026-04-01"), lastEvaluatedAt: instant("2026-03-31"), nextDeadline: instant("2026-05-01"),
            lastResidence: ResidenceMark(
                residence: Residence(houseId: "421125-001-003-0101", community: sweepCommunity, street: sweepStreet),
                evidence: AlertEvidence(topic: .deadLetters, recordId: "r1")),
            checkpoint: TimelineCheckpoint(
                evaluatedAt: instant("2026-03-30"),
                lastResidence: ResidenceMark(
                    residence: Residence(
                        houseId: "H9", community: CommunityRef(code: "421125002001", name: "东门社区"),
                        street: StreetRef(code: "421125002", name: "东门街道")),
                    evidence: AlertEvidence(topic: .alerts, recordId: "r2")),
                alerts: Dictionary(uniqueKeysWithValues: alerts[2..<5].map { ($0.alertId, $0) })))
    }

    // MARK: tests

    /// Checks one enum's table: every case has the tag written in the table, tags are unique,
    /// the table lists every case, and each tag decodes to its case.
    static func check<E: StableTag>(_ table: [(E, UInt8)], sourceLocation: SourceLocation = #_sourceLocation) {
        let name = E.stableTagTypeName
        #expect(
            table.count == E.allCases.count, "\(name): the table lists \(table.count) of \(E.allCases.count) cases",
            sourceLocation: sourceLocation)
        #expect(
            Set(table.map(\.0)) == Set(E.allCases), "\(name): the table does not cover allCases",
            sourceLocation: sourceLocation)
        #expect(
            Set(table.map(\.1)).count == table.count, "\(name): tags are not unique", sourceLocation: sourceLocation)
        #expect(
            Set(E.allCases.map(\.stableTag)).count == E.allCases.count, "\(name): stableTag is not unique",
            sourceLocation: sourceLocation)
        for (c, tag) in table {
            #expect(
                c.stableTag == tag, "\(name).\(c) has tag \(c.stableTag), pinned \(tag)", sourceLocation: sourceLocation
            )
            #expect(E(stableTag: tag) == c, sourceLocation: sourceLocation)
        }
        let unused = (0...UInt8.max).filter { t in !table.contains { $0.1 == t } }
        #expect(unused.allSatisfy { E(stableTag: $0) == nil }, sourceLocation: sourceLocation)
    }

    @Test func tagsArePinned() {
        Self.check(Self.topics)
        Self.check(Self.roles)
        Self.check(Self.sexes)
        Self.check(Self.factKinds)
        Self.check(Self.permitEvents)
        Self.check(Self.marriageEvents)
        Self.check(Self.licenceEvents)
        Self.check(Self.enrolmentEvents)
        Self.check(Self.relations)
        Self.check(Self.schoolLevels)
        Self.check(Self.certificateEvents)
        Self.check(Self.maritalStatuses)
        Self.check(Self.alertTypes)
        Self.check(Self.alertStatuses)
        Self.check(Self.audiences)
        Self.check(Self.closerKinds)
    }

    @Test func typeNamesForDiagnostics() {
        #expect(CertificateFact.MaritalStatus.stableTagTypeName == "CertificateFact.MaritalStatus")
        #expect(Topic.stableTagTypeName == "Topic")
        #expect(PersonEvent.Fact.Kind.stableTagTypeName == "PersonEvent.Fact.Kind")
    }

    /// A state that version 2 wrote before tags were explicit (enums as their position in
    /// `allCases`), using every case of every tagged enum: it decodes to the same content and
    /// encodes to the same bytes.
    static let stateBeforeStableTags = Array(
        Data(
            base64Encoded: """
                WAJmEjQyMDEwMjE5OTAwMzA3MDAyOUA0NzcyYzVhNGRiM2E1ODU2NzAzNWZjMzA2ZmYwZjdiYWU1MTg2N2FlZDQzN2NjZDRiZDk2
                Yzc0NjIzOGY2MmZjAmUwAnIwBueOi+iKswY0MjAxMDICUDACZTECcjECSDEMNDIxMTI1MDAxMDAxDOayv+ays+ekvuWMugk0MjEx
                MjUwMDEJ5riF5rOJ6ZWHAlAxAmUyAnIyAkgwCnVuYXNzaWduZWQJ5pyq5YiG6YWNAlAyAmUzAnIzAlAzAmU0AnI0AkowAmU1AnI1
                AkoxAmU2AnI2AkoyAmU3AnI3AkozAmU4AnI4AkwwAmU5AnI5AkwxA2UxMANyMTACTDIDZTExA3IxMQJMMwNlMTIDcjEyEjQyMDEw
                MjIwMTYwNTAxMDAxNQJTMANlMTMDcjEzAlMxA2UxNANyMTQSNDIwMTAyMjAxNjA1MDMwMDMyAlMyA2UxNQNyMTUCUzMDZTE2A3Ix
                NgJDMANlMTcDcjE3AkMxA2UxOANyMTgCQzIDZTE5A3IxOQJDMxM0MjExMjUtMDAxLTAwMy0wMTAxAmEwA3JlZhI0MjAxKioqKioq
                KioqKjAwMlgE546LKgfljp/lm6AwAXECYTEH5Y6f5ZugMQJhMgfljp/lm6AyAmEzB+WOn+WboDMCYTQH5Y6f5ZugNAJhNQfljp/l
                m6A1AmE2B+WOn+WboDYCYTcH5Y6f5ZugNwJhOAfljp/lm6A4Akg5DDQyMTEyNTAwMjAwMQzkuJzpl6jnpL7ljLoJNDIxMTI1MDAy
                DOS4nOmXqOihl+mBkwABAYCw/MmoZwGAwMn3p2cBgNDy8btnERQCAAOA0JnS7mYABACUcwUAAAAGzL8CzL8CpsUCBwEIgIrR1e5m
                AQQAlHMFAQkKCwEMDQABDs6/As6/AqjFAg8CEIDEiNnuZgIEAJRzBQEREhMAAAIU0L8C0L8CqsUCFQMWgP6/3O5mAwQAlHMFAAAA
                F9K/AtK/AqzFAhgEGYC499/uZgQEAJRzBQERCgsBDA0BABrUvwIbBRyA8q7j7mYFBACUcwUBCRITAAEBHda/Ah4GH4Cs5ubuZgYE
                AJRzBQABACDYvwIhByKA5p3q7mYABACUcwUBCQoLAQwNAQEj2r8CJAglgKDV7e5mAQQAlHMFARESEwACACbcvwInACiA2ozx7mYC
                BACUcwUAAgEp3r8CKgErgJTE9O5mAwQAlHMFAREKCwEMDQICLOC/Ai0CLoDO+/fuZgQEAJRzBQEJEhMAAgAv4r8CMAMxgIiz++5m
                BQQAlHMFAAMAAQABMrSIAgEzAOS/AjQENYDC6v7uZgYEAJRzBQEJCgsBDA0DAQEBALaIAgA2Aea/AjcFOID8oYLvZgAEAJRzBQER
                EhMAAwABAgE5uIgCAToC6L8COwY8gLbZhe9mAQQAlHMFAAMBAAC6iAIAPQDqvwI+Bz+A8JCJ72YCBACUcwUBEQoLAQwNBABAAADs
                vwK8zwIAQQhCgKrIjO9mAwQAlHMFAQkSEwAEAUMBAQC2iAIA7r8Cvs8CAe6/AkQARYDk/4/vZgQEAJRzBQAEAkYCAgE5uIgCAQE5
                uIgCAfC/AsDPAgBHAUiAnreT72YFBACUcwUBCQoLAQwNBANJAwMAuogCAAC6iAIAALqIAgDyvwLCzwIB8r8CAUoKCwEMDQgIBksA
                AAAKCwEMDUxNTk8CAAMEUIDgwsyCZ4Cg08+UZwGAgIvOi2cBAAECAQMAUQEBAQoLAQwNTE1OUgIBCAVQwInKzIJngKDTz5RnAYCA
                i86LZwEBAAABClMCAAASEwBMTU5UAgIQBlCAs9HMgmeAoNPPlGcBgICLzotnAQIBBAAAVQMBAQoLAQwNTE1OVgIDFgdQwNzYzIJn
                gKDTz5RnAABXBAAACgsBDA1MTU5YAgQZCFCAhuDMgmeAoNPPlGcBgICLzotnAQEBBgABClkFAQESEwBMTU5aAgUcAFDAr+fMgmeA
                oNPPlGcBgICLzotnAQIAAAADWwYAAAoLAQwNTE1OXAIGHwFQgNnuzIJngKDTz5RnAYCAi86LZwEAAQgBHwBdBwEBCgsBDA1MTU5e
                AgciAlDAgvbMgmeAoNPPlGcAAF8IAAASEwBMTU5gAgglA1CArP3MgmeAoNPPlGcBgICLzotnAQIBAQAAAYDQlqWnZwFhYmMBZGUH
                EANTAgAAEhMATE1OVAICEAZQgLPRzIJngKDTz5RnAYCAi86LZwECAQQAAFUDAQEKCwEMDUxNTlYCAxYHUMDc2MyCZ4Cg08+UZwAA
                VwQAAAoLAQwNTE1OWAIEGQhQgIbgzIJngKDTz5RnAYCAi86LZwEBAQYAAQo=
                """.filter { !$0.isWhitespace })!)

    @Test func stateWrittenBeforeStableTagsDecodesUnchanged() throws {
        let expected = try Self.sweepState()
        let decoded = try PersonState(decoding: Self.stateBeforeStableTags)
        #expect(decoded.events == Self.sweepEvents())
        #expect(decoded == expected)
        #expect(decoded.encoded() == Self.stateBeforeStableTags)
        #expect(expected.encoded() == Self.stateBeforeStableTags)
    }

    /// The sweep (and so `stateBeforeStableTags`) uses every case that existed when it was written.
    @Test func sweepUsesEveryCase() throws {
        let s = try Self.sweepState()
        let events = s.events
        let alerts = Array(s.alerts.values) + Array(s.retracted.values)
        let children = events.flatMap { e -> [ChildRef] in
            switch e.fact {
            case .schoolEnrollment(let f): return [f.child]
            case .certificate(let f): return f.children
            default: return []
            }
        }
        #expect(Set(events.map(\.source)) == Set(Self.frozen(Self.topics, 9)))
        #expect(Set(events.map(\.role)) == Set(Self.frozen(Self.roles, 7)))
        #expect(Set(children.map(\.sex)) == Set(Self.frozen(Self.sexes, 2)))
        #expect(Set(events.map(\.fact.kind)) == Set(Self.frozen(Self.factKinds, 5)))
        #expect(Set(alerts.map(\.type)) == Set(Self.frozen(Self.alertTypes, 9)))
        #expect(Set(alerts.map(\.status)) == Set(Self.frozen(Self.alertStatuses, 2)))
        #expect(Set(alerts.map(\.audience)) == Set(Self.frozen(Self.audiences, 2)))
        #expect(Set(alerts.compactMap(\.closedBy?.kind)) == Set(Self.frozen(Self.closerKinds, 3)))
        var permit: Set<ResidencePermitFact.Event> = []
        var marriage: Set<MarriageRegistrationFact.Event> = []
        var licence: Set<BusinessLicenseFact.Event> = []
        var enrolment: Set<SchoolEnrollmentFact.Event> = []
        var relation: Set<SchoolEnrollmentFact.Relation> = []
        var level: Set<SchoolEnrollmentFact.SchoolLevel> = []
        var certificate: Set<CertificateFact.Event> = []
        var marital: Set<CertificateFact.MaritalStatus> = []
        for e in events {
            switch e.fact {
            case .residencePermit(let f): permit.insert(f.event)
            case .marriageRegistration(let f): marriage.insert(f.event)
            case .businessLicense(let f): licence.insert(f.event)
            case .schoolEnrollment(let f):
                enrolment.insert(f.event)
                if let r = f.relation { relation.insert(r) }
                level.insert(f.schoolLevel)
            case .certificate(let f):
                certificate.insert(f.event)
                marital.insert(f.maritalStatus)
            }
        }
        #expect(permit == Set(Self.frozen(Self.permitEvents, 3)))
        #expect(marriage == Set(Self.frozen(Self.marriageEvents, 2)))
        #expect(licence == Set(Self.frozen(Self.licenceEvents, 3)))
        #expect(enrolment == Set(Self.frozen(Self.enrolmentEvents, 2)))
        #expect(relation == Set(Self.frozen(Self.relations, 3)))
        #expect(level == Set(Self.frozen(Self.schoolLevels, 3)))
        #expect(certificate == Set(Self.frozen(Self.certificateEvents, 4)))
        #expect(marital == Set(Self.frozen(Self.maritalStatuses, 4)))
    }

    @Test func unknownTagIsMalformed() throws {
        // "X" 2, an empty string table, then the byte under test.
        for (bytes, message) in [
            ([UInt8(ascii: "X"), 2, 0, 9], "unknown Topic tag 9"),
            ([UInt8(ascii: "X"), 2, 0, 255], "unknown Topic tag 255"),
        ] {
            var r = try PersonStateReader(bytes)
            #expect(throws: PersonStateDecodingError.malformed(message)) { _ = try r.tag(Topic.self) }
        }
        var r = try PersonStateReader([UInt8(ascii: "X"), 2, 0, 4])
        #expect(throws: PersonStateDecodingError.malformed("unknown CertificateFact.MaritalStatus tag 4")) {
            _ = try r.tag(CertificateFact.MaritalStatus.self)
        }
        r = try PersonStateReader([UInt8(ascii: "X"), 2, 0, 5])
        #expect(throws: PersonStateDecodingError.malformed("unknown PersonEvent.Fact.Kind tag 5")) {
            _ = try r.tag(PersonEvent.Fact.Kind.self)
        }
    }

    /// A whole state with an unknown tag where an event's fact kind is: refused, naming the enum.
    @Test func unknownFactKindInAStateIsMalformed() throws {
        // Two states that differ only in the marriage event's `event` tag (divorce 1, marriage 0):
        // the one differing byte is that tag, and the fact kind's tag is the byte before it.
        var divorce = PersonEventEncodingRoundTripTests.fixtures()[1]
        divorce.residence = nil
        var marriage = divorce
        guard case .marriageRegistration(var f) = divorce.fact, f.event == .divorce else {
            Issue.record("the second fixture is not a divorce")
            return
        }
        f.event = .marriage
        marriage.fact = .marriageRegistration(f)
        let a = try PersonEventEncodingRoundTripTests.state(events: [divorce]).encoded()
        let b = try PersonEventEncodingRoundTripTests.state(events: [marriage]).encoded()
        try #require(a.count == b.count)
        let differing = a.indices.filter { a[$0] != b[$0] }
        try #require(differing.count == 1)
        let kindOffset = differing[0] - 1
        #expect(a[kindOffset] == PersonEvent.Fact.Kind.marriageRegistration.stableTag)
        var corrupted = a
        corrupted[kindOffset] = 200
        #expect(throws: PersonStateDecodingError.malformed("unknown PersonEvent.Fact.Kind tag 200")) {
            try PersonState(decoding: corrupted)
        }
        corrupted = a
        corrupted[differing[0]] = 7
        #expect(throws: PersonStateDecodingError.malformed("unknown MarriageRegistrationFact.Event tag 7")) {
            try PersonState(decoding: corrupted)
        }
    }

    /// Alert types sort in this order (messages of one evaluation are published by type, then id).
    @Test func alertTypeOrderIsPinned() {
        let order: [AlertType] = [
            .certificateMissing, .certificateExpiring, .certificateExpired, .maritalStatusChanged,
            .childNotOnCertificate, .movedIn, .movedOut, .recordConflict, .escalation,
        ]
        #expect(AlertType.allCases.sorted() == order)
        #expect(order.map(\.publicationRank) == Array(0..<9))
    }
}
