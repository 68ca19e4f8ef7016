import Foundation
import Testing

@Suite("Worker processes whose brokers do not answer")
struct WorkerStartupTests {
    /// Nothing listens on port 1 of the loopback: every connection is refused at once.
    static let deadBrokers = "127.0.0.1:1"

    /// With --stop-at-end it gives up with an error that names what it could not reach (it used
    /// to wait for ever for the address directory).
    @Test func intakeStopAtEndFailsWithAClearError() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "intake-no-brokers")
        defer { children.killAll() }
        let worker = try children.start(
            "intake", ["worker", "intake", "--feed", "residence-permits", "--brokers", Self.deadBrokers, "--stop-at-end"])
        let status = try await worker.waitForExit(within: 60)
        #expect(status != 0)
        #expect(worker.stderr.contains("cannot load the address directory (ref.address-directory.v1) from \(Self.deadBrokers)"))
        #expect(worker.stdout.isEmpty || !worker.stdout.contains("\"records\""))  // no summary line for a run that did not happen
        children.removeDirectory()
    }

    /// A live worker still waiting for the directory stops at once on SIGTERM, cleanly (it used to
    /// ignore SIGTERM and SIGINT until killed).
    @Test func intakeStopsOnSIGTERMWhileWaitingForTheDirectory() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "intake-no-brokers-term")
        defer { children.killAll() }
        let worker = try children.start("intake", ["worker", "intake", "--feed", "residence-permits", "--brokers", Self.deadBrokers])
        try await Task.sleep(for: .seconds(2))
        #expect(worker.isRunning)
        kill(worker.pid, SIGTERM)
        #expect(try await worker.waitForExit(within: 10) == 0)
        #expect(worker.stdout.contains("stopped before the address directory was loaded"))
        children.removeDirectory()
    }

    @Test func crosscheckStopAtEndFailsWithAClearError() async throws {
        let children = try ChildProcesses(executable: try XiechaBinary.url(), label: "crosscheck-no-brokers")
        defer { children.killAll() }
        let store = "sqlite:\(children.directory.appendingPathComponent("state.sqlite").path)"
        let worker = try children.start(
            "crosscheck", ["worker", "crosscheck", "--store", store, "--brokers", Self.deadBrokers, "--stop-at-end"])
        #expect(try await worker.waitForExit(within: 60) != 0)
        #expect(worker.stderr.contains("cannot read where xiecha.person-events.v1 ends and where group xiecha-crosscheck stands in it"))
        children.removeDirectory()
    }
}
