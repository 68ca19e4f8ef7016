import ArgumentParser
import Foundation
import XiechaCore
import XiechaWorkers

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run intake and crosscheck on a JSON-lines file in event time, with no Kafka.",
        discussion: """
            Each input line is {"topic": "<topic name>", "timestamp": "<ISO-8601>", "value": {...}} \
            (a tombstone on ref.address-directory.v1 has "value": null and a "key"; a string value is \
            taken as raw message text; a timestamp without a zone is local time). The whole input \
            is read, then applied in timestamp order, directory lines included, so the order of \
            the lines does not change the output; deadlines fire in event time. Alert messages go \
            to stdout and dead letters to stderr (at the end, in line order), one JSON object per \
            line; dead letters leave out the record's value unless --dead-letter-values, so \
            neither carries personal data. Exit status 0 when the input was read, even with dead \
            letters.
            """
    )

    @Option(name: .long, help: ArgumentHelp("JSON-lines input file; - reads standard input.", valueName: "file"))
    var input: String

    @Option(
        name: .long,
        help: ArgumentHelp(
            "After the input, move the clock to 00:00 of this day in the jurisdiction's time zone and fire every deadline up to it.",
            valueName: "YYYY-MM-DD"))
    var until: String?

    @Option(
        name: .customLong("local-region"),
        help: ArgumentHelp(
            "Household-registration region prefix counted as local (repeatable, or comma-separated; default: the configuration's, 421125).",
            valueName: "prefix"))
    var localRegions: [String] = []

    /// `--local-region` values, each of which may also be a comma-separated list (as in XIECHA_LOCAL_REGIONS).
    var regionPrefixes: [String] {
        localRegions.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    @Option(name: .long, help: ArgumentHelp("Configuration file, YAML (env XIECHA_CONFIG).", valueName: "file"))
    var config: String?

    @Flag(
        name: .long,
        help: "Also write each dead letter's original record value on stderr. It may hold full ID numbers and names, so by default only its topic, line number (offset), recordId and reason are written.")
    var deadLetterValues = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Rule trial: run the input under the configuration and under this one, and print per alert type and office what the new one adds, removes and changes (instead of the alerts).",
            valueName: "NEW.yaml"))
    var compareConfig: String?

    /// How a rule trial is printed.
    enum ComparisonFormat: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Option(name: .long, help: "With --compare-config: table | json.")
    var format: ComparisonFormat = .table

    /// The default since values are left out unless asked for; still accepted.
    @Flag(name: .long, help: .hidden)
    var omitDeadLetterValues = false

    func validate() throws {
        if let until, LocalDate(iso: until) == nil {
            throw ValidationError("--until takes a real calendar date as YYYY-MM-DD, got '\(until)'")
        }
        for p in regionPrefixes where p.isEmpty || p.count > 6 || !p.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw ValidationError("--local-region takes a region prefix of 1–6 digits, got '\(p)'")
        }
        guard !input.isEmpty else { throw ValidationError("--input needs a file name, or - for standard input") }
    }

    func run() async throws {
        let stderr = SimulationLineWriter(fileDescriptor: 2)
        func fail(_ message: String) -> ExitCode {
            stderr.flush()
            FileHandle.standardError.write(Data("xiecha simulate: \(message)\n".utf8))
            return ExitCode.failure
        }
        let configuration: XiechaConfiguration
        do {
            configuration = try XiechaConfiguration.load(file: config)
        } catch {
            throw fail(error.description)
        }
        let reader: SimulationLineReader
        do {
            reader = try SimulationLineReader(path: input)
        } catch {
            throw fail(error.description)
        }
        let rules = Simulation.rulesConfiguration(
            from: configuration, localRegionPrefixes: regionPrefixes.isEmpty ? nil : regionPrefixes)
        let options = Simulation.Options(rules: rules, until: until.flatMap { LocalDate(iso: $0) })
        if let compareConfig {
            let proposed: XiechaConfiguration
            do { proposed = try XiechaConfiguration.load(file: compareConfig) } catch { throw fail(error.description) }
            var proposedOptions = options
            proposedOptions.rules = Simulation.rulesConfiguration(
                from: proposed, localRegionPrefixes: regionPrefixes.isEmpty ? nil : regionPrefixes)
            let lines = Array(reader)
            if reader.failed { throw fail("reading '\(input)' failed part-way") }
            do {
                let comparison = SimulationComparison(
                    current: try await Simulation.lastMessages(lines: lines, options: options),
                    proposed: try await Simulation.lastMessages(lines: lines, options: proposedOptions))
                FileHandle.standardOutput.write(Data((format == .json ? comparison.json() : comparison.table()).utf8))
            } catch {
                throw fail("\(error)")
            }
            return
        }
        let stdout = SimulationLineWriter(fileDescriptor: 1)
        let includeValues = deadLetterValues && !omitDeadLetterValues
        let simulation = Simulation(
            options: options,
            alerts: { stdout.writeLine($0.jsonBytes) },
            deadLetters: { stderr.writeLine($0.jsonBytes(includeValue: includeValues)) })
        do {
            while let line = reader.next() { try await simulation.feed(line: line) }
            if reader.failed { throw fail("reading '\(input)' failed part-way") }
            try await simulation.finish()
        } catch let exit as ExitCode {
            stdout.flush()
            throw exit
        } catch {
            stdout.flush()
            throw fail("\(error)")
        }
        stdout.flush()
        stderr.flush()
    }
}
