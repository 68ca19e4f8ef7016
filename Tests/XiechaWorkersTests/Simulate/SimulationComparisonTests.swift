import Foundation
import Testing
import XiechaCore
import XiechaWorkers

private typealias F = SimFixture

/// `xiecha simulate --compare-config`: the rule trial.
@Suite("Simulate: rule trial (--compare-config)")
struct SimulationComparisonTests {
    /// Woman a arrives 2026-09-01 (missing from 10-01 under a 30-day grace, from 11-30 under 90);
    /// woman b arrives 2026-08-02 (missing from 09-01, or from 10-31): both rules raise hers, on
    /// different days. Until 2026-11-01 the 90-day grace removes a's alert and changes b's.
    static let input: [String] = {
        let bId = IDNumber.make(region: "412722", birthDate: LocalDate(iso: "1991-07-19")!, sequence: 4).value
        let b = F.person(id: bId, name: "赵丽", birth: "1991-07-19", hukou: "412722")
        return F.directoryLines + [
            F.permit("rp-a", at: "2026-09-03T10:00:00+08:00"),
            F.permit(
                "rp-b", at: "2026-08-03T10:00:00+08:00", permitNo: "4211252026080002", person: b, house: "421125-001-004-0203",
                arrival: "2026-08-02", issued: "2026-08-03"),
        ]
    }()

    @Test("a longer grace period: one alert removed, one changed, counted per type and office")
    func longerGrace() async throws {
        var proposed = RulesConfiguration()
        proposed.certificateGraceDays = 90
        let lines = Self.input.map { Array($0.utf8) }
        let until = LocalDate(iso: "2026-11-01")
        let comparison = SimulationComparison(
            current: try await Simulation.lastMessages(lines: lines, options: .init(until: until)),
            proposed: try await Simulation.lastMessages(lines: lines, options: .init(rules: proposed, until: until)))
        #expect(
            comparison.rows.map { [$0.type.rawValue, $0.office, "\($0.added)", "\($0.removed)", "\($0.changed)", "\($0.openBefore)", "\($0.openAfter)"] }
                == [
                    ["certificate_missing", "421125001003", "0", "1", "0", "1", "0"],
                    ["certificate_missing", "421125001004", "0", "0", "1", "1", "1"],
                ])
        #expect(comparison.totals.removed == 1 && comparison.totals.changed == 1 && comparison.totals.added == 0)
        #expect(comparison.json().hasPrefix(#"{"rows":[{"type":"certificate_missing","office":"421125001003","added":0,"removed":1"#))
    }

    @Test("the same configuration changes nothing")
    func sameConfiguration() async throws {
        let lines = Self.input.map { Array($0.utf8) }
        let run = try await Simulation.lastMessages(lines: lines, options: .init(until: LocalDate(iso: "2026-11-01")))
        let comparison = SimulationComparison(current: run, proposed: run)
        #expect(comparison.totals.added + comparison.totals.removed + comparison.totals.changed == 0)
        #expect(comparison.totals.openBefore == 2 && comparison.totals.openAfter == 2)
    }

    @Test("the command: --compare-config NEW.yaml --format json prints the comparison instead of alerts")
    func command() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "simulate-compare")
        defer { children.removeDirectory() }
        let inputURL = children.directory.appendingPathComponent("input.jsonl")
        try (Self.input.joined(separator: "\n") + "\n").write(to: inputURL, atomically: true, encoding: .utf8)
        let yaml = children.directory.appendingPathComponent("new.yaml")
        try "rules:\n  certificateGraceDays: 90\n".write(to: yaml, atomically: true, encoding: .utf8)
        let run = try children.start(
            "simulate", ["simulate", "--input", inputURL.path, "--until", "2026-11-01", "--compare-config", yaml.path, "--format", "json"])
        #expect(try await run.waitForExit(within: 60) == 0, "stderr: \(run.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let totals = object?["totals"] as? [String: Int]
        #expect(totals == ["added": 0, "removed": 1, "changed": 1, "openBefore": 2, "openAfter": 1])

        let bad = try children.start("simulate-bad", ["simulate", "--input", inputURL.path, "--compare-config", "/nonexistent.yaml"])
        #expect(try await bad.waitForExit(within: 60) != 0)
        #expect(bad.stderr.contains("/nonexistent.yaml"))
    }
}
