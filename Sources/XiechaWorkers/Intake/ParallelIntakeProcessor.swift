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
    /// Concurrent slices per batch.
    let width: Int
    /// Batches smaller than this are processed inline: splitting costs more than it saves.
    let minimumParallelBatch = 256

    init(feed: Topic, width: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.feed = feed
        self.width = max(1, width)
    }

    /// The outputs of `messages`, in their order.
    func process(_ messages: [KafkaConsumerMessage], directory: AddressDirectory) async -> [Output] {
        if width == 1 || messages.count < minimumParallelBatch {
            return process(messages[...], directory: directory)
        }
        let sliceSize = (messages.count + width - 1) / width
        return await withTaskGroup(of: (Int, [Output]).self) { group in
            for (i, start) in stride(from: 0, to: messages.count, by: sliceSize).enumerated() {
                let slice = messages[start..<min(start + sliceSize, messages.count)]
                group.addTask { (i, self.process(slice, directory: directory)) }
            }
            var slices = [[Output]](repeating: [], count: width)
            for await (i, outputs) in group { slices[i] = outputs }
            return slices.flatMap { $0 }
        }
    }

    private func process(_ messages: ArraySlice<KafkaConsumerMessage>, directory: AddressDirectory) -> [Output] {
        var outputs: [Output] = []
        outputs.reserveCapacity(messages.count)
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        for m in messages {
            let ts = m.timestampMs.map(Timestamp.init(millisecondsSinceEpoch:)) ?? now
            switch processor.process(topic: feed, value: m.value, timestamp: ts, directory: directory) {
            case .events(let events):
                outputs.append(.events(events.map { EncodedEvent(key: Array($0.person.idNumber.utf8), value: $0.jsonBytes()) }))
            case .deadLetter(let reason, let recordId):
                outputs.append(.deadLetter(reason, recordId: recordId))
            }
        }
        return outputs
    }
}
