/// Fast JSON for `xiecha.person-events.v1`. The document is the one `JSONEncoder` writes for
/// `PersonEvent`'s `Codable` conformance (same keys, absent optionals omitted, dates
/// `YYYY-MM-DD`, `occurredAt` RFC 3339 with milliseconds), in declaration order.
extension PersonEvent {
    /// Compact UTF-8 JSON.
    public func jsonBytes() -> [UInt8] {
        var w = JSONWriter(capacity: 640)
        w.beginObject()
        w.member("eventId", eventId)
        w.member("source", source.rawValue)
        w.member("recordId", recordId)
        w.key("occurredAt")
        w.timestamp(occurredAt)
        w.member("role", role.rawValue)
        w.key("person")
        w.beginObject()
        w.member("idNumber", person.idNumber)
        w.member("name", person.name)
        w.member("sex", person.sex.rawValue)
        w.member("birthDate", person.birthDate)
        w.member("hukouRegion", person.hukouRegion)
        w.endObject()
        if let residence {
            w.key("residence")
            w.beginObject()
            w.member("houseId", residence.houseId)
            w.key("community")
            w.beginObject()
            w.member("code", residence.community.code)
            w.member("name", residence.community.name)
            w.endObject()
            if let street = residence.street {
                w.key("street")
                w.beginObject()
                w.member("code", street.code)
                w.member("name", street.name)
                w.endObject()
            }
            w.endObject()
        }
        w.key("fact")
        w.beginObject()
        w.member("kind", fact.kind.rawValue)
        switch fact {
        case .residencePermit(let f):
            w.member("event", f.event.rawValue)
            w.member("permitNo", f.permitNo)
            w.member("arrivalDate", f.arrivalDate)
            w.member("issuedAt", f.issuedAt)
            w.member("validUntil", f.validUntil)
        case .marriageRegistration(let f):
            w.member("event", f.event.rawValue)
            w.member("certificateNo", f.certificateNo)
            w.member("registeredOn", f.registeredOn)
        case .businessLicense(let f):
            w.member("event", f.event.rawValue)
            w.member("licenseNo", f.licenseNo)
            w.member("issuedOn", f.issuedOn)
        case .schoolEnrollment(let f):
            w.member("event", f.event.rawValue)
            w.member("relation", ifPresent: f.relation?.rawValue)
            w.key("child")
            Self.write(f.child, to: &w)
            w.member("schoolCode", f.schoolCode)
            w.member("schoolLevel", f.schoolLevel.rawValue)
            w.member("enrolledOn", f.enrolledOn)
        case .certificate(let f):
            w.member("event", f.event.rawValue)
            w.member("certificateNo", f.certificateNo)
            w.member("maritalStatus", f.maritalStatus.rawValue)
            w.key("children")
            w.beginArray()
            for c in f.children { Self.write(c, to: &w) }
            w.endArray()
            w.member("issuedOn", f.issuedOn)
            w.member("validUntil", f.validUntil)
            w.member("verifiedOn", ifPresent: f.verifiedOn)
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    private static func write(_ c: ChildRef, to w: inout JSONWriter) {
        w.beginObject()
        w.member("idNumber", ifPresent: c.idNumber)
        w.member("birthDate", c.birthDate)
        w.member("sex", c.sex.rawValue)
        w.endObject()
    }

    /// Decodes a person event from JSON (what `jsonBytes()` or `JSONEncoder` wrote). Unknown
    /// fields are ignored; problems are dead-letter reasons with paths.
    public init(jsonBytes: some Collection<UInt8>) throws(DeadLetterReason) {
        let root: JSONValue
        let parsed: Result<JSONValue, DeadLetterReason> =
            jsonBytes.withContiguousStorageIfAvailable { b in
                Result { () throws(DeadLetterReason) in try RecordDecoder.parseRoot(b) }
            }
            ?? Array(jsonBytes).withUnsafeBufferPointer { b in
                Result { () throws(DeadLetterReason) in try RecordDecoder.parseRoot(b) }
            }
        root = try parsed.get()
        try self.init(json: root)
    }

    /// Decodes a person event from a parsed document.
    public init(json: JSONValue) throws(DeadLetterReason) {
        let r = try FieldReader(root: json)
        let eventId = try r.code("eventId")
        let source: Topic = try r.enumValue("source")
        let recordId = try r.code("recordId")
        guard let occurredAt = Timestamp(iso: try r.string("occurredAt")) else {
            throw DeadLetterReason(.invalidDate, path: "occurredAt", detail: "not an RFC 3339 timestamp")
        }
        let role: PersonRole = try r.enumValue("role")
        let p = try r.object("person")
        let person = try RecordDecoder.person(p).person
        var residence: Residence? = nil
        if let res = try r.optionalObject("residence") {
            let c = try res.object("community")
            var street: StreetRef? = nil
            if let s = try res.optionalObject("street") {
                street = StreetRef(code: try s.code("code"), name: try s.string("name"))
            }
            residence = Residence(
                houseId: try res.code("houseId"),
                community: CommunityRef(code: try c.code("code"), name: try c.string("name")), street: street)
        }
        let f = try r.object("fact")
        let kind: PersonEvent.Fact.Kind = try f.enumValue("kind")
        let fact: PersonEvent.Fact
        switch kind {
        case .residencePermit:
            fact = .residencePermit(
                ResidencePermitFact(
                    event: try f.enumValue("event"), permitNo: try f.code("permitNo"),
                    arrivalDate: try f.date("arrivalDate"), issuedAt: try f.date("issuedAt"),
                    validUntil: try f.date("validUntil")))
        case .marriageRegistration:
            fact = .marriageRegistration(
                MarriageRegistrationFact(
                    event: try f.enumValue("event"), certificateNo: try f.code("certificateNo"),
                    registeredOn: try f.date("registeredOn")))
        case .businessLicense:
            fact = .businessLicense(
                BusinessLicenseFact(
                    event: try f.enumValue("event"), licenseNo: try f.code("licenseNo"), issuedOn: try f.date("issuedOn")))
        case .schoolEnrollment:
            let relation: SchoolEnrollmentFact.Relation? =
                f.value("relation") == nil ? nil : try f.enumValue("relation")
            fact = .schoolEnrollment(
                SchoolEnrollmentFact(
                    event: try f.enumValue("event"), relation: relation, child: try Self.child(f.object("child")),
                    schoolCode: try f.code("schoolCode"), schoolLevel: try f.enumValue("schoolLevel"),
                    enrolledOn: try f.date("enrolledOn")))
        case .certificate:
            let event: CertificateFact.Event = try f.enumValue("event")
            let certificateNo = try f.code("certificateNo")
            let maritalStatus: CertificateFact.MaritalStatus = try f.enumValue("maritalStatus")
            var children: [ChildRef] = []
            for (i, item) in try f.array("children").enumerated() {
                children.append(try Self.child(FieldReader(item: item, path: f.itemPath("children", i))))
            }
            fact = .certificate(
                CertificateFact(
                    event: event, certificateNo: certificateNo, maritalStatus: maritalStatus, children: children,
                    issuedOn: try f.date("issuedOn"), validUntil: try f.date("validUntil"),
                    verifiedOn: try f.optionalDate("verifiedOn")))
        }
        self.init(
            eventId: eventId, source: source, recordId: recordId, occurredAt: occurredAt, role: role, person: person,
            residence: residence, fact: fact)
    }

    private static func child(_ c: FieldReader) throws(DeadLetterReason) -> ChildRef {
        var id: String? = nil
        if let raw = try c.optionalString("idNumber") {
            do {
                id = try IDNumber(validating: raw).value
            } catch {
                throw RecordDecoder.reason(for: error, path: c.path("idNumber"))
            }
        }
        return ChildRef(idNumber: id, birthDate: try c.date("birthDate"), sex: try c.enumValue("sex"))
    }
}
