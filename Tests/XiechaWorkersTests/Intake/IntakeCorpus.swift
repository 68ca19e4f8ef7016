import Foundation
import XiechaCore

/// Deterministic pseudo-random numbers (SplitMix64): the corpus is the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// A JSON document with ordered members: what the generator builds, renders as one line, and
/// mutates into invalid records.
indirect enum JSONDoc: Sendable {
    case string(String)
    case int(Int)
    case null
    case array([JSONDoc])
    case object([(String, JSONDoc)])

    enum Key {
        case field(String)
        case index(Int)
    }

    func rendered() -> String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        switch self {
        case .string(let s):
            out += "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
                default: out.unicodeScalars.append(u)
                }
            }
            out += "\""
        case .int(let i): out += String(i)
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.render(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += "," }
                JSONDoc.string(k).render(into: &out)
                out += ":"
                v.render(into: &out)
            }
            out += "}"
        }
    }

    /// Applies `change` to the value at `path` (`nil` in: the member is absent; `nil` out: remove it).
    func updating(_ path: [Key], _ change: (JSONDoc?) -> JSONDoc?) -> JSONDoc {
        guard let first = path.first else { return change(self) ?? .null }
        let rest = Array(path.dropFirst())
        switch (self, first) {
        case (.object(var members), .field(let name)):
            if let i = members.firstIndex(where: { $0.0 == name }) {
                if rest.isEmpty {
                    if let v = change(members[i].1) { members[i].1 = v } else { members.remove(at: i) }
                } else {
                    members[i].1 = members[i].1.updating(rest, change)
                }
            } else if rest.isEmpty, let v = change(nil) {
                members.append((name, v))
            }
            return .object(members)
        case (.array(var items), .index(let i)) where items.indices.contains(i):
            if rest.isEmpty {
                if let v = change(items[i]) { items[i] = v } else { items.remove(at: i) }
            } else {
                items[i] = items[i].updating(rest, change)
            }
            return .array(items)
        default:
            preconditionFailure("path \(path) does not fit the document")
        }
    }

    subscript(field name: String) -> JSONDoc? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == name }?.1
    }

    var string: String? {
        guard case .string(let s) = self else { return nil }
        return s
    }
}

/// One person event the intake workers must emit.
struct ExpectedEvent: Hashable, Sendable, CustomStringConvertible {
    var source: String
    var recordId: String
    var role: String
    var idNumber: String
    /// `residence.community.code`; `nil` for events without a residence (marriage, certificate).
    var community: String?

    var description: String {
        // Never the ID number itself: test output must not carry personal data either.
        "\(source)/\(recordId)/\(role)/\(maskedIDNumber(idNumber))/\(community ?? "-")"
    }
}

/// An ID number as test output may show it: first four and last four characters only.
func maskedIDNumber(_ id: String) -> String { String(id.prefix(4)) + "**********" + String(id.suffix(4)) }

/// A department record of the corpus, with what intake must make of it.
struct CorpusRecord: Sendable {
    enum Outcome: Sendable {
        case events([ExpectedEvent])
        /// The `xiecha.reason` header it must get.
        case deadLetter(reason: String)
    }

    var topic: Topic
    var recordId: String
    var line: String
    /// The Kafka key `xiecha publish` gives it (`nil`: sent unkeyed, e.g. not JSON).
    var key: String?
    var outcome: Outcome

    var bytes: [UInt8] { Array(line.utf8) }
    var isValid: Bool {
        if case .events = outcome { return true }
        return false
    }
}

/// The synthetic input of the end-to-end intake test: an address directory and 10,000 records
/// across the five feeds, exactly 5 % of them invalid, some at houses the directory does not know.
struct IntakeCorpus: Sendable {
    struct Person: Sendable {
        var idNumber: String
        var name: String
        var sex: String
        var birthDate: String
        var hukouRegion: String?

        var doc: JSONDoc {
            var m: [(String, JSONDoc)] = [
                ("idNumber", .string(idNumber)), ("name", .string(name)), ("sex", .string(sex)),
                ("birthDate", .string(birthDate)),
            ]
            if let hukouRegion { m.append(("hukouRegion", .string(hukouRegion))) }
            return .object(m)
        }
        var isMale: Bool { sex == "M" }
    }

    struct House: Sendable {
        var houseId: String
        var text: String
        var community: String
        var communityName: String
        var street: String
        var streetName: String

        var doc: JSONDoc {
            .object([
                ("houseId", .string(houseId)), ("text", .string(text)),
                ("community", .object([("code", .string(community)), ("name", .string(communityName))])),
                ("street", .object([("code", .string(street)), ("name", .string(streetName))])),
            ])
        }
    }

    static let recordsPerFeed = 2_000
    /// Every 20th record is invalid: 100 per feed, 500 in all (5 %).
    static let invalidEvery = 20
    /// The kinds of invalid record, in rotation: 20 of each per feed.
    enum InvalidKind: Int, CaseIterable, Sendable {
        case badChecksum, missingField, impossibleDate, unknownEnum, notJSON
    }

    var adults: [Person] = []
    var children: [Person] = []
    /// Every house published to the directory (its last value), live or removed by a tombstone.
    var houses: [House] = []
    /// House ids removed by a tombstone after being published.
    var tombstoned: Set<String> = []
    /// House ids used by records but never in the directory.
    var unknownHouseIds: [String] = []
    /// Lines for `xiecha publish --topic ref.address-directory.v1`.
    var directoryLines: [String] = []
    var records: [CorpusRecord] = []

    /// Every ID number in the input (valid ones and the corrupted ones of invalid records).
    var allIDNumbers: Set<String> = []
    var allNames: Set<String> { Set((adults + children).map(\.name)) }

    func records(for topic: Topic) -> [CorpusRecord] { records.filter { $0.topic == topic } }

    /// The community a record's house resolves to, as intake must resolve it.
    func community(ofHouse houseId: String) -> String {
        if tombstoned.contains(houseId) { return "unassigned" }
        return houses.first { $0.houseId == houseId }?.community ?? "unassigned"
    }

    static func generate(seed: UInt64 = 0x5EED_2026_1A7A_CE01) -> IntakeCorpus {
        var c = IntakeCorpus()
        var rng = SplitMix64(seed: seed)
        c.makePeople(&rng)
        c.makeDirectory()
        for topic in Topic.departmentFeeds {
            for k in 0..<recordsPerFeed { c.records.append(c.makeRecord(topic, k, &rng)) }
        }
        return c
    }

    // MARK: people and houses

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    static let given1 = Array("建晓春秋明文海丽志国永玉金小红雪雨美佳思子俊嘉欣宇浩天梓雅安")
    static let given2 = Array("华平强军芳敏静燕伟杰磊洋勇艳娟涛超霞刚霖琳婷鹏辉彬娜莉瑶萱宁")
    static let regions = ["510623", "412722", "421125", "342423", "522123", "430524"]

    /// Person `i`: a unique three-character name and a unique ID number (region and sequence
    /// both follow from `i`), birth date consistent with the ID, sex with its sequence parity.
    static func person(_ i: Int, birthDate: LocalDate, omitHukou: Bool) -> Person {
        let name = String([surnames[i % 20], given1[(i / 20) % 30], given2[(i / 600) % 30]])
        let male = i % 2 == 1
        let region = regions[i / 500]
        let sequence = (i % 500) * 2 + (male ? 1 : 0)  // 0…999, odd for men, unique per i within a region
        let id = IDNumber.make(region: region, birthDate: birthDate, sequence: sequence).value
        return Person(
            idNumber: id, name: name, sex: male ? "M" : "F", birthDate: birthDate.description,
            hukouRegion: omitHukou ? nil : region)
    }

    mutating func makePeople(_ rng: inout SplitMix64) {
        let adultBase = LocalDate(year: 1966, month: 1, day: 1)!.daysSinceEpoch
        let childBase = LocalDate(year: 2012, month: 1, day: 1)!.daysSinceEpoch
        for i in 0..<2_400 {
            let date = LocalDate(daysSinceEpoch: adultBase + rng.int(38 * 365))
            adults.append(Self.person(i, birthDate: date, omitHukou: i % 7 == 0))
        }
        for i in 2_400..<3_000 {
            let date = LocalDate(daysSinceEpoch: childBase + rng.int(10 * 365))
            children.append(Self.person(i, birthDate: date, omitHukou: i % 5 == 0))
        }
        for p in adults + children { allIDNumbers.insert(p.idNumber) }
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    mutating func makeDirectory() {
        let streetNames = ["清泉街道办事处", "兰溪街道办事处"]
        let communityNames = ["沿河社区居委会", "河东社区居委会", "新华社区居委会", "城南社区居委会", "白石社区居委会"]
        for n in 0..<52 {
            let s = n / 26 + 1
            let cm = (n % 26) / 6 + 1
            let house = House(
                houseId: "421125-00\(s)-00\(cm)-\(Self.pad(101 + n, 4))", text: "清泉镇沿河路\(n + 1)号",
                community: "421125" + "00\(s)" + "00\(cm)", communityName: communityNames[cm - 1],
                street: "421125" + "00\(s)", streetName: streetNames[s - 1])
            houses.append(house)
            directoryLines.append(house.doc.rendered())
        }
        // Two houses move to another community: the newer value must win.
        for n in 0..<2 {
            houses[n].community = "421125002005"
            houses[n].communityName = "新区社区居委会"
            houses[n].street = "421125002"
            houses[n].streetName = streetNames[1]
            directoryLines.append(houses[n].doc.rendered())
        }
        // Two houses are removed (tombstones): records there go to `unassigned`.
        for n in 50..<52 {
            tombstoned.insert(houses[n].houseId)
            directoryLines.append(JSONDoc.object([("key", .string(houses[n].houseId)), ("value", .null)]).rendered())
        }
        unknownHouseIds = (1...10).map { "421125-009-009-\(Self.pad($0, 4))" }
    }

    /// A house for a record: mostly live, some removed, some never known.
    func pickHouse(_ rng: inout SplitMix64) -> (id: String, text: String) {
        let r = rng.int(100)
        if r < 88 {
            let h = houses[rng.int(50)]
            return (h.houseId, h.text)
        }
        if r < 92 {
            let h = houses[50 + rng.int(2)]
            return (h.houseId, h.text)
        }
        return (unknownHouseIds[rng.int(unknownHouseIds.count)], "清泉镇新村\(r)号")
    }

    func adult(_ rng: inout SplitMix64, male: Bool) -> Person { adults[2 * rng.int(adults.count / 2) + (male ? 1 : 0)] }

    static func date(_ base: (Int, Int, Int), plus days: Int) -> String {
        LocalDate(daysSinceEpoch: LocalDate(year: base.0, month: base.1, day: base.2)!.daysSinceEpoch + days).description
    }

    static let creditAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    /// A licence number in the unified social credit code's form, unique per `k`.
    static func licenseNo(_ k: Int) -> String {
        var n = k
        var tail = ""
        for _ in 0..<7 {
            tail = String(creditAlphabet[n % 31]) + tail
            n /= 31
        }
        return "92421125MA" + tail + "0"
    }

    /// The same ID with a wrong check character.
    static func corruptChecksum(_ id: String) -> String {
        let checks = Array("0123456789X")
        let last = id.last!
        let i = checks.firstIndex(of: last)!
        return String(id.dropLast()) + String(checks[(i + 1) % checks.count])
    }

    // MARK: records

    mutating func makeRecord(_ topic: Topic, _ k: Int, _ rng: inout SplitMix64) -> CorpusRecord {
        let invalid: InvalidKind? =
            k % Self.invalidEvery == 7 ? InvalidKind(rawValue: (k / Self.invalidEvery) % InvalidKind.allCases.count) : nil
        var doc: JSONDoc
        let prefixes: [Topic: String] = [
            .residencePermits: "rp", .marriageRegistrations: "mr", .businessLicenses: "bl", .schoolEnrollments: "se",
            .certificates: "mc",
        ]
        let recordId = "\(prefixes[topic]!)-e2e-\(Self.pad(k, 6))"
        let key: String
        var events: [ExpectedEvent] = []
        // Mutations for this feed: (path of the ID to corrupt, field to remove + reason,
        // date to break + value + reason, enum to break + value + reason).
        let checksumPath: [JSONDoc.Key]
        let missing: (path: [JSONDoc.Key], reason: String)
        let badDate: (path: [JSONDoc.Key], value: String, reason: String)
        let badEnum: (path: [JSONDoc.Key], value: String, reason: String)

        func ev(_ role: String, _ p: Person, _ community: String?) -> ExpectedEvent {
            ExpectedEvent(source: topic.rawValue, recordId: recordId, role: role, idNumber: p.idNumber, community: community)
        }

        switch topic {
        case .residencePermits:
            let pIndex = rng.int(adults.count)
            let p = adults[pIndex]
            let house = pickHouse(&rng)
            let arrival = rng.int(300)
            key = "4211252026" + Self.pad(pIndex, 6)
            doc = .object([
                ("recordId", .string(recordId)),
                ("event", .string(["registered", "renewed", "cancelled"][rng.int(3)])),
                ("permitNo", .string(key)),
                ("person", p.doc),
                ("address", .object([("houseId", .string(house.id)), ("text", .string(house.text))])),
                ("arrivalDate", .string(Self.date((2026, 1, 1), plus: arrival))),
                ("issuedAt", .string(Self.date((2026, 1, 1), plus: arrival + 2))),
                ("validUntil", .string(Self.date((2026, 1, 1), plus: arrival + 366))),
                ("office", .string("清泉派出所")),
            ])
            if k % 11 == 0 { doc = doc.updating([.field("exportBatch")]) { _ in .int(k / 11) } }  // unknown extra field
            events = [ev("permit_holder", p, community(ofHouse: house.id))]
            checksumPath = [.field("person"), .field("idNumber")]
            missing = ([.field("arrivalDate")], "missing_field:arrivalDate")
            badDate = ([.field("validUntil")], "2027-02-30", "invalid_date:validUntil")
            badEnum = ([.field("event")], "teleported", "unknown_enum:event")

        case .marriageRegistrations:
            let man = adult(&rng, male: true)
            let woman = adult(&rng, male: false)
            key = "J421125-2026-\(Self.pad(k, 6))"
            doc = .object([
                ("recordId", .string(recordId)),
                ("event", .string(["marriage", "divorce"][rng.int(2)])),
                ("certificateNo", .string(key)),
                ("parties", .array([man.doc, woman.doc])),
                ("registeredOn", .string(Self.date((2026, 1, 1), plus: rng.int(330)))),
                ("office", .string("浠水县民政局婚姻登记处")),
            ])
            events = [ev("marriage_party", man, nil), ev("marriage_party", woman, nil)]
            checksumPath = [.field("parties"), .index(1), .field("idNumber")]
            missing = ([.field("registeredOn")], "missing_field:registeredOn")
            badDate = ([.field("registeredOn")], "2026-13-01", "invalid_date:registeredOn")
            badEnum = ([.field("parties"), .index(1), .field("sex")], "U", "unknown_enum:parties[1].sex")

        case .businessLicenses:
            let holder = adults[rng.int(adults.count)]
            let house = pickHouse(&rng)
            key = Self.licenseNo(k)
            doc = .object([
                ("recordId", .string(recordId)),
                ("event", .string(["issued", "changed", "revoked"][rng.int(3)])),
                ("licenseNo", .string(key)),
                ("holder", holder.doc),
                ("businessName", .string("浠水县清泉镇第\(k)号小吃店")),
                ("address", .object([("houseId", .string(house.id)), ("text", .string(house.text))])),
                ("issuedOn", .string(Self.date((2026, 1, 1), plus: rng.int(330)))),
            ])
            events = [ev("license_holder", holder, community(ofHouse: house.id))]
            checksumPath = [.field("holder"), .field("idNumber")]
            missing = ([.field("holder"), .field("name")], "missing_field:holder.name")
            badDate = ([.field("issuedOn")], "2026-02-29", "invalid_date:issuedOn")
            badEnum = ([.field("event")], "suspended", "unknown_enum:event")

        case .schoolEnrollments:
            let child = children[rng.int(children.count)]
            let house = pickHouse(&rng)
            key = recordId
            let served = community(ofHouse: house.id)
            var guardians: [JSONDoc] = []
            events = [ev("child", child, served)]
            switch k % 3 {
            case 0:
                let mother = adult(&rng, male: false)
                let father = adult(&rng, male: true)
                for (g, relation) in [(mother, "mother"), (father, "father")] {
                    guardians.append(g.doc.updating([.field("relation")]) { _ in .string(relation) })
                    events.append(ev("guardian", g, served))
                }
            case 1:
                let g = adults[rng.int(adults.count)]
                guardians.append(g.doc.updating([.field("relation")]) { _ in .string("guardian") })
                events.append(ev("guardian", g, served))
            default:
                break
            }
            let level = ["kindergarten", "primary", "junior"][k % 3]
            doc = .object([
                ("recordId", .string(recordId)),
                ("event", .string(["enrolled", "withdrawn"][rng.int(2)])),
                ("child", child.doc),
                ("guardians", .array(guardians)),
                ("school", .object([
                    ("code", .string("21421125" + Self.pad(k % 20, 2))), ("name", .string("清泉镇第\(k % 20)学校")),
                    ("level", .string(level)),
                ])),
                ("address", .object([("houseId", .string(house.id)), ("text", .string(house.text))])),
                ("enrolledOn", .string(Self.date((2026, 1, 1), plus: rng.int(330)))),
            ])
            checksumPath = [.field("child"), .field("idNumber")]
            missing = ([.field("enrolledOn")], "missing_field:enrolledOn")
            badDate = ([.field("enrolledOn")], "2026-04-31", "invalid_date:enrolledOn")
            badEnum = ([.field("school"), .field("level")], "university", "unknown_enum:school.level")

        case .certificates:
            let holder = adult(&rng, male: false)
            let event = ["issued", "renewed", "verified", "revoked"][rng.int(4)]
            let status = ["unmarried", "married", "divorced", "widowed"][rng.int(4)]
            key = "HB-\(holder.idNumber.prefix(6))-2026-\(Self.pad(k, 6))"
            var kids: [JSONDoc] = []
            for j in 0..<rng.int(3) {
                let c = children[rng.int(children.count)]
                var m: [(String, JSONDoc)] = [("birthDate", .string(c.birthDate)), ("sex", .string(c.sex))]
                if j == 0 { m.append(("idNumber", .string(c.idNumber))) }
                kids.append(.object(m))
            }
            let issued = rng.int(330)
            var members: [(String, JSONDoc)] = [
                ("recordId", .string(recordId)),
                ("event", .string(event)),
                ("certificateNo", .string(key)),
                ("holder", holder.doc),
                ("maritalStatus", .string(status)),
            ]
            let spouse = status == "married" ? adult(&rng, male: true) : nil
            if let spouse { members.append(("spouse", spouse.doc)) }
            members += [
                ("children", .array(kids)),
                ("issuedBy", .string("四川省南部县卫生健康局")),
                ("issuedOn", .string(Self.date((2026, 1, 1), plus: issued))),
                ("validUntil", .string(Self.date((2026, 1, 1), plus: issued + 3 * 365))),
            ]
            if event == "verified" {
                members += [
                    ("verifiedBy", .string("清泉镇计生办")),
                    ("verifiedOn", .string(Self.date((2026, 1, 1), plus: issued + 10))),
                ]
            }
            doc = .object(members)
            events = [ev("certificate_holder", holder, nil)]
            if let spouse { events.append(ev("spouse", spouse, nil)) }
            checksumPath = [.field("holder"), .field("idNumber")]
            missing = ([.field("validUntil")], "missing_field:validUntil")
            badDate = ([.field("issuedOn")], "2026-06-31", "invalid_date:issuedOn")
            badEnum = ([.field("maritalStatus")], "complicated", "unknown_enum:maritalStatus")

        default:
            preconditionFailure("not a department feed: \(topic)")
        }

        guard let invalid else {
            return CorpusRecord(topic: topic, recordId: recordId, line: doc.rendered(), key: key, outcome: .events(events))
        }
        switch invalid {
        case .badChecksum:
            var corrupted = ""
            doc = doc.updating(checksumPath) { old in
                corrupted = Self.corruptChecksum(old!.string!)
                return .string(corrupted)
            }
            allIDNumbers.insert(corrupted)
            return CorpusRecord(
                topic: topic, recordId: recordId, line: doc.rendered(), key: key, outcome: .deadLetter(reason: "invalid_id_checksum"))
        case .missingField:
            doc = doc.updating(missing.path) { old in
                precondition(old != nil)
                return nil
            }
            return CorpusRecord(topic: topic, recordId: recordId, line: doc.rendered(), key: key, outcome: .deadLetter(reason: missing.reason))
        case .impossibleDate:
            doc = doc.updating(badDate.path) { _ in .string(badDate.value) }
            return CorpusRecord(topic: topic, recordId: recordId, line: doc.rendered(), key: key, outcome: .deadLetter(reason: badDate.reason))
        case .unknownEnum:
            doc = doc.updating(badEnum.path) { _ in .string(badEnum.value) }
            return CorpusRecord(topic: topic, recordId: recordId, line: doc.rendered(), key: key, outcome: .deadLetter(reason: badEnum.reason))
        case .notJSON:
            // A record cut off half-way (on a character boundary, so it stays valid UTF-8): the
            // recordId survives, the key field may not; `xiecha publish` sends it unkeyed.
            let full = doc.rendered()
            let line = String(full.prefix(full.count / 2))
            return CorpusRecord(topic: topic, recordId: recordId, line: line, key: nil, outcome: .deadLetter(reason: "not_json"))
        }
    }
}
