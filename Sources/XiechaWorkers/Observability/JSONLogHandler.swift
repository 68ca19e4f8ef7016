import Foundation
import Logging
import Synchronization
import XiechaCore

/// swift-log handler writing one JSON object per line to stdout (DESIGN.md "Observability").
///
/// Fields: `ts`, `level`, `msg`, `logger`, `source`, then the metadata (worker, topic, partition,
/// offset, recordId, rule, alertId, …). Callers must never put full ID numbers or names in
/// messages or metadata; `recordId`s, masked ids and personRefs are fine.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, output: JSONLogOutput = .standardOutput) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.member("ts", Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)).description)
        w.member("level", event.level.rawValue)
        w.member("msg", event.message.description)
        w.member("logger", label)
        w.member("source", event.source)
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for (k, v) in merged.sorted(by: { $0.key < $1.key }) {
            w.key(k)
            w.string("\(v)")
        }
        w.endObject()
        var bytes = w.bytes
        bytes.append(UInt8(ascii: "\n"))
        output.write(bytes)
    }
}

/// Where JSON log lines go; one lock keeps concurrent lines whole.
public final class JSONLogOutput: Sendable {
    private let handle: Mutex<FileHandle>
    public init(_ handle: FileHandle) { self.handle = Mutex(handle) }
    public static let standardOutput = JSONLogOutput(FileHandle.standardOutput)
    public static let standardError = JSONLogOutput(FileHandle.standardError)
    func write(_ bytes: [UInt8]) { handle.withLock { $0.write(Data(bytes)) } }
}
