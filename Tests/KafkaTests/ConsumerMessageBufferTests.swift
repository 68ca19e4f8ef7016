import Foundation
import Synchronization
import Testing

@testable import Kafka

/// The poll thread's back-pressure wait, without a broker. `waitForRoom` blocks its thread, so
/// the tests call it on a thread of their own, never on the cooperative pool.
@Suite("Consumer message buffer", .timeLimit(.minutes(1)))
struct ConsumerMessageBufferTests {
    let tp = KafkaTopicPartition(topic: "t", partition: 0)

    func batch(_ offset: Int64, _ partition: KafkaTopicPartition? = nil) -> [KafkaConsumerMessage] {
        let p = partition ?? tp
        return [
            KafkaConsumerMessage(
                topic: p.topic, partition: p.partition, offset: offset, key: nil, value: [], headers: [], timestampMs: nil)
        ]
    }

    /// Starts `waitForRoom` on a new thread; `done` is set when it returns.
    func waitOnThread(_ buffer: ConsumerMessageBuffer) -> BlockedWait {
        let wait = BlockedWait()
        let thread = Thread { wait.finish(buffer.waitForRoom()) }
        thread.start()
        return wait
    }

    @Test("With room, waitForRoom returns at once")
    func roomAvailable() {
        let buffer = ConsumerMessageBuffer(capacity: 2)
        #expect(buffer.waitForRoom())
        _ = buffer.push(batch(0))
        #expect(buffer.waitForRoom())
    }

    @Test("A full buffer blocks the poll thread until the application takes a batch")
    func blocksUntilBatchTaken() async throws {
        let buffer = ConsumerMessageBuffer(capacity: 1)
        #expect(buffer.push(batch(0)) == false, "full after one batch")
        let wait = waitOnThread(buffer)
        try await Task.sleep(for: .milliseconds(100))
        #expect(!wait.isDone, "no room yet")
        let taken = await buffer.nextBatch()
        #expect(taken?.first?.offset == 0)
        #expect(try await wait.result(within: .seconds(30)) == true)
    }

    @Test("Stopping wakes a blocked poll thread at once, and later waits return at once")
    func stopWakes() async throws {
        let buffer = ConsumerMessageBuffer(capacity: 1)
        _ = buffer.push(batch(0))
        let wait = waitOnThread(buffer)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!wait.isDone)
        buffer.stopWaitingForRoom()
        #expect(try await wait.result(within: .seconds(30)) == false)
        #expect(buffer.waitForRoom() == false)
    }

    @Test("A stop requested before the wait is not lost")
    func stopBeforeWait() {
        let buffer = ConsumerMessageBuffer(capacity: 1)
        _ = buffer.push(batch(0))
        buffer.stopWaitingForRoom()
        #expect(buffer.waitForRoom() == false)
    }

    @Test("Dropping a revoked partition's messages, or finishing, makes room")
    func removeAndFinishWake() async throws {
        let other = KafkaTopicPartition(topic: "t", partition: 1)
        let buffer = ConsumerMessageBuffer(capacity: 1)
        _ = buffer.push(batch(0, other))
        let wait = waitOnThread(buffer)
        try await Task.sleep(for: .milliseconds(50))
        buffer.remove(partitions: [tp])
        try await Task.sleep(for: .milliseconds(50))
        #expect(!wait.isDone, "dropping another partition's messages makes no room")
        buffer.remove(partitions: [other])
        #expect(try await wait.result(within: .seconds(30)) == true)

        let finished = ConsumerMessageBuffer(capacity: 1)
        _ = finished.push(batch(0))
        let wait2 = waitOnThread(finished)
        try await Task.sleep(for: .milliseconds(50))
        finished.finish()
        #expect(try await wait2.result(within: .seconds(30)) == true)
    }

    @Test("Many hand-overs through a one-batch buffer: nothing lost, no wake-up missed")
    func manyHandOvers() async throws {
        let buffer = ConsumerMessageBuffer(capacity: 1)
        let total = 2_000
        let producer = Thread {
            for i in 0..<total {
                guard buffer.waitForRoom() else { return }
                _ = buffer.push(batch(Int64(i)))
            }
        }
        producer.start()
        defer { buffer.stopWaitingForRoom() }
        let received = try await withDeadline(120, "hand-overs") {
            var next: Int64 = 0
            while next < Int64(total), let b = await buffer.nextBatch() {
                #expect(b.first?.offset == next)
                next += 1
            }
            return next
        }
        #expect(received == Int64(total))
    }
}

/// The outcome of a `waitForRoom` running on another thread.
final class BlockedWait: Sendable {
    private let state = Mutex<(result: Bool?, waiter: CheckedContinuation<Bool, Never>?)>((nil, nil))

    var isDone: Bool { state.withLock { $0.result != nil } }

    func finish(_ result: Bool) {
        let waiter = state.withLock { s -> CheckedContinuation<Bool, Never>? in
            s.result = result
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: result)
    }

    /// The wait's result; throws `DeadlineExceeded` if it has not returned within `timeout`.
    func result(within timeout: Duration) async throws -> Bool {
        try await withDeadline(Double(timeout.components.seconds), "waitForRoom to return") {
            // Cancellable, so the deadline can end the task group even if the thread never returns.
            await withTaskCancellationHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                    let done = self.state.withLock { s -> Bool? in
                        if let r = s.result { return r }
                        if Task.isCancelled { return false }
                        s.waiter = c
                        return nil
                    }
                    if let done { c.resume(returning: done) }
                }
            } onCancel: {
                let waiter = self.state.withLock { s -> CheckedContinuation<Bool, Never>? in
                    defer { s.waiter = nil }
                    return s.waiter
                }
                waiter?.resume(returning: false)
            }
        }
    }
}
