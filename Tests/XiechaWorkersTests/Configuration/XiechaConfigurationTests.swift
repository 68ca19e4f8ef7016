import Foundation
import Testing

@testable import XiechaWorkers

@Suite("Configuration: the jurisdiction's time zone")
struct XiechaConfigurationTimeZoneTests {
    /// Writes `yaml` to a temporary file and loads it with no environment.
    func load(_ yaml: String) throws -> XiechaConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("xiecha-config-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try XiechaConfiguration.load(file: path, environment: [:])
    }

    @Test("a zone name sets the offset deadlines use")
    func zoneNameSetsTheOffset() throws {
        let utc = try load("jurisdiction:\n  timeZone: UTC\n")
        #expect(utc.rules.utcOffsetSeconds == 0)
        let urumqi = try load("jurisdiction:\n  timeZone: Asia/Urumqi\n")
        #expect(urumqi.rules.utcOffsetSeconds == 6 * 3600)
        #expect(try load("jurisdiction:\n  utcOffsetHours: 7\n").rules.utcOffsetSeconds == 7 * 3600)
        #expect(try load("jurisdiction:\n  timeZone: Asia/Shanghai\n  utcOffsetHours: 8\n").rules.utcOffsetSeconds == 8 * 3600)
    }

    @Test("an unknown zone, a zone with daylight saving time, or a contradicting offset is an error")
    func badZones() {
        for yaml in [
            "jurisdiction:\n  timeZone: Mars/Olympus\n",
            "jurisdiction:\n  timeZone: Europe/London\n",
            "jurisdiction:\n  timeZone: Asia/Shanghai\n  utcOffsetHours: 9\n",
        ] {
            #expect(throws: ConfigurationError.self) { try load(yaml) }
        }
    }
}
