import Foundation
import PropertyBased
import Testing
import XiechaCore

/// Builds valid records from a few random integers.
enum RecordFactory {
    static let regions = ["421125", "510623", "412722", "110105", "440524"]
    static let surnames = Array("王李张刘陈杨赵黄周吴欧")
    static let given = Array("芳娜伟强静丽敏军洋艳勇磊")
    static let base = LocalDate(iso: "1950-01-01")!

    static func person(_ a: Int, _ b: Int, withHukou: Bool) -> PersonRecord {
        let region = regions[a % regions.count]
        let birth = base.adding(days: b % 25_000)
        let sequence = (a / 7) % 1000
        let id = IDNumber.make(region: region, birthDate: birth, sequence: sequence)
        let name = String(surnames[b % surnames.count]) + String(given[a % given.count])
            + (a % 3 == 0 ? String(given[b % given.count]) : "")
        return PersonRecord(idNumber: id.value, name: name, sex: id.sex, birthDate: birth,
            hukouRegion: withHukou ? region : nil)
    }

    static func permit(_ a: Int, _ b: Int, _ c: Int) -> ResidencePermitRecord {
        let arrival = LocalDate(iso: "2020-01-01")!.adding(days: c % 3000)
        return ResidencePermitRecord(
            recordId: "rp-\(a)-\(b)-\(c)", event: ResidencePermitFact.Event.allCases[c % 3],
            permitNo: "P\(c)", person: person(a, b, withHukou: c % 2 == 0),
            address: AddressRecord(houseId: "421125-001-\(String(format: "%03d", c % 1000))-0101", text: "清泉镇\(c)号"),
            arrivalDate: arrival, issuedAt: arrival.adding(days: 2), validUntil: arrival.adding(days: 367),
            office: "清泉派出所")
    }

    static func certificate(_ a: Int, _ b: Int, _ c: Int) -> CertificateRecord {
        let holder = person(a, b, withHukou: true)
        let event = CertificateFact.Event.allCases[c % 4]
        let children = (0..<(c % 3)).map { k -> ChildRef in
            let birth = LocalDate(iso: "2010-01-01")!.adding(days: (b + k * 400) % 5000)
            if k % 2 == 0 {
                let id = IDNumber.make(region: "510623", birthDate: birth, sequence: (a + k) % 1000)
                return ChildRef(idNumber: id.value, birthDate: birth, sex: id.sex)
            }
            return ChildRef(idNumber: nil, birthDate: birth, sex: k % 4 == 1 ? .male : .female)
        }
        let spouse = c % 2 == 0 ? person(a + 1, b + 17, withHukou: false) : nil
        return CertificateRecord(
            recordId: "mc-\(a)-\(c)", event: event, certificateNo: "HB-\(c)", holder: holder,
            maritalStatus: CertificateFact.MaritalStatus.allCases[b % 4],
            spouse: spouse?.idNumber == holder.idNumber ? nil : spouse, children: children, issuedBy: "卫生健康局",
            issuedOn: LocalDate(iso: "2024-01-01")!.adding(days: c % 700),
            validUntil: LocalDate(iso: "2027-01-01")!.adding(days: c % 700),
            verifiedBy: event == .verified ? "社区居委会" : nil,
            verifiedOn: event == .verified ? LocalDate(iso: "2025-06-01")! : nil)
    }

    static func enrolment(_ a: Int, _ b: Int, _ c: Int) -> SchoolEnrollmentRecord {
        let mother = person(a * 2 + 1, b, withHukou: true)
        var guardians = [GuardianRecord(person: mother, relation: .mother)]
        let father = person(a * 2 + 3, b + 101, withHukou: c % 2 == 0)
        if c % 3 != 0, father.idNumber != mother.idNumber {
            guardians.append(GuardianRecord(person: father, relation: .father))
        }
        var child = person(a + 5, 22_000 + c % 3000, withHukou: true)
        if guardians.contains(where: { $0.person.idNumber == child.idNumber }) { child = person(a + 6, 24_000, withHukou: true) }
        return SchoolEnrollmentRecord(
            recordId: "se-\(a)-\(c)", event: c % 5 == 0 ? .withdrawn : .enrolled, child: child, guardians: guardians,
            school: SchoolRecord(code: "S\(c % 50)", name: "第\(c % 50)小学", level: .allCases[c % 3]),
            address: AddressRecord(houseId: "421125-001-003-0101", text: "清泉镇"),
            enrolledOn: LocalDate(iso: "2026-09-01")!)
    }
}

@Suite("Properties")
struct PropertyTests {
    static let n = Gen.int(in: 0...1_000_000)

    @Test func permitsSurviveEncodeDecodeValidate() async {
        await propertyCheck(count: 300, input: Self.n, Self.n, Self.n) { a, b, c in
            let record = RecordFactory.permit(a, b, c)
            let bytes = [UInt8](try JSONEncoder().encode(record))
            #expect(TopicValidator.validate(topic: .residencePermits, value: bytes) == nil)
            #expect(try RecordDecoder.decode(topic: .residencePermits, value: bytes) == .residencePermit(record))
        }
    }

    @Test func certificatesSurviveEncodeDecodeValidate() async {
        await propertyCheck(count: 300, input: Self.n, Self.n, Self.n) { a, b, c in
            let record = RecordFactory.certificate(a, b, c)
            let bytes = [UInt8](try JSONEncoder().encode(record))
            #expect(try RecordDecoder.decode(topic: .certificates, value: bytes) == .certificate(record))
        }
    }

    @Test func enrolmentsSurviveEncodeDecodeAndFanOut() async {
        await propertyCheck(count: 300, input: Self.n, Self.n, Self.n) { a, b, c in
            let record = RecordFactory.enrolment(a, b, c)
            let bytes = [UInt8](try JSONEncoder().encode(record))
            #expect(try RecordDecoder.decode(topic: .schoolEnrollments, value: bytes) == .schoolEnrollment(record))
            let result = IntakeProcessor().process(
                topic: .schoolEnrollments, value: bytes, timestamp: Fixtures.timestamp, directory: Fixtures.directory)
            guard case .events(let events) = result else {
                Issue.record("\(result)")
                return
            }
            #expect(events.count == 1 + record.guardians.count)
        }
    }

    @Test func personEventsRoundTripThroughFastAndFoundationJSON() async {
        await propertyCheck(count: 300, input: Self.n, Self.n, Self.n) { a, b, c in
            let records: [DepartmentRecord] = [
                .residencePermit(RecordFactory.permit(a, b, c)), .certificate(RecordFactory.certificate(a, b, c)),
                .schoolEnrollment(RecordFactory.enrolment(a, b, c)),
            ]
            var dir = Fixtures.directory
            if c % 2 == 0 { dir.remove(houseId: "421125-001-003-0101") }
            for record in records {
                let ts = Timestamp(millisecondsSinceEpoch: Int64(a) * 1_000_003 + Int64(c))
                for event in IntakeProcessor().events(for: record, timestamp: ts, directory: dir) {
                    let fast = event.jsonBytes()
                    #expect(try PersonEvent(jsonBytes: fast) == event)
                    #expect(try JSONDecoder().decode(PersonEvent.self, from: Data(fast)) == event)
                    let foundation = [UInt8](try JSONEncoder().encode(event))
                    #expect(try PersonEvent(jsonBytes: foundation) == event)
                    #expect(TopicValidator.validate(topic: .personEvents, value: fast) == nil)
                }
            }
        }
    }

    @Test func noMutationOfACheckCharacterPasses() async {
        await propertyCheck(count: 500, input: Self.n, Self.n, Gen.int(in: 0...10)) { a, b, k in
            let id = RecordFactory.person(a, b, withHukou: true).idNumber
            let alphabet = Array("0123456789X")
            let replacement = alphabet[k]
            guard replacement != id.last else { return }
            let mutated = String(id.dropLast()) + String(replacement)
            #expect(throws: IDNumber.Failure.invalidChecksum) { try IDNumber(validating: mutated) }
        }
    }

    @Test func anySingleDigitChangeInTheFirst17IsCaught() async {
        await propertyCheck(count: 500, input: Self.n, Self.n, Gen.int(in: 0...16), Gen.int(in: 1...9)) { a, b, pos, delta in
            let id = Array(RecordFactory.person(a, b, withHukou: true).idNumber.utf8)
            var mutated = id
            mutated[pos] = UInt8(48 + (Int(id[pos]) - 48 + delta) % 10)
            #expect(throws: IDNumber.Failure.self) { try IDNumber(validating: String(decoding: mutated, as: UTF8.self)) }
        }
    }

    @Test func parserAgreesWithFoundationOnEncodedStrings() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...0x2FFFF).array(of: 0...40)) { scalars in
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars.compactMap { Unicode.Scalar(UInt32($0)) })
            let string = String(s)
            let encoded = [UInt8](try JSONEncoder().encode([string]))
            #expect(try JSONParser.parse(encoded) == .array([.string(string)]))
            var w = JSONWriter()
            w.string(string)
            #expect(try JSONDecoder().decode(String.self, from: Data(w.bytes)) == string)
        }
    }
}
