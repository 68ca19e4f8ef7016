import Foundation
import Kafka
import XiechaCore

/// What `xiecha alerts tail` prints.
public struct AlertsTailOptions: Sendable, Hashable {
    /// How each alert is printed.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// One aligned line per alert: status, type, community, masked subject, id, reason.
        case table
        /// The message value as it is on the topic (masked data only).
        case json
    }

    /// Only alerts keyed by this community (or street) code; all without it.
    public var community: String?
    /// How each alert is printed.
    public var format: Format = .table

    /// Every alert, as a table.
    public init(community: String? = nil, format: Format = .table) {
        self.community = community
        self.format = format
    }
}

/// `xiecha alerts tail`: prints alerts from `xiecha.alerts.v1` as they arrive, in its own consumer
/// group, with the subject masked (the payload never holds more). It is a worker like the others
/// (the runtime's batch loop, its signal handling and `--stop-at-end`), one that only reads.
struct AlertsTailStep: WorkerStep {
    let options: AlertsTailOptions

    func prepare() async throws {
        if options.format == .table {
            emit("STATUS  TYPE                       COMMUNITY      SUBJECT              ALERT       REASON")
        }
    }

    func process(_ batch: [KafkaConsumerMessage], output: BatchOutput) async throws -> BatchOutcome {
        for m in batch { show(m) }
        return BatchOutcome()
    }

    /// Prints `m` if it is an alert of the community asked for.
    private func show(_ m: KafkaConsumerMessage) {
        if let community = options.community, m.key.map({ String(decoding: $0, as: UTF8.self) }) != community { return }
        guard let value = m.value else { return }
        switch options.format {
        case .json:
            emit(String(decoding: value, as: UTF8.self))
        case .table:
            guard let alert = try? JSONDecoder().decode(AlertMessage.self, from: Data(value)) else {
                FileHandle.standardError.write(Data("unreadable alert at \(m.topicPartition)@\(m.offset)\n".utf8))
                return
            }
            emit(
                [
                    alert.status.rawValue.padded(6), alert.type.rawValue.padded(26), alert.kafkaKey.padded(14),
                    "\(alert.subject.maskedId) \(alert.subject.maskedName)".padded(20), String(alert.alertId.prefix(10)).padded(11),
                    alert.reason,
                ].joined(separator: " "))
        }
    }

    private func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
}

extension String {
    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
