import Foundation
import XiechaCore

/// Repository paths, found from this file's location.
enum Repo {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Intake
        .deletingLastPathComponent()  // XiechaCoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo

    static var examples: URL { root.appendingPathComponent("schemas/examples") }

    struct Example: CustomStringConvertible, Sendable {
        var topic: Topic
        var name: String
        var bytes: [UInt8]
        var reason: String?
        var schemaVerdict: String?
        var description: String { "\(topic.rawValue)/\(name)" }
    }

    static func examples(valid: Bool) -> [Example] {
        var out: [Example] = []
        let fm = FileManager.default
        for topic in Topic.allCases {
            let dir = examples.appendingPathComponent(topic.rawValue).appendingPathComponent(valid ? "valid" : "invalid")
            guard let names = try? fm.contentsOfDirectory(atPath: dir.path) else { continue }
            for file in names.sorted() where file.hasSuffix(".json") {
                let base = String(file.dropLast(5))
                let bytes = [UInt8](fm.contents(atPath: dir.appendingPathComponent(file).path) ?? Data())
                func text(_ ext: String) -> String? {
                    (try? String(contentsOf: dir.appendingPathComponent(base + ext), encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                }
                out.append(Example(topic: topic, name: base, bytes: bytes, reason: text(".reason"), schemaVerdict: text(".schema")))
            }
        }
        return out
    }
}

/// Whether `s` contains 17 digits followed by a digit or X/x: a full resident ID number.
func containsFullIDNumber(_ s: String) -> Bool {
    var run = 0
    for c in s.utf8 {
        if c >= 48 && c <= 57 {
            run += 1
            if run >= 18 { return true }
        } else if (c == UInt8(ascii: "X") || c == UInt8(ascii: "x")) && run >= 17 {
            return true
        } else {
            run = 0
        }
    }
    return false
}

enum Fixtures {
    static func id(_ region: String, _ date: String, _ seq: Int) -> String {
        IDNumber.make(region: region, birthDate: LocalDate(iso: date)!, sequence: seq).value
    }

    static let directory = AddressDirectory([
        AddressDirectoryEntry(
            houseId: "421125-001-003-0101", text: "清泉镇沿河路18号1单元101",
            community: CommunityRef(code: "421125001003", name: "沿河社区居委会"),
            street: StreetRef(code: "421125001", name: "清泉街道办事处")),
        AddressDirectoryEntry(
            houseId: "421125-001-004-0203", text: "清泉镇沿河路20号2单元203",
            community: CommunityRef(code: "421125001004", name: "河东社区居委会"),
            street: StreetRef(code: "421125001", name: "清泉街道办事处")),
    ])

    static let timestamp = Timestamp(iso: "2026-09-03T02:00:00Z")!

    static func example(_ topic: Topic, _ name: String) -> [UInt8] {
        let url = Repo.examples.appendingPathComponent(topic.rawValue).appendingPathComponent("valid/\(name).json")
        return [UInt8](FileManager.default.contents(atPath: url.path)!)
    }
}
