import Foundation
import XiechaCore
import XiechaWorkers

/// What a simulation wrote.
struct SimulationRun {
    var alerts: [AlertMessage]
    var deadLetters: [DeadLetter]
    var summary: Simulation.Summary

    /// Consumers keep the last message per `alertId`.
    var finalAlerts: [String: AlertMessage] {
        var out: [String: AlertMessage] = [:]
        for m in alerts { out[m.alertId] = m }
        return out
    }

    func alerts(_ type: AlertType) -> [AlertMessage] { alerts.filter { $0.type == type } }

    /// stdout as `xiecha simulate` writes it.
    var stdout: String { alerts.map { $0.jsonString + "\n" }.joined() }
}

/// Collects sink output (one simulation runs in one task).
private final class SimulationCollector {
    var alerts: [AlertMessage] = []
    var deadLetters: [DeadLetter] = []
}

func runSimulation(lines: [String], until: String? = nil, rules: RulesConfiguration = RulesConfiguration()) async throws
    -> SimulationRun
{
    try await runSimulation(byteLines: lines.map { Array($0.utf8) }, until: until, rules: rules)
}

func runSimulation(byteLines: [[UInt8]], until: String? = nil, rules: RulesConfiguration = RulesConfiguration()) async throws
    -> SimulationRun
{
    let collector = SimulationCollector()
    let simulation = Simulation(
        options: Simulation.Options(rules: rules, until: until.map { LocalDate(iso: $0)! }),
        alerts: { collector.alerts.append($0) }, deadLetters: { collector.deadLetters.append($0) })
    let summary = try await simulation.run(lines: byteLines)
    return SimulationRun(alerts: collector.alerts, deadLetters: collector.deadLetters, summary: summary)
}

/// The repository's `samples/` folder.
let simulateSamplesDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("samples")

func simulateSampleLines() throws -> [[UInt8]] {
    let data = try Data(contentsOf: simulateSamplesDirectory.appendingPathComponent("simulate.jsonl"))
    return Array(data).split(separator: UInt8(ascii: "\n")).map(Array.init)
}

/// Hand-written input: records as JSON text, wrapped in simulate lines.
enum SimFixture {
    static let permits = Topic.residencePermits.rawValue
    static let certificates = Topic.certificates.rawValue
    static let directory = Topic.addressDirectory.rawValue

    /// A migrant woman (hukou 510623) born 1994-05-12.
    static let womanId = IDNumber.make(region: "510623", birthDate: LocalDate(iso: "1994-05-12")!, sequence: 128).value
    static let womanName = "李娜"

    static func person(id: String = womanId, name: String = womanName, sex: String = "F", birth: String = "1994-05-12",
                       hukou: String? = "510623") -> String
    {
        var s = #"{"idNumber":"\#(id)","name":"\#(name)","sex":"\#(sex)","birthDate":"\#(birth)""#
        if let hukou { s += #","hukouRegion":"\#(hukou)""# }
        return s + "}"
    }

    static func line(_ topic: String, _ timestamp: String, _ value: String, key: String? = nil) -> String {
        var s = #"{"topic":"\#(topic)","timestamp":"\#(timestamp)","#
        if let key { s += #""key":"\#(key)","# }
        return s + #""value":\#(value)}"#
    }

    static func house(_ houseId: String, community: String, communityName: String, street: String = "421125001",
                      streetName: String = "清泉街道办事处", at timestamp: String = "2026-08-01T08:00:00+08:00") -> String
    {
        line(
            directory, timestamp,
            #"{"houseId":"\#(houseId)","text":"清泉镇\#(houseId)","community":{"code":"\#(community)","name":"\#(communityName)"},"street":{"code":"\#(street)","name":"\#(streetName)"}}"#
        )
    }

    /// Two communities of street 421125001 and one of street 421125002.
    static let directoryLines = [
        house("421125-001-003-0101", community: "421125001003", communityName: "沿河社区居委会"),
        house("421125-001-004-0203", community: "421125001004", communityName: "河东社区居委会"),
        house("421125-002-001-0101", community: "421125002001", communityName: "兰溪社区居委会", street: "421125002",
              streetName: "兰溪街道办事处"),
    ]

    static func permit(_ recordId: String, at timestamp: String, event: String = "registered",
                       permitNo: String = "4211252026090001", person: String = person(),
                       house: String = "421125-001-003-0101", arrival: String = "2026-09-01",
                       issued: String = "2026-09-03", validUntil: String = "2027-09-02") -> String
    {
        line(
            permits, timestamp,
            #"{"recordId":"\#(recordId)","event":"\#(event)","permitNo":"\#(permitNo)","person":\#(person),"address":{"houseId":"\#(house)","text":"某地"},"arrivalDate":"\#(arrival)","issuedAt":"\#(issued)","validUntil":"\#(validUntil)","office":"清泉派出所"}"#
        )
    }

    static func certificate(_ recordId: String, at timestamp: String, event: String = "issued",
                            certificateNo: String = "HB-510623-2026-0001", holder: String = person(),
                            maritalStatus: String = "unmarried", issuedOn: String = "2026-08-10",
                            validUntil: String = "2029-08-09") -> String
    {
        var extra = ""
        if event == "verified" { extra = #","verifiedBy":"浠水县卫生健康局","verifiedOn":"\#(timestamp.prefix(10))""# }
        return line(
            certificates, timestamp,
            #"{"recordId":"\#(recordId)","event":"\#(event)","certificateNo":"\#(certificateNo)","holder":\#(holder),"maritalStatus":"\#(maritalStatus)","children":[],"issuedBy":"四川省中江县卫生健康局","issuedOn":"\#(issuedOn)","validUntil":"\#(validUntil)"\#(extra)}"#
        )
    }
}
