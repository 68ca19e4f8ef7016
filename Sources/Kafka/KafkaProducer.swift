import CRdKafka
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Sends messages to Kafka through librdkafka.
///
/// `send` only enqueues (it waits for room when librdkafka's local queue is full) and is cheap
/// enough for a million messages a second; `sendAndAwait` also waits for the broker's
/// acknowledgement and returns where the message was stored. `awaitDeliveries()` is the barrier a
/// worker uses before committing its input offsets: it returns when every message sent so far
/// is acknowledged, and throws if any of them failed.
///
/// A dedicated thread polls librdkafka for delivery reports; no librdkafka call that blocks runs
/// on Swift's cooperative pool. `shutdown()` flushes everything already accepted before it
/// destroys the client. As a `Service`, it shuts down on graceful shutdown.
public final class KafkaProducer: Service, Sendable {
    private let client: RDKafkaClient
    private let tracker: DeliveryTracker
    private let pollThread: PollThread
    private let configuration: KafkaProducerConfiguration
    private let logger: Logger
    /// Set once by `shutdown()`; read for every message sent.
    private let isShutDown = Atomic<Bool>(false)

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        let tracker = DeliveryTracker()
        var callbacks = RDKafkaCallbacks()
        callbacks.delivery = { message in tracker.handle(message) }
        callbacks.statistics = configuration.client.statisticsHandler
        self.client = try RDKafkaClient(
            kind: .producer, properties: configuration.librdkafkaProperties, callbacks: callbacks, logger: logger)
        self.tracker = tracker
        self.configuration = configuration
        self.logger = logger
        let clientRef = client  // the poll thread keeps the client alive while it polls
        self.pollThread = PollThread(name: "xiecha.kafka.producer.poll") {
            // Served delivery reports have been destroyed by the time rd_kafka_poll returns, so
            // their room in librdkafka's queue is free now: wake senders waiting for it.
            if rd_kafka_poll(clientRef.pointer, 50) > 0 { tracker.queueSpaceMayHaveFreed() }
        }
        pollThread.start()
    }

    /// Enqueues a message for delivery. Waits (without blocking a thread) while librdkafka's
    /// local queue is full, until the poll thread has served delivery reports that free room, or
    /// until shutdown. Failures of the delivery itself surface in `awaitDeliveries()`.
    public func send(_ message: KafkaProducerMessage) async throws(KafkaError) {
        while true {
            let generation = tracker.queueSpaceGeneration
            let err = enqueue(message, opaque: nil)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                await tracker.waitForQueueSpace(after: generation)
                continue
            }
            throw KafkaError.from(err, code: .delivery, context: "enqueue to topic '\(message.topic)'")
        }
    }

    /// Enqueues a message like `send`, counted in `group`: its delivery (or failure) is reported
    /// to the group, not to `awaitDeliveries()`. Per-key order is call order, as for `send`.
    public func send(_ message: KafkaProducerMessage, in group: KafkaDeliveryGroup) async throws(KafkaError) {
        while true {
            let generation = tracker.queueSpaceGeneration
            group.willSend()
            // Retained for librdkafka; released by the delivery callback, or right here on failure.
            let opaque = Unmanaged.passRetained(group).toOpaque()
            let err = enqueue(message, opaque: opaque)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            Unmanaged<KafkaDeliveryGroup>.fromOpaque(opaque).release()
            group.finished(nil)
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                await tracker.waitForQueueSpace(after: generation)
                continue
            }
            throw KafkaError.from(err, code: .delivery, context: "enqueue to topic '\(message.topic)'")
        }
    }

    /// Sends a message and waits for the broker's acknowledgement.
    public func sendAndAwait(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        try await sendWithReceipt(message).report()
    }

    /// Enqueues a message like `send`, and returns a receipt whose `report()` waits for the
    /// broker's acknowledgement. Messages are enqueued in call order, so per-key order holds
    /// even when the receipts are awaited later or concurrently.
    public func sendWithReceipt(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReceipt {
        let receipt = KafkaDeliveryReceipt()
        while true {
            let generation = tracker.queueSpaceGeneration
            // Retained for librdkafka; released by the delivery callback, or right here on failure.
            let opaque = Unmanaged.passRetained(receipt).toOpaque()
            let err = enqueue(message, opaque: opaque)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return receipt }
            Unmanaged<KafkaDeliveryReceipt>.fromOpaque(opaque).release()
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {
                await tracker.waitForQueueSpace(after: generation)
                continue
            }
            throw KafkaError.from(err, code: .delivery, context: "enqueue to topic '\(message.topic)'")
        }
    }

    private func enqueue(_ message: KafkaProducerMessage, opaque: UnsafeMutableRawPointer?) -> rd_kafka_resp_err_t {
        if isShutDown.load(ordering: .acquiring) { return RD_KAFKA_RESP_ERR__DESTROY }
        var headers: OpaquePointer? = nil
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for h in message.headers {
                if let v = h.value {
                    v.withUnsafeBytes { _ = rd_kafka_header_add(headers, h.key, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, h.key, -1, nil, 0)
                }
            }
        }
        tracker.willSend()
        let partition = message.partition ?? RD_KAFKA_PARTITION_UA
        let err = withOptionalBytes(message.key) { keyPtr, keyLen in
            withOptionalBytes(message.value) { valuePtr, valueLen in
                xiecha_produce(
                    client.pointer, message.topic, partition, keyPtr, keyLen, valuePtr, valueLen, headers,
                    message.timestampMs ?? 0, opaque)
            }
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            tracker.didNotSend()
            if let headers { rd_kafka_headers_destroy(headers) }
        }
        return err
    }

    /// Waits until every message sent so far has been acknowledged or has failed, and throws
    /// the failures (if any) that happened since the previous call.
    public func awaitDeliveries() async throws(KafkaDeliveryFailures) {
        await tracker.waitForNoneInFlight()
        let failures = tracker.takeFailures()
        if !failures.isEmpty { throw KafkaDeliveryFailures(failures: failures) }
    }

    /// Messages sent but not yet acknowledged.
    public var inFlightCount: Int { tracker.inFlight }

    /// Waits until librdkafka's queue is empty or `timeout` passes (`rd_kafka_flush`).
    public func flush(timeout: Duration) async throws(KafkaError) {
        let client = self.client
        let tracker = self.tracker
        let ms = Int32(clamping: timeout.milliseconds)
        try await client.runBlocking { () throws(KafkaError) in
            let rk = client.pointer
            let err = rd_kafka_flush(rk, ms)
            // rd_kafka_flush serves delivery reports itself, so the poll thread may not have seen them.
            tracker.queueSpaceMayHaveFreed()
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.from(err, code: .timedOut, context: "flush: \(rd_kafka_outq_len(rk)) messages still queued")
            }
        }
    }

    /// Flushes what was accepted (up to `shutdownFlushTimeout`), fails whatever could not be
    /// delivered in time, stops polling and destroys the client. Idempotent.
    public func shutdown() async {
        if isShutDown.exchange(true, ordering: .acquiringAndReleasing) { return }
        // Senders waiting for queue space retry now; their enqueue fails (`__DESTROY`) from here on.
        tracker.queueSpaceMayHaveFreed()
        let client = self.client
        let ms = Int32(clamping: configuration.shutdownFlushTimeout.milliseconds)
        let logger = self.logger
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            client.blockingQueue.async {
                let rk = client.pointer
                if rd_kafka_flush(rk, ms) != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.error(
                        "producer shutdown: messages not delivered in time; failing them",
                        metadata: ["kafka.queued": "\(rd_kafka_outq_len(rk))"])
                    rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                    rd_kafka_poll(rk, 100)
                }
                c.resume()
            }
        }
        await pollThread.stop()
        client.destroy()
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// The librdkafka version linked, e.g. `2.0.2`.
    public static var librdkafkaVersion: String { RDKafkaClient.version }
}

/// Several delivery failures, reported together by `awaitDeliveries()`.
public struct KafkaDeliveryFailures: Error, Sendable, CustomStringConvertible {
    public var failures: [KafkaDeliveryFailure]
    public var description: String {
        "\(failures.count) message(s) not delivered; first: \(failures.first.map { "\($0)" } ?? "-")"
    }
}

func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count) }
}

/// The promise of one message's delivery report, from `KafkaProducer.sendWithReceipt`.
public final class KafkaDeliveryReceipt: Sendable {
    private enum State {
        case pending([CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>])
        case done(Result<KafkaDeliveryReport, KafkaError>)
    }
    private let state = Mutex(State.pending([]))

    init() {}

    /// Waits for the broker's acknowledgement: where the message was stored, or why it was not.
    public func report() async throws(KafkaError) -> KafkaDeliveryReport {
        let result: Result<KafkaDeliveryReport, KafkaError> = await withCheckedContinuation { c in
            let done = state.withLock { s -> Result<KafkaDeliveryReport, KafkaError>? in
                switch s {
                case .done(let r): return r
                case .pending(var waiters):
                    waiters.append(c)
                    s = .pending(waiters)
                    return nil
                }
            }
            if let done { c.resume(returning: done) }
        }
        return try result.get()
    }

    func complete(_ result: Result<KafkaDeliveryReport, KafkaError>) {
        let waiters = state.withLock { s -> [CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>] in
            guard case .pending(let w) = s else { return [] }
            s = .done(result)
            return w
        }
        for w in waiters { w.resume(returning: result) }
    }
}

/// Counts messages in flight and collects failures; called from librdkafka's delivery callback.
final class DeliveryTracker: Sendable {
    private struct State {
        var failures: [KafkaDeliveryFailure] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    /// Messages enqueued and not yet reported. An atomic, not part of `state`: the sending task and
    /// librdkafka's poll thread change it for every message, and a shared lock made them wait on
    /// each other; the lock is taken only when the count reaches zero or a delivery fails.
    private let count = Atomic<Int>(0)
    private let state = Mutex(State())
    /// Bumped whenever room may have become free in librdkafka's producer queue (delivery reports
    /// served and destroyed, a flush, shutdown). A sender reads it *before* an enqueue that finds
    /// the queue full and waits for it to change, so room freed between the two is never missed.
    /// Its own lock, not `state`'s: `queueSpaceMayHaveFreed` runs once per poll, not per message.
    private let spaceGeneration = Atomic<UInt64>(0)
    private let spaceWaiters = Mutex<[CheckedContinuation<Void, Never>]>([])

    var inFlight: Int { count.load(ordering: .sequentiallyConsistent) }

    func willSend() { count.wrappingAdd(1, ordering: .sequentiallyConsistent) }

    func didNotSend() { finished(failure: nil) }

    func handle(_ message: UnsafePointer<rd_kafka_message_t>) {
        let m = message.pointee
        // The topic name is a C string; it is turned into a Swift String only when someone reads it.
        func topic() -> String { m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?" }
        var failure: KafkaDeliveryFailure? = nil
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let name = topic()
            failure = KafkaDeliveryFailure(
                topic: name, partition: m.partition,
                error: KafkaError.from(m.err, code: .delivery, context: "delivery to topic '\(name)'"))
        }
        if let opaque = m._private {
            let owner = Unmanaged<AnyObject>.fromOpaque(opaque).takeRetainedValue()
            if let group = owner as? KafkaDeliveryGroup {
                group.finished(failure)
            } else if let receipt = owner as? KafkaDeliveryReceipt {
                if let failure {
                    receipt.complete(.failure(failure.error))
                } else {
                    receipt.complete(.success(KafkaDeliveryReport(topic: topic(), partition: m.partition, offset: m.offset)))
                }
            }
            // Awaited and grouped messages report their failure to their owner; the barrier reports the rest.
            failure = nil
        }
        finished(failure: failure)
    }

    /// One message left the in-flight count; wakes the barrier's waiters when none is left.
    private func finished(failure: KafkaDeliveryFailure?) {
        let remaining = count.wrappingSubtract(1, ordering: .sequentiallyConsistent).newValue
        guard remaining == 0 || failure != nil else { return }
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if let failure { s.failures.append(failure) }
            // Read again under the lock: a message sent meanwhile keeps the waiters waiting for its report.
            guard !s.waiters.isEmpty, count.load(ordering: .sequentiallyConsistent) == 0 else { return [] }
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    func waitForNoneInFlight() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                if count.load(ordering: .sequentiallyConsistent) == 0 { return true }
                s.waiters.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    var queueSpaceGeneration: UInt64 { spaceGeneration.load(ordering: .acquiring) }

    /// Wakes every sender waiting in `waitForQueueSpace`. Called on the poll thread after
    /// `rd_kafka_poll` served events, after a flush and at shutdown.
    func queueSpaceMayHaveFreed() {
        spaceGeneration.wrappingAdd(1, ordering: .releasing)
        let waiters = spaceWaiters.withLock { w -> [CheckedContinuation<Void, Never>] in
            defer { w = [] }
            return w
        }
        for w in waiters { w.resume() }
    }

    /// Waits until `queueSpaceGeneration` differs from `generation` (read before the enqueue
    /// that found librdkafka's queue full). Not cancellable, like the retry loop it replaces:
    /// queued messages are delivered or time out (`message.timeout.ms`), which always frees room.
    func waitForQueueSpace(after generation: UInt64) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            // Checked under the lock `queueSpaceMayHaveFreed` drains: a bump before this check is
            // seen here, a bump after it finds this waiter in the list.
            let ready = spaceWaiters.withLock { w -> Bool in
                if spaceGeneration.load(ordering: .acquiring) != generation { return true }
                w.append(c)
                return false
            }
            if ready { c.resume() }
        }
    }

    func takeFailures() -> [KafkaDeliveryFailure] {
        state.withLock { s in
            defer { s.failures = [] }
            return s.failures
        }
    }
}
