import ArgumentParser
import Foundation
import XiechaCore

/// The pure part of intake on one core: parse, validate, normalise, resolve, encode. Shows where a
/// record's microseconds go without Kafka in the way (`xiecha-bench intake-core permits.jsonl houses.jsonl`).
struct IntakeCoreBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake-core", abstract: "Time IntakeProcessor and PersonEvent encoding over a JSONL file of residence permits.")

    @Argument var permits: String
    @Argument var houses: String
    @Option var rounds = 3

    func run() throws {
        let lines = try String(contentsOfFile: permits, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        var directory = AddressDirectory()
        for line in try String(contentsOfFile: houses, encoding: .utf8).split(separator: "\n") {
            if let reason = directory.apply(key: nil, value: Array(line.utf8)) { throw ValidationError("bad house: \(reason)") }
        }
        let processor = IntakeProcessor()
        let ts = Timestamp(millisecondsSinceEpoch: 1_780_000_000_000)
        for round in 1...rounds {
            var parseTime = Duration.zero
            var processTime = Duration.zero
            var encodeTime = Duration.zero
            var bytes = 0
            let clock = ContinuousClock()
            for line in lines {
                parseTime += clock.measure { _ = try? JSONParser.parse(line) }
                var result: IntakeResult? = nil
                processTime += clock.measure { result = processor.process(topic: .residencePermits, value: line, timestamp: ts, directory: directory) }
                guard case .events(let events)? = result else { continue }
                encodeTime += clock.measure { for e in events { bytes += e.jsonBytes().count } }
            }
            func us(_ d: Duration) -> String { String(format: "%.2f", Double(d.components.attoseconds / 1_000_000_000_000 + d.components.seconds * 1_000_000) / Double(lines.count)) }
            print("round \(round): \(lines.count) records; parse \(us(parseTime)) µs, process (incl. parse) \(us(processTime)) µs, encode \(us(encodeTime)) µs per record; \(bytes) bytes out")
        }
    }
}
