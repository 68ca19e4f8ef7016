import Foundation
import Testing
import XiechaCore
import XiechaWorkers

@Suite("Simulate: event time")
struct SimulateEventTimeTests {
    typealias F = SimFixture

    @Test("certificate_missing is raised at arrival + 30 days, 00:00 Asia/Shanghai, not on day 29")
    func missingAtDay30() async throws {
        let input = F.directoryLines + [F.permit("rp-1", at: "2026-09-03T10:00:00+08:00")]

        let day29 = try await runSimulation(lines: input, until: "2026-09-30")
        #expect(day29.alerts.isEmpty)
        #expect(day29.deadLetters.isEmpty)
        #expect(day29.summary.clock == Timestamp(iso: "2026-09-30T00:00:00+08:00"))

        let day30 = try await runSimulation(lines: input, until: "2026-10-01")
        #expect(day30.alerts.count == 1)
        let alert = try #require(day30.alerts.first)
        #expect(alert.type == .certificateMissing)
        #expect(alert.status == .open)
        #expect(alert.raisedAt == Timestamp(iso: "2026-10-01T00:00:00+08:00"))
        #expect(alert.jsonString.contains(#""raisedAt":"2026-09-30T16:00:00.000Z""#))
        #expect(alert.community.code == "421125001003")
        #expect(alert.street?.code == "421125001")
        #expect(alert.evidence == [AlertEvidence(topic: .residencePermits, recordId: "rp-1")])
        #expect(day30.summary.records == 4)
        #expect(day30.summary.alertMessages == 1)
    }

    @Test("without --until the clock stops at the last record")
    func noUntil() async throws {
        let run = try await runSimulation(lines: F.directoryLines + [F.permit("rp-1", at: "2026-09-03T10:00:00+08:00")])
        #expect(run.alerts.isEmpty)
        #expect(run.summary.clock == Timestamp(iso: "2026-09-03T10:00:00+08:00"))
    }

    @Test("deadlines that fall due before a record fire before it: output is chronological")
    func chronological() async throws {
        let a = F.person()
        let bId = IDNumber.make(region: "412722", birthDate: LocalDate(iso: "1991-07-19")!, sequence: 4).value
        let b = F.person(id: bId, name: "赵丽", birth: "1991-07-19", hukou: "412722")
        let input =
            F.directoryLines + [
                F.permit("rp-a", at: "2026-09-03T10:00:00+08:00", person: a),  // due 10-01
                F.permit(
                    "rp-b", at: "2026-09-04T10:00:00+08:00", permitNo: "4211252026090002", person: b,
                    house: "421125-001-004-0203", arrival: "2026-09-02", issued: "2026-09-04"),  // due 10-02
                F.certificate("mc-a", at: "2026-10-05T09:00:00+08:00", event: "verified", holder: a),
            ]
        let run = try await runSimulation(lines: input, until: "2026-10-10")
        #expect(run.alerts.map(\.type) == [.certificateMissing, .certificateMissing, .certificateMissing])
        #expect(run.alerts.map(\.status) == [.open, .open, .closed])
        #expect(run.alerts[0].raisedAt == Timestamp(iso: "2026-10-01T00:00:00+08:00"))
        #expect(run.alerts[1].raisedAt == Timestamp(iso: "2026-10-02T00:00:00+08:00"))
        #expect(run.alerts[1].community.code == "421125001004")
        #expect(run.alerts[2].alertId == run.alerts[0].alertId)
        #expect(run.alerts[2].closedAt == Timestamp(iso: "2026-10-05T09:00:00+08:00"))
        #expect(run.alerts[2].closedBy == .record(AlertEvidence(topic: .certificates, recordId: "mc-a")))
    }

    @Test("a certificate that arrives before the permit gives no alert, in time and in file order")
    func certificateBeforePermit() async throws {
        let cert = F.certificate("mc-1", at: "2026-08-20T09:00:00+08:00")
        let permit = F.permit("rp-1", at: "2026-09-03T10:00:00+08:00")
        let inOrder = try await runSimulation(lines: F.directoryLines + [cert, permit], until: "2026-12-01")
        #expect(inOrder.alerts.isEmpty)
        // The certificate line comes last but carries the earlier event time.
        let late = try await runSimulation(lines: F.directoryLines + [permit, cert], until: "2026-12-01")
        #expect(late.alerts.isEmpty)
        #expect(late.deadLetters.isEmpty)
    }

    /// Another person's later record must not push the clock past her deadline before her own
    /// earlier certificate is read: simulate applies records in timestamp order, so every
    /// permutation of the lines gives the same alert messages (here: only B's alert).
    @Test("any order of the input lines gives the same alerts: records are applied in timestamp order")
    func lineOrderDoesNotMatter() async throws {
        let otherId = IDNumber.make(region: "510623", birthDate: LocalDate(iso: "1992-02-02")!, sequence: 222).value
        let permitA = F.permit("rp-a", at: "2026-09-01T10:00:00+08:00")
        let permitB = F.permit(
            "rp-b", at: "2026-10-05T10:00:00+08:00", permitNo: "4211252026100002",
            person: F.person(id: otherId, name: "王芳", birth: "1992-02-02"), arrival: "2026-09-01")
        let certA = F.certificate("mc-a", at: "2026-08-20T09:00:00+08:00")
        // Same instant for one person: permit and certificate stamped alike, in either order.
        let thirdId = IDNumber.make(region: "510623", birthDate: LocalDate(iso: "1990-03-03")!, sequence: 242).value
        let third = F.person(id: thirdId, name: "赵敏", birth: "1990-03-03")
        let permitC = F.permit(
            "rp-c", at: "2026-11-01T10:00:00+08:00", permitNo: "4211252026110003", person: third, arrival: "2026-09-20")
        let certC = F.certificate(
            "mc-c", at: "2026-11-01T10:00:00+08:00", certificateNo: "HB-510623-2026-0009", holder: third)
        let records = [permitA, permitB, certA, permitC, certC]
        var outputs: [[AlertMessage]] = []
        for order in [records, records.reversed(), [certA, permitC, permitB, certC, permitA], [permitB, certC, permitA, permitC, certA]] {
            let run = try await runSimulation(lines: F.directoryLines + order, until: "2026-12-01")
            #expect(run.deadLetters.isEmpty)
            outputs.append(run.alerts)
        }
        // The directory lines after the records (their timestamps are earlier): the same.
        let directoryLast = try await runSimulation(lines: records.reversed() + F.directoryLines, until: "2026-12-01")
        #expect(directoryLast.alerts == outputs[0])
        #expect(outputs[0].map(\.community.code) == ["421125001003"])
        #expect(outputs[0].map(\.subject.maskedName) == ["王*"])
        #expect(outputs[0].map(\.status) == [.open])
        for o in outputs.dropFirst() { #expect(o == outputs[0]) }
    }

    @Test("records of different people at one instant come out the same in either line order")
    func sameInstantDifferentPeople() async throws {
        let otherId = IDNumber.make(region: "510623", birthDate: LocalDate(iso: "1992-02-02")!, sequence: 222).value
        let a = F.permit("rp-a", at: "2026-10-05T10:00:00+08:00", arrival: "2026-09-01")
        let b = F.permit(
            "rp-b", at: "2026-10-05T10:00:00+08:00", permitNo: "4211252026100002",
            person: F.person(id: otherId, name: "王芳", birth: "1992-02-02"), arrival: "2026-09-01")
        let ab = try await runSimulation(lines: F.directoryLines + [a, b])
        let ba = try await runSimulation(lines: F.directoryLines + [b, a])
        #expect(ab.alerts.count == 2)
        #expect(ab.alerts.map(\.jsonBytes) == ba.alerts.map(\.jsonBytes))
    }

    /// Event time for the directory too: its lines apply from their timestamps, wherever they
    /// stand in the file, so moving them never changes the output.
    @Test("a directory line applies from its timestamp, wherever it stands in the file")
    func directoryInEventTime() async throws {
        let lateDirectory = [
            F.house("421125-001-003-0101", community: "421125001003", communityName: "沿河社区居委会", at: "2026-12-01T00:00:00Z")
        ]
        let permit = F.permit("rp-1", at: "2026-09-03T10:00:00+08:00")
        let first = try await runSimulation(lines: lateDirectory + [permit], until: "2026-10-01")
        let last = try await runSimulation(lines: [permit] + lateDirectory, until: "2026-10-01")
        #expect(first.alerts.map(\.community.code) == ["unassigned"])  // the house was not known yet
        #expect(last.alerts == first.alerts)
        #expect(first.summary.clock == Timestamp(iso: "2026-12-01T00:00:00Z"))
    }

    @Test("a timestamp without a zone is local time in the jurisdiction's zone; a bare date is local midnight")
    func zonelessTimestamps() async throws {
        let zoned = try await runSimulation(
            lines: F.directoryLines + [F.permit("rp-1", at: "2026-09-03T10:00:00+08:00")], until: "2026-10-01")
        let zoneless = try await runSimulation(
            lines: F.directoryLines + [F.permit("rp-1", at: "2026-09-03T10:00:00")], until: "2026-10-01")
        #expect(zoneless.deadLetters.isEmpty)
        #expect(zoneless.alerts == zoned.alerts)
        #expect(zoneless.alerts.count == 1)
        let bare = try await runSimulation(lines: F.directoryLines + [F.permit("rp-1", at: "2026-09-03")])
        #expect(bare.summary.clock == Timestamp(iso: "2026-09-03T00:00:00+08:00"))
    }

    @Test("an expired certificate's alert is closed by its renewal: same alertId, status closed")
    func expiredClosedByRenewal() async throws {
        let input =
            F.directoryLines + [
                F.permit("rp-1", at: "2026-09-03T10:00:00+08:00"),
                F.certificate(
                    "mc-1", at: "2026-09-05T09:00:00+08:00", event: "verified", issuedOn: "2023-10-21",
                    validUntil: "2026-10-20"),
                F.certificate(
                    "mc-2", at: "2026-10-25T10:00:00+08:00", event: "renewed", issuedOn: "2026-10-25",
                    validUntil: "2029-10-24"),
            ]
        let run = try await runSimulation(lines: input, until: "2026-11-01")
        let expiring = run.alerts(.certificateExpiring)
        #expect(expiring.first?.status == .open)
        #expect(expiring.first?.raisedAt == Timestamp(iso: "2026-09-20T00:00:00+08:00"))
        #expect(expiring.last?.status == .closed)

        let expired = run.alerts(.certificateExpired)
        #expect(expired.count == 2)
        let opened = try #require(expired.first)
        let closed = try #require(expired.last)
        #expect(opened.status == .open)
        #expect(opened.raisedAt == Timestamp(iso: "2026-10-21T00:00:00+08:00"))
        #expect(closed.alertId == opened.alertId)
        #expect(closed.status == .closed)
        #expect(closed.closedAt == Timestamp(iso: "2026-10-25T10:00:00+08:00"))
        #expect(closed.closedBy == .record(AlertEvidence(topic: .certificates, recordId: "mc-2")))
        #expect(run.finalAlerts.values.allSatisfy { $0.status == .closed })
        // While it was expired no valid certificate was on file: certificate_missing, opened with
        // the expiry and closed by the same renewal.
        #expect(run.alerts(.certificateMissing).map(\.status) == [.open, .closed])
        #expect(run.alerts(.certificateMissing).first?.raisedAt == opened.raisedAt)
    }

    @Test("a move across communities re-publishes open alerts there and raises moved_in / moved_out")
    func moveAcrossCommunities() async throws {
        let input =
            F.directoryLines + [
                F.permit("rp-1", at: "2026-09-03T10:00:00+08:00"),
                // New permit for a house of another community (and street), then the old one cancelled.
                F.permit(
                    "rp-2", at: "2026-10-10T10:00:00+08:00", permitNo: "4211252026100001",
                    house: "421125-002-001-0101", issued: "2026-10-10", validUntil: "2027-10-09"),
                F.permit("rp-3", at: "2026-10-11T10:00:00+08:00", event: "cancelled"),
            ]
        let run = try await runSimulation(lines: input, until: "2026-10-15")
        // Open on day 30 in the old community; re-published at the move (and again when the
        // cancellation changes its evidence), always open, same alert, same deadlines.
        let missing = run.alerts(.certificateMissing)
        #expect(missing.count >= 2)
        #expect(missing.allSatisfy { $0.status == .open && $0.alertId == missing[0].alertId })
        #expect(missing.allSatisfy { $0.raisedAt == missing[0].raisedAt && $0.dueBy == missing[0].dueBy })
        #expect(missing[0].community.code == "421125001003")
        #expect(missing.dropFirst().allSatisfy { $0.community.code == "421125002001" && $0.street?.code == "421125002" })
        let republished = try #require(run.alerts.firstIndex { $0.type == .certificateMissing && $0.community.code == "421125002001" })
        // One instant, one batch: the re-publication, then the handover.
        #expect(run.alerts[republished...].prefix(3).map(\.type) == [.certificateMissing, .movedIn, .movedOut])

        let movedIn = try #require(run.alerts(.movedIn).last)
        let movedOut = try #require(run.alerts(.movedOut).last)
        #expect(movedIn.community.code == "421125002001")
        #expect(movedOut.community.code == "421125001003")
        #expect(movedIn.status == .open && movedOut.status == .open)
        #expect(movedIn.raisedAt == Timestamp(iso: "2026-10-10T10:00:00+08:00"))

        let final = run.finalAlerts
        #expect(final[missing[0].alertId]?.community.code == "421125002001")
        #expect(final.values.filter { $0.status == .open }.count == 3)
    }

    @Test("a house missing from the directory sends alerts to the unassigned queue")
    func unknownHouse() async throws {
        let input = F.directoryLines + [F.permit("rp-1", at: "2026-09-03T10:00:00+08:00", house: "421125-001-009-0001")]
        let run = try await runSimulation(lines: input, until: "2026-10-01")
        let alert = try #require(run.alerts.first)
        #expect(alert.community.code == "unassigned")
        #expect(alert.street == nil)
        #expect(alert.jsonString.contains(#""street":null"#))
    }

    @Test("a tombstone removes a house from the directory; a tombstone without a key is a dead letter")
    func tombstone() async throws {
        let input =
            F.directoryLines + [
                F.line(F.directory, "2026-08-02T08:00:00+08:00", "null", key: "421125-001-003-0101"),
                F.line(F.directory, "2026-08-02T08:00:00+08:00", "null"),
                F.permit("rp-1", at: "2026-09-03T10:00:00+08:00"),
            ]
        let run = try await runSimulation(lines: input, until: "2026-10-01")
        #expect(run.alerts.first?.community.code == "unassigned")
        #expect(run.deadLetters.map(\.reason.code) == ["missing_key"])
        #expect(run.deadLetters.first?.offset == 5)
    }

    @Test("--local-region decides who is a migrant")
    func localRegion() async throws {
        var rules = RulesConfiguration()
        rules.localRegionPrefixes = ["421125", "5106"]
        let input = F.directoryLines + [F.permit("rp-1", at: "2026-09-03T10:00:00+08:00")]
        let run = try await runSimulation(lines: input, until: "2026-12-01", rules: rules)
        #expect(run.alerts.isEmpty)
    }

    @Test("rules come from the configuration; --local-region replaces its regions")
    func rulesFromConfiguration() {
        var c = XiechaConfiguration()
        c.rules.certificateGraceDays = 45
        c.rules.utcOffsetSeconds = 7 * 3600
        c.rules.personRefSecret = Array("s3cret".utf8)
        c.rules.localRegionPrefixes = ["4211"]
        let r = Simulation.rulesConfiguration(from: c)
        #expect(r.certificateGraceDays == 45)
        #expect(r.utcOffsetSeconds == 7 * 3600)
        #expect(r.personRefSecret == Array("s3cret".utf8))
        #expect(r.localRegionPrefixes == ["4211"])
        #expect(Simulation.rulesConfiguration(from: c, localRegionPrefixes: ["421125", "421126"]).localRegionPrefixes == ["421125", "421126"])
    }
}

@Suite("Simulate: dead letters and malformed lines")
struct SimulateDeadLetterTests {
    typealias F = SimFixture

    @Test("invalid records and malformed lines go to the dead letters and the run continues")
    func deadLetters() async throws {
        var badId = F.womanId
        badId.removeLast()
        badId += F.womanId.hasSuffix("0") ? "1" : "0"
        let badPermit = F.permit("rp-bad", at: "2026-09-02T10:00:00+08:00", person: F.person(id: badId))
        let input =
            F.directoryLines + [
                badPermit,  // line 4
                "this is not json {",  // 5
                #"{"topic":"police.residence-permits.v2","timestamp":"2026-09-02T10:00:00+08:00","value":{}}"#,  // 6
                #"{"topic":"police.residence-permits.v1","value":{"recordId":"rp-x"}}"#,  // 7
                "",  // blank: skipped
                #"{"topic":"police.residence-permits.v1","timestamp":"2026-09-02T10:00:00+08:00","value":"{\"recordId\":"}"#,  // 9
                #"["not","an","object"]"#,  // 10
                #"{"topic":"xiecha.alerts.v1","timestamp":"2026-09-02T10:00:00+08:00","value":{}}"#,  // 11
                #"{"topic":"police.residence-permits.v1","timestamp":"yesterday","value":{}}"#,  // 12
                F.permit("rp-1", at: "2026-09-03T10:00:00+08:00"),  // 13
            ]
        let run = try await runSimulation(lines: input, until: "2026-10-01")
        #expect(
            run.deadLetters.map(\.reason.code) == [
                "invalid_id_checksum", "not_json", "unknown_enum:topic", "missing_field:timestamp", "not_json",
                "not_object", "unsupported_topic", "invalid_date:timestamp",
            ])
        #expect(run.deadLetters.map(\.offset) == [4, 5, 6, 7, 9, 10, 11, 12])
        #expect(
            run.deadLetters.map(\.topic) == [
                F.permits, Simulation.malformedLineTopic, "police.residence-permits.v2", F.permits, F.permits,
                Simulation.malformedLineTopic, "xiecha.alerts.v1", F.permits,
            ])
        #expect(run.deadLetters[0].recordId == "rp-bad")
        #expect(run.deadLetters[3].recordId == "rp-x")
        // The record's own bytes, exactly as they stood in the line.
        let original = String(badPermit[badPermit.range(of: #""value":"#)!.upperBound...].dropLast())
        #expect(run.deadLetters[0].value == Array(original.utf8))
        // A malformed line is kept whole.
        #expect(run.deadLetters[1].value == Array("this is not json {".utf8))
        // A string value is the raw message text.
        #expect(run.deadLetters[4].value == Array(#"{"recordId":"#.utf8))
        // The run went on: the valid permit still raises its alert.
        #expect(run.alerts.map(\.type) == [.certificateMissing])
        #expect(run.summary.deadLetters == 8)
        #expect(run.summary.lines == 12)
        // The JSON line form: no ID number or name outside the value.
        for d in run.deadLetters {
            let text = String(decoding: d.jsonBytes(includeValue: false), as: UTF8.self)
            #expect(!text.contains(F.womanId) && !text.contains(badId) && !text.contains(F.womanName))
        }
    }

    @Test("invalid UTF-8 in a line is a dead letter with the line in base64")
    func invalidUTF8() async throws {
        var bytes = Array(#"{"topic":"police.residence-permits.v1","timestamp":"2026-09-02T10:00:00+08:00","value":{"x":""#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}}"#.utf8)
        let run = try await runSimulation(byteLines: [bytes])
        #expect(run.deadLetters.map(\.reason.code) == ["invalid_utf8"])
        #expect(String(decoding: run.deadLetters[0].jsonBytes(), as: UTF8.self).contains(#""valueEncoding":"base64""#))
    }

    @Test("a line's value is sliced unchanged, whatever the spacing and key order")
    func valueSlice() {
        let line = Array(#"  { "value" : {"a": [1, {"b": "}\"]"}], "c" : null } , "topic":"police.residence-permits.v1", "timestamp":"2026-09-01"}"#.utf8)
        guard case .success(let parsed) = SimulationInputLine.parse(line, localUTCOffsetSeconds: RulesConfiguration().utcOffsetSeconds) else {
            Issue.record("not parsed")
            return
        }
        #expect(parsed.value == Array(#"{"a": [1, {"b": "}\"]"}], "c" : null }"#.utf8))
        #expect(parsed.timestamp == Timestamp(iso: "2026-09-01T00:00:00+08:00"))  // a bare date is local midnight
        #expect(parsed.topic == .residencePermits)
    }
}

@Suite("Simulate: the sample feed")
struct SimulateSampleTests {
    static let until = "2027-01-01"

    /// samples/README.md states what the sample gives; it must not drift from what simulate does.
    @Test("the sample's alert table in samples/README.md is what simulate writes")
    func readmeTable() async throws {
        let run = try await runSimulation(byteLines: try simulateSampleLines(), until: Self.until)
        let readme = try String(contentsOf: simulateSamplesDirectory.appendingPathComponent("README.md"), encoding: .utf8)
        var last: [String: AlertMessage] = [:]
        for m in run.alerts { last[m.alertId] = m }
        var rows = 0
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") && line.contains(" / ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3, let type = AlertType(rawValue: cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")))
            else { continue }
            func count(_ messages: some Sequence<AlertMessage>, _ status: AlertStatus) -> Int {
                messages.filter { $0.type == type && $0.status == status }.count
            }
            #expect(cells[1] == "\(count(run.alerts, .open)) / \(count(run.alerts, .closed))", "\(type.rawValue) messages")
            #expect(cells[2] == "\(count(last.values, .open)) / \(count(last.values, .closed))", "\(type.rawValue) alerts")
            rows += 1
        }
        #expect(rows == 8)
        #expect(readme.contains("| total | \(run.alerts.count) | \(last.count) |"))
        #expect(readme.contains("stderr has \(run.deadLetters.count) dead letters"))
    }

    @Test("every alert type the crosscheck raises shows up in the sample")
    func everyType() async throws {
        let run = try await runSimulation(byteLines: try simulateSampleLines(), until: Self.until)
        let types = Set(run.alerts.map(\.type))
        for t: AlertType in [
            .certificateMissing, .certificateExpiring, .certificateExpired, .maritalStatusChanged,
            .childNotOnCertificate, .movedIn, .movedOut, .recordConflict,
        ] {
            #expect(types.contains(t), "no \(t.rawValue) alert")
        }
        #expect(!types.contains(.escalation))
        #expect(run.alerts.contains { $0.community.code == "unassigned" })
        #expect(run.alerts.contains { $0.status == .closed && $0.closedBy?.kind == .record })
        // DESIGN.md: an alert is closed by a record or an office, never by the clock.
        #expect(!run.alerts.contains { $0.closedBy?.kind == .clock })
        // The sample's invalid records (samples/README.md): every kind, all caught.
        let kinds = Set(run.deadLetters.map(\.reason.kind.rawValue))
        for k in ["invalid_id_checksum", "missing_field", "invalid_date", "unknown_enum", "not_json", "invalid_license_no"] {
            #expect(kinds.contains(k), "no \(k) dead letter")
        }
        #expect(run.deadLetters.count == 14)
        #expect(run.deadLetters.allSatisfy { $0.topic != Simulation.malformedLineTopic })
    }

    @Test("every input line twice, or the whole input twice, gives the same final alert set as once")
    func idempotence() async throws {
        let lines = try simulateSampleLines()
        let once = try await runSimulation(byteLines: lines, until: Self.until).finalAlerts
        #expect(!once.isEmpty)
        let doubled = try await runSimulation(byteLines: lines.flatMap { [$0, $0] }, until: Self.until)
        #expect(doubled.finalAlerts == once)
        #expect(doubled.summary.duplicateEvents == doubled.summary.events)
        let replayed = try await runSimulation(byteLines: lines + lines, until: Self.until)
        #expect(replayed.finalAlerts == once)
    }

    @Test("no alert line carries a full ID number or a full name from the input")
    func privacy() async throws {
        let lines = try simulateSampleLines()
        var ids = Set<String>()
        var names = Set<String>()
        func collect(_ v: JSONValue) {
            switch v {
            case .object(let o):
                for (k, item) in zip(o.keys, o.values) {
                    if k == "idNumber", let s = item.stringValue { ids.insert(TextNormalisation.code(s).uppercased()) }
                    if k == "name", let s = item.stringValue, o["idNumber"] != nil {
                        names.insert(String(s.unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init)))
                    }
                    collect(item)
                }
            case .array(let items): items.forEach(collect)
            case .string(let s):
                // A raw (string) value: scan it too, when it is JSON.
                if let inner = try? JSONParser.parse(Array(s.utf8)) { collect(inner) }
            default: break
            }
        }
        for line in lines { if let v = try? JSONParser.parse(line) { collect(v) } }
        #expect(ids.count > 150)
        #expect(names.count > 150)
        #expect(ids.allSatisfy { $0.count == 18 })

        let run = try await runSimulation(byteLines: lines, until: Self.until)
        let stdout = run.stdout
        #expect(!stdout.isEmpty)
        for id in ids { #expect(!stdout.contains(id), "an alert carries a full ID number") }
        for name in names where name.count >= 2 {
            #expect(!stdout.contains(name), "an alert carries a full name")
        }
        // Dead letters without their values are clean too.
        let stderr = run.deadLetters.map { String(decoding: $0.jsonBytes(includeValue: false), as: UTF8.self) }.joined()
        for id in ids { #expect(!stderr.contains(id)) }
        for name in names where name.count >= 2 { #expect(!stderr.contains(name)) }
    }
}
