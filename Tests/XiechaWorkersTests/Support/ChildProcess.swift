import Foundation
import Synchronization

/// A child process of a test (usually `xiecha …`), with stdout and stderr captured to files (no
/// pipes, so a chatty child can never block on a full pipe). Every wait is bounded; a child that
/// overstays is terminated, then killed.
final class ChildProcess: @unchecked Sendable {  // Process is thread-safe for what is used here
    let name: String
    let arguments: [String]
    let stdoutURL: URL
    let stderrURL: URL
    private let process: Process

    /// Starts `executable arguments…` in `directory`. The child inherits the environment minus
    /// every `XIECHA_*` variable (tests pass configuration explicitly), plus `environment`.
    init(
        name: String, executable: URL, arguments: [String], environment: [String: String] = [:],
        directory: URL
    ) throws {
        self.name = name
        self.arguments = arguments
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        stdoutURL = directory.appendingPathComponent("\(String(safe)).stdout")
        stderrURL = directory.appendingPathComponent("\(String(safe)).stderr")
        guard fm.createFile(atPath: stdoutURL.path, contents: nil), fm.createFile(atPath: stderrURL.path, contents: nil) else {
            throw TestFailure("cannot create output files in \(directory.path)")
        }
        let out = try FileHandle(forWritingTo: stdoutURL)
        let err = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? out.close()
            try? err.close()
        }
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("XIECHA_") }
        for (k, v) in environment { env[k] = v }
        process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = env
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Everything the child wrote to stdout / stderr so far.
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var stdoutBytes: [UInt8] { [UInt8]((try? Data(contentsOf: stdoutURL)) ?? Data()) }
    var stderrBytes: [UInt8] { [UInt8]((try? Data(contentsOf: stderrURL)) ?? Data()) }

    /// Waits for the child to exit and returns its exit status. After `seconds` the child is
    /// sent SIGTERM, then SIGKILL, and the wait throws (with the tail of its stderr).
    @discardableResult
    func waitForExit(within seconds: Double) async throws -> Int32 {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                await stop()
                throw TestFailure("\(name) did not exit within \(seconds) s; stderr tail:\n\(tail(stderr))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// Waits until stdout has at least one complete line and returns it (bounded).
    func firstStdoutLine(within seconds: Double) async throws -> String {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            let text = stdout
            if let nl = text.firstIndex(of: "\n") { return String(text[..<nl]) }
            if !process.isRunning {
                throw TestFailure("\(name) exited (status \(process.terminationStatus)) before printing a line; stderr:\n\(tail(stderr))")
            }
            if ContinuousClock.now >= deadline {
                await stop()
                throw TestFailure("\(name) printed no line within \(seconds) s; stderr tail:\n\(tail(stderr))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// SIGTERM, up to `grace` for a clean exit, then SIGKILL. Safe to call on an exited child.
    func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + grace
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        killNow()
    }

    /// SIGKILL at once (for `defer` blocks, which cannot wait).
    func killNow() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func tail(_ text: String, lines: Int = 40) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// The children a test started; `killAll()` in a `defer` makes sure none outlives the test.
final class ChildProcesses: Sendable {
    private let children = Mutex<[ChildProcess]>([])
    let directory: URL
    let executable: URL

    /// A fresh temporary directory for the children's working directory and output files.
    init(executable: URL, label: String) throws {
        self.executable = executable
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("xiecha-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Starts `xiecha arguments…`.
    func start(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        let child = try ChildProcess(
            name: name, executable: executable, arguments: arguments, environment: environment, directory: directory)
        children.withLock { $0.append(child) }
        return child
    }

    var all: [ChildProcess] { children.withLock { $0 } }

    func killAll() {
        for c in all { c.killNow() }
    }

    /// Removes the working directory (call after the test's assertions, when nothing failed).
    func removeDirectory() {
        try? FileManager.default.removeItem(at: directory)
    }
}
