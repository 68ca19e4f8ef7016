import XiechaCore

/// Factories for person events and expectations used by the rules tests.
enum RT {
    static let config = RulesConfiguration()
    static let engine = CrosscheckEngine(configuration: config)

    /// A GB 11643 ID with a valid check character. `sequence` odd = male, even = female.
    static func idNumber(region: String = "420102", birth: LocalDate, sequence: Int) -> String {
        let (y, m, d) = birth.components
        let body =
            region + String(format4(y)) + format2(m) + format2(d)
            + String(String(sequence + 1000).suffix(3))
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(body.compactMap { $0.wholeNumberValue }, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = Array("10X98765432")[sum % 11]
        return body + String(check)
    }

    static func format2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    static func format4(_ v: Int) -> String { String(String(v + 10000).suffix(4)) }

    static func date(_ s: String) -> LocalDate { LocalDate(iso: s)! }
    /// 00:00 of a local (+08:00) day.
    static func midnight(_ s: String) -> Timestamp { config.startOf(date(s)) }
    /// `2026-09-01` 10:00 local, or a full ISO timestamp.
    static func at(_ s: String) -> Timestamp {
        s.count == 10 ? Timestamp(iso: s + "T10:00:00+08:00")! : Timestamp(iso: s)!
    }

    static func person(
        name: String = "王芳", sex: Sex = .female, birth: String = "1990-03-07", region: String = "420102",
        hukou: String? = nil, sequence: Int? = nil
    ) -> Person {
        let b = date(birth)
        let seq = sequence ?? (sex == .female ? 2 : 1)
        return Person(
            idNumber: idNumber(region: region, birth: b, sequence: seq), name: name, sex: sex, birthDate: b,
            hukouRegion: hukou ?? region)
    }

    static let communityA = CommunityRef(code: "421125001001", name: "沿河社区")
    static let communityB = CommunityRef(code: "421125002001", name: "东门社区")
    static let streetA = StreetRef(code: "421125001", name: "清泉镇")
    static let streetB = StreetRef(code: "421125002", name: "东门街道")

    static func house(_ id: String = "421125-001-003-0101", community: CommunityRef = communityA) -> Residence {
        if community.isUnassigned { return Residence(houseId: id, community: .unassigned, street: nil) }
        return Residence(houseId: id, community: community, street: community == communityA ? streetA : streetB)
    }

    static func event(
        _ p: Person, _ source: Topic, _ recordId: String, at: Timestamp, role: PersonRole, residence: Residence?,
        _ fact: PersonEvent.Fact
    ) -> PersonEvent {
        PersonEvent(
            eventId: "\(source.rawValue)/\(recordId)/\(p.idNumber)", source: source, recordId: recordId,
            occurredAt: at, role: role, person: p, residence: residence, fact: fact)
    }

    static func permit(
        _ p: Person, _ recordId: String, at: String, event: ResidencePermitFact.Event = .registered,
        permitNo: String = "P1", arrival: String, validUntil: String = "2030-12-31", residence: Residence? = house()
    ) -> PersonEvent {
        Self.event(
            p, .residencePermits, recordId, at: Self.at(at), role: .permitHolder, residence: residence,
            .residencePermit(
                ResidencePermitFact(
                    event: event, permitNo: permitNo, arrivalDate: date(arrival), issuedAt: date(arrival),
                    validUntil: date(validUntil))))
    }

    static func certificate(
        _ p: Person, _ recordId: String, at: String, event: CertificateFact.Event = .issued, number: String = "C1",
        marital: CertificateFact.MaritalStatus = .unmarried, children: [ChildRef] = [], issued: String,
        validUntil: String
    ) -> PersonEvent {
        Self.event(
            p, .certificates, recordId, at: Self.at(at), role: .certificateHolder, residence: nil,
            .certificate(
                CertificateFact(
                    event: event, certificateNo: number, maritalStatus: marital, children: children,
                    issuedOn: date(issued), validUntil: date(validUntil), verifiedOn: nil)))
    }

    static func licence(_ p: Person, _ recordId: String, at: String, issued: String, residence: Residence? = house())
        -> PersonEvent
    {
        Self.event(
            p, .businessLicenses, recordId, at: Self.at(at), role: .licenseHolder, residence: residence,
            .businessLicense(BusinessLicenseFact(event: .issued, licenseNo: "91421125MA4000000X", issuedOn: date(issued))))
    }

    static func marriage(
        _ p: Person, _ recordId: String, at: String, event: MarriageRegistrationFact.Event = .marriage,
        number: String = "J420102-2026-000123", registered: String
    ) -> PersonEvent {
        Self.event(
            p, .marriageRegistrations, recordId, at: Self.at(at), role: .marriageParty, residence: nil,
            .marriageRegistration(MarriageRegistrationFact(event: event, certificateNo: number, registeredOn: date(registered))))
    }

    static func enrolment(
        _ p: Person, _ recordId: String, at: String, child: ChildRef, relation: SchoolEnrollmentFact.Relation = .mother,
        event: SchoolEnrollmentFact.Event = .enrolled, enrolled: String, residence: Residence? = house()
    ) -> PersonEvent {
        Self.event(
            p, .schoolEnrollments, recordId, at: Self.at(at), role: .guardian, residence: residence,
            .schoolEnrollment(
                SchoolEnrollmentFact(
                    event: event, relation: relation, child: child, schoolCode: "S001", schoolLevel: .primary,
                    enrolledOn: date(enrolled))))
    }

    /// Runs events through the engine in the given order, with the clock at `now` for every
    /// event (default: simulate semantics, the max event time so far), then advances to `until`.
    struct Run {
        var state: PersonState?
        var messages: [AlertMessage] = []

        /// Last message per alertId, as a consumer keeps them.
        var last: [String: AlertMessage] {
            var out: [String: AlertMessage] = [:]
            for m in messages { out[m.alertId] = m }
            return out
        }
        var open: [AlertMessage] { last.values.filter { $0.status == .open }.sorted { $0.alertId < $1.alertId } }
        func open(_ type: AlertType) -> [AlertMessage] { open.filter { $0.type == type } }
        func all(_ type: AlertType) -> [AlertMessage] { last.values.filter { $0.type == type } }
    }

    static func run(
        _ events: [PersonEvent], clock: Timestamp? = nil, until: String? = nil, engine: CrosscheckEngine = engine,
        twice: Bool = false
    ) -> Run {
        var r = Run(state: nil)
        var maxSeen: Timestamp?
        for e in events {
            maxSeen = max(maxSeen ?? e.occurredAt, e.occurredAt)
            for _ in 0..<(twice ? 2 : 1) {
                let out = engine.apply(e, to: r.state, now: clock ?? maxSeen!)
                r.state = out.state
                r.messages += out.messages
            }
        }
        if let until, let s = r.state {
            let out = engine.advance(s, to: midnight(until))
            r.state = out.state
            r.messages += out.messages
        }
        return r
    }
}
