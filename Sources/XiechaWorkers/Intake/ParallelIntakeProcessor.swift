import Foundation
import Kafka
import XiechaCore

/// Validates, normalises and encodes a batch of input records on all cores, keeping input order.
///
/// The intake loop is one task (it must send in input order, so that per-person order holds), and
/// the pure work per record (parse, validate, resolve the house, encode the person events) is most
/// of its time. Splitting that work over the cores, and leaving only the sends to the loop, lets
/// one worker use the machine.
struct ParallelIntakeProcessor: Sendable {
    /// One person event ready to send: the key (ID number) and the JSON value.
    struct EncodedEvent: Sendable {
        var key: [UInt8]
        var value: [UInt8]
    }

    /// What one input record became.
    enum Output: Sendable {
        case events([EncodedEvent])
        case deadLetter(DeadLetterReason, recordId: String?)
    }

    let feed: Topic
    let processor = IntakeProcessor()

    /// The outputs of `messages`, in their order.
    func process(_ messages: [KafkaConsumerMessage], directory: AddressDirectory) async -> [Output] {
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        return await messages.concurrentMap { [feed, processor] m in
            let ts = m.timestampMs.map(Timestamp.init(millisecondsSinceEpoch:)) ?? now
            switch processor.process(topic: feed, value: m.value, timestamp: ts, directory: directory) {
            case .events(let events):
                return .events(events.map { EncodedEvent(key: Array($0.person.idNumber.utf8), value: $0.jsonBytes()) })
            case .deadLetter(let reason, let recordId):
                return .deadLetter(reason, recordId: recordId)
            }
        }
    }
}
