import Foundation

/// `Tests/webhooks/webhook_receiver.py` as a child process: a real HTTP receiver on loopback that verifies each
/// request's Standard Webhooks signature with Python's own hmac/hashlib/base64 (an implementation independent of
/// Xiecha's) and logs every request it got.
final class WebhookReceiver: Sendable {
    /// One request as the receiver logged it.
    struct Request: Decodable, Sendable {
        var path: String
        var id: String
        var timestamp: String?
        /// The signature and timestamp verified.
        var valid: Bool
        /// What it answered (`nil`: it hung).
        var status: Int?
        var sha256: String
        var at: Double
        var body: String?
    }

    let child: ChildProcess
    let port: Int
    let logURL: URL
    let controlURL: URL

    static let script = XiechaBinary.repositoryRoot.appendingPathComponent("Tests/webhooks/webhook_receiver.py")

    /// Starts a receiver with `routes` (path → mode) and `secrets` (path → secret); `bodies` logs request bodies too.
    init(children: ChildProcesses, name: String = "receiver", routes: [String: String], secrets: [String: String], bodies: Bool = false) async throws {
        logURL = children.directory.appendingPathComponent("\(name).requests.jsonl")
        controlURL = children.directory.appendingPathComponent("\(name).control.json")
        let portFile = children.directory.appendingPathComponent("\(name).port")
        var arguments = [Self.script.path, "--log", logURL.path, "--port-file", portFile.path, "--control", controlURL.path]
        for (path, mode) in routes.sorted(by: { $0.key < $1.key }) { arguments += ["--route", "\(path)=\(mode)"] }
        for (path, secret) in secrets.sorted(by: { $0.key < $1.key }) { arguments += ["--secret", "\(path)=\(secret)"] }
        if bodies { arguments.append("--body") }
        child = try ChildProcess(
            name: name, executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3"] + arguments, directory: children.directory)
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let p = Int(text) {
                port = p
                break
            }
            guard child.isRunning, ContinuousClock.now < deadline else {
                child.killNow()
                throw TestFailure("the webhook receiver did not start; stderr: \(child.stderr)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The URL of `path` on this receiver.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Changes the modes of `paths` while it runs.
    func set(_ modes: [String: String]) throws {
        try JSONSerialization.data(withJSONObject: modes).write(to: controlURL, options: .atomic)
    }

    /// Every request logged so far.
    func requests() -> [Request] {
        guard let data = try? Data(contentsOf: logURL) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(Request.self, from: Data($0)) }
    }

    /// Waits (bounded) until `condition` holds for the requests logged.
    @discardableResult
    func wait(within seconds: Double, _ what: String, until condition: ([Request]) -> Bool) async throws -> [Request] {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            let r = requests()
            if condition(r) { return r }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("receiver: \(what) not reached within \(seconds) s (\(r.count) requests logged)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func stop() { child.killNow() }
}
