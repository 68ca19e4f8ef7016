/// Validates and normalises department records: bytes → `DepartmentRecord`, or the first
/// problem as a `DeadLetterReason`. Checks run in field order, so a record's reason is
/// deterministic.
public enum RecordDecoder {
    /// Record-level checks and parsing shared by every topic: null/empty, size, UTF-8, JSON, object.
    public static func parseRoot(_ bytes: UnsafeBufferPointer<UInt8>?) throws(DeadLetterReason) -> JSONValue {
        guard let bytes, !bytes.isEmpty else {
            throw DeadLetterReason(.emptyValue, detail: "null or empty value")
        }
        guard bytes.count <= RecordLimits.maxRecordBytes else {
            throw DeadLetterReason(.recordTooLarge, detail: "\(bytes.count) bytes, limit \(RecordLimits.maxRecordBytes)")
        }
        do {
            return try JSONParser.parse(buffer: bytes)
        } catch {
            switch error.kind {
            case .invalidUTF8:
                throw DeadLetterReason(.invalidUTF8, detail: "invalid UTF-8 at byte \(error.offset)")
            case .syntax:
                throw DeadLetterReason(.notJSON, detail: "\(error.message) at byte \(error.offset)")
            }
        }
    }

    /// Decodes a department record from its Kafka value.
    public static func decode(topic: Topic, bytes: UnsafeBufferPointer<UInt8>?) throws(DeadLetterReason)
        -> DepartmentRecord
    {
        let root = try parseRoot(bytes)
        return try decode(topic: topic, json: root)
    }

    public static func decode(topic: Topic, value: [UInt8]?) throws(DeadLetterReason) -> DepartmentRecord {
        guard let value else { return try decode(topic: topic, bytes: nil) }
        return try value.withUnsafeBufferPointer { (b) throws(DeadLetterReason) -> DepartmentRecord in
            try decode(topic: topic, bytes: b)
        }
    }

    /// Decodes an already-parsed record.
    public static func decode(topic: Topic, json: JSONValue) throws(DeadLetterReason) -> DepartmentRecord {
        let r = try FieldReader(root: json)
        switch topic {
        case .residencePermits: return .residencePermit(try residencePermit(r))
        case .marriageRegistrations: return .marriageRegistration(try marriageRegistration(r))
        case .businessLicenses: return .businessLicense(try businessLicense(r))
        case .schoolEnrollments: return .schoolEnrollment(try schoolEnrollment(r))
        case .certificates: return .certificate(try certificate(r))
        case .addressDirectory, .personEvents, .alerts, .deadLetters:
            throw DeadLetterReason(.unsupportedTopic, detail: "\(topic.rawValue) is not a department feed")
        }
    }

    /// The `recordId` of a value if it is readable, for dead-letter headers; `nil` otherwise.
    public static func bestEffortRecordId(_ json: JSONValue?) -> String? {
        guard let s = json?["recordId"]?.stringValue else { return nil }
        let c = TextNormalisation.code(s)
        return c.isEmpty || c.utf8.count > RecordLimits.maxIdentifierLength ? nil : c
    }

    // MARK: shared objects

    static func recordId(_ r: FieldReader) throws(DeadLetterReason) -> String { try r.code("recordId") }

    /// A `person` object at `r`'s path: ID valid and consistent with `birthDate` and `sex`.
    public static func person(_ r: FieldReader) throws(DeadLetterReason) -> PersonRecord {
        let rawID = try r.string("idNumber")
        let id: IDNumber
        do {
            id = try IDNumber(validating: rawID)
        } catch {
            throw reason(for: error, path: r.path("idNumber"))
        }
        let name = try r.text("name")
        let sex = try r.enumValue("sex", Sex.self)
        let birthDate = try r.date("birthDate")
        var region: String? = nil
        if r.value("hukouRegion") != nil { region = try r.digits("hukouRegion", count: 6) }
        try checkConsistency(id, birthDate: birthDate, sex: sex, path: r.path("idNumber"))
        return PersonRecord(idNumber: id.value, name: name, sex: sex, birthDate: birthDate, hukouRegion: region)
    }

    static func checkConsistency(_ id: IDNumber, birthDate: LocalDate, sex: Sex, path: String) throws(DeadLetterReason)
    {
        guard id.birthDate == birthDate else {
            throw DeadLetterReason(.idBirthDateMismatch, detail: "\(path): ID birth date differs from birthDate")
        }
        guard id.sex == sex else {
            throw DeadLetterReason(.idSexMismatch, detail: "\(path): ID sequence parity differs from sex")
        }
    }

    /// Maps an ID failure to its reason; the path goes into the detail (codes stay path-free).
    public static func reason(for failure: IDNumber.Failure, path: String) -> DeadLetterReason {
        switch failure {
        case .legacy15Digit:
            return DeadLetterReason(.legacy15DigitID, detail: "\(path): 15-digit legacy ID numbers are not accepted")
        case .invalidFormat:
            return DeadLetterReason(.invalidIDFormat, detail: "\(path): expected 17 digits and a check digit or X")
        case .invalidBirthDate:
            return DeadLetterReason(.invalidIDFormat, detail: "\(path): digits 7-14 are not a real date")
        case .invalidChecksum:
            return DeadLetterReason(.invalidIDChecksum, detail: "\(path): check character does not match")
        }
    }

    /// The address-directory key, trimmed and width-normalised. Any non-empty key is accepted:
    /// a house the directory does not know is not an error (DESIGN.md: its alerts go to the
    /// `unassigned` queue, the record is not lost).
    static func houseId(_ r: FieldReader) throws(DeadLetterReason) -> String {
        try r.code("houseId")
    }

    static func address(_ r: FieldReader) throws(DeadLetterReason) -> AddressRecord {
        let a = try r.object("address")
        let h = try houseId(a)
        return AddressRecord(houseId: h, text: try a.text("text"))
    }

    // MARK: topics

    public static func residencePermit(_ r: FieldReader) throws(DeadLetterReason) -> ResidencePermitRecord {
        ResidencePermitRecord(
            recordId: try recordId(r),
            event: try r.enumValue("event"),
            permitNo: try r.code("permitNo"),
            person: try person(r.object("person")),
            address: try address(r),
            arrivalDate: try r.date("arrivalDate"),
            issuedAt: try r.date("issuedAt"),
            validUntil: try r.date("validUntil"),
            office: try r.text("office"))
    }

    public static func marriageRegistration(_ r: FieldReader) throws(DeadLetterReason) -> MarriageRegistrationRecord {
        let recordId = try recordId(r)
        let event: MarriageRegistrationFact.Event = try r.enumValue("event")
        let certificateNo = try r.code("certificateNo")
        let items = try r.array("parties")
        guard items.count == 2 else {
            throw DeadLetterReason(.wrongCount, path: r.path("parties"), detail: "expected 2 parties, got \(items.count)")
        }
        var parties: [PersonRecord] = []
        parties.reserveCapacity(2)
        for (i, item) in items.enumerated() {
            parties.append(try person(FieldReader(item: item, path: r.itemPath("parties", i))))
        }
        if parties[0].idNumber == parties[1].idNumber {
            throw DeadLetterReason(.duplicatePerson, path: r.itemPath("parties", 1), detail: "both parties have one ID")
        }
        return MarriageRegistrationRecord(
            recordId: recordId, event: event, certificateNo: certificateNo, parties: parties,
            registeredOn: try r.date("registeredOn"), office: try r.text("office"))
    }

    public static func businessLicense(_ r: FieldReader) throws(DeadLetterReason) -> BusinessLicenseRecord {
        let recordId = try recordId(r)
        let event: BusinessLicenseFact.Event = try r.enumValue("event")
        // 18 letters or digits (GB 32100's form). Its check character is not verified: DESIGN.md
        // makes only ID-number checksums dead letters, and a licence is never lost over one.
        let licenseNo = try r.code("licenseNo").uppercased()
        guard licenseNo.utf8.count == 18, licenseNo.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) }) else {
            throw DeadLetterReason(.invalidLicenseNo, detail: "licenseNo: expected 18 letters or digits (unified social credit code)")
        }
        return BusinessLicenseRecord(
            recordId: recordId, event: event, licenseNo: licenseNo,
            holder: try person(r.object("holder")),
            businessName: try r.text("businessName"),
            address: try address(r),
            issuedOn: try r.date("issuedOn"))
    }

    public static func schoolEnrollment(_ r: FieldReader) throws(DeadLetterReason) -> SchoolEnrollmentRecord {
        let recordId = try recordId(r)
        let event: SchoolEnrollmentFact.Event = try r.enumValue("event")
        let child = try person(r.object("child"))
        let items = try r.array("guardians")
        var guardians: [GuardianRecord] = []
        guardians.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let g = try FieldReader(item: item, path: r.itemPath("guardians", i))
            let p = try person(g)
            let relation: SchoolEnrollmentFact.Relation = try g.enumValue("relation")
            if p.idNumber == child.idNumber || guardians.contains(where: { $0.person.idNumber == p.idNumber }) {
                throw DeadLetterReason(.duplicatePerson, path: g.path, detail: "this person already appears in the record")
            }
            guardians.append(GuardianRecord(person: p, relation: relation))
        }
        let s = try r.object("school")
        let school = SchoolRecord(code: try s.code("code"), name: try s.text("name"), level: try s.enumValue("level"))
        return SchoolEnrollmentRecord(
            recordId: recordId, event: event, child: child, guardians: guardians, school: school,
            address: try address(r), enrolledOn: try r.date("enrolledOn"))
    }

    public static func certificate(_ r: FieldReader) throws(DeadLetterReason) -> CertificateRecord {
        let recordId = try recordId(r)
        let event: CertificateFact.Event = try r.enumValue("event")
        let certificateNo = try r.code("certificateNo")
        let holder = try person(r.object("holder"))
        let maritalStatus: CertificateFact.MaritalStatus = try r.enumValue("maritalStatus")
        var spouse: PersonRecord? = nil
        if let s = try r.optionalObject("spouse") {
            let p = try person(s)
            if p.idNumber == holder.idNumber {
                throw DeadLetterReason(.duplicatePerson, path: "spouse", detail: "spouse has the holder's ID")
            }
            spouse = p
        }
        let items = try r.array("children")
        var children: [ChildRef] = []
        children.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            let c = try FieldReader(item: item, path: r.itemPath("children", i))
            var id: IDNumber? = nil
            if let raw = try c.optionalString("idNumber") {
                do {
                    id = try IDNumber(validating: raw)
                } catch {
                    throw reason(for: error, path: c.path("idNumber"))
                }
            }
            let birthDate = try c.date("birthDate")
            let sex: Sex = try c.enumValue("sex")
            if let id { try checkConsistency(id, birthDate: birthDate, sex: sex, path: c.path("idNumber")) }
            children.append(ChildRef(idNumber: id?.value, birthDate: birthDate, sex: sex))
        }
        let issuedBy = try r.text("issuedBy")
        let issuedOn = try r.date("issuedOn")
        let validUntil = try r.date("validUntil")
        var verifiedBy: String? = nil
        var verifiedOn: LocalDate? = nil
        if event == .verified || r.value("verifiedBy") != nil { verifiedBy = try r.text("verifiedBy") }
        if event == .verified || r.value("verifiedOn") != nil { verifiedOn = try r.date("verifiedOn") }
        return CertificateRecord(
            recordId: recordId, event: event, certificateNo: certificateNo, holder: holder,
            maritalStatus: maritalStatus, spouse: spouse, children: children, issuedBy: issuedBy, issuedOn: issuedOn,
            validUntil: validUntil, verifiedBy: verifiedBy, verifiedOn: verifiedOn)
    }

    /// `ref.address-directory.v1` entry.
    public static func addressDirectoryEntry(_ r: FieldReader) throws(DeadLetterReason) -> AddressDirectoryEntry {
        let recordId: String? = r.value("recordId") == nil ? nil : try r.code("recordId")
        let houseId = try houseId(r)
        let text = try r.text("text")
        let c = try r.object("community")
        let community = CommunityRef(code: try c.digits("code", count: 12), name: try c.text("name"))
        let s = try r.object("street")
        let street = StreetRef(code: try s.digits("code", count: 9), name: try s.text("name"))
        return AddressDirectoryEntry(houseId: houseId, text: text, community: community, street: street, recordId: recordId)
    }
}
