import CRdKafka
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Reads messages of a consumer group through librdkafka, at least once.
///
/// A dedicated poll thread takes batches from librdkafka (`rd_kafka_consume_batch_queue`) and
/// hands them to `messages` / `batches`; no blocking librdkafka call runs on Swift's cooperative
/// pool. The application marks what it has processed with `storeOffsets`; only stored offsets
/// are committed — periodically, on `commit()`, before revoked partitions go to another member,
/// and on `close()`. So a commit is never ahead of processing, and after a crash or a rebalance at
/// most the messages in flight are read again.
///
/// A jump in offsets (records removed before this group read them) is logged as an error with
/// the gap and counted in `kafka_consumer_offset_gap_messages_total`; see `offsetGaps`.
public final class KafkaConsumer: Service, Sendable {
    private let client: RDKafkaClient
    private let queue: SendableQueue
    private let buffer: ConsumerMessageBuffer
    private let loop: ConsumerPollLoop
    private let pollThread: PollThread
    private let logger: Logger
    private let lifecycle = Mutex<Lifecycle>(.created)

    private enum Lifecycle { case created, running, closing, closed }

    public init(configuration: KafkaConsumerConfiguration, logger: Logger) throws(KafkaError) {
        let buffer = ConsumerMessageBuffer(capacity: configuration.maxBufferedBatches)
        let loop = ConsumerPollLoop(
            buffer: buffer, maxBatch: max(1, configuration.maxBatchSize), gapCheck: configuration.offsetGapCheck,
            logger: logger)
        var callbacks = RDKafkaCallbacks()
        callbacks.statistics = configuration.client.statisticsHandler
        callbacks.rebalance = { rk, err, partitions in loop.rebalance(rk: rk, err: err, partitions: partitions) }
        self.client = try RDKafkaClient(
            kind: .consumer, properties: configuration.librdkafkaProperties, callbacks: callbacks, logger: logger)
        rd_kafka_poll_set_consumer(client.pointer)
        self.queue = SendableQueue(rd_kafka_queue_get_consumer(client.pointer)!)
        self.buffer = buffer
        self.loop = loop
        self.logger = logger
        let q = self.queue
        let clientRef = client  // kept alive by the poll thread while it runs
        self.pollThread = PollThread(name: "xiecha.kafka.consumer.poll") {
            loop.pollOnce(client: clientRef, queue: q.pointer, timeoutMs: 100)
        }
    }

    /// Joins the group and starts reading the topics.
    public func subscribe(topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError.from(err, code: .broker, context: "subscribe to \(topics)")
        }
        startPolling()
    }

    /// Reads the given partitions from the given offsets without group membership
    /// (`KafkaOffset` sentinels such as `KafkaOffset.beginning` are accepted). Offsets are still
    /// committed to the group on `commit()`.
    public func assign(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList.make(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(client.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, code: .broker, context: "assign") }
        loop.assignedManually(Set(offsets.keys))
        startPolling()
    }

    private func startPolling() {
        let start = lifecycle.withLock { l -> Bool in
            guard l == .created else { return false }
            l = .running
            return true
        }
        if start { pollThread.start() }
    }

    /// Messages one at a time. Iterate it from one task.
    public var messages: KafkaConsumerMessages { KafkaConsumerMessages(buffer: buffer) }

    /// Messages in the batches librdkafka returned. Iterate it from one task, and not together with `messages`.
    public var batches: KafkaConsumerBatches { KafkaConsumerBatches(buffer: buffer) }

    /// Marks messages as processed: the next commit covers them. Takes the highest offset per partition.
    public func storeOffsets(_ messages: some Sequence<KafkaConsumerMessage>) throws(KafkaError) {
        var next: [KafkaTopicPartition: Int64] = [:]
        var last: (topic: String, partition: Int32, offset: Int64)? = nil
        for m in messages {
            if let l = last, l.partition == m.partition, l.topic == m.topic {
                last = (m.topic, m.partition, max(l.offset, m.offset))
                continue
            }
            if let l = last {
                let tp = KafkaTopicPartition(topic: l.topic, partition: l.partition)
                next[tp] = max(next[tp] ?? -1, l.offset + 1)
            }
            last = (m.topic, m.partition, m.offset)
        }
        if let l = last {
            let tp = KafkaTopicPartition(topic: l.topic, partition: l.partition)
            next[tp] = max(next[tp] ?? -1, l.offset + 1)
        }
        try storeOffsets(next)
    }

    /// Marks offsets as processed; each value is the *next* offset to read, as Kafka commits it.
    public func storeOffsets(_ nextOffsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        guard !nextOffsets.isEmpty else { return }
        try lifecycle.withLock { l throws(KafkaError) in
            guard l == .running || l == .created else {
                throw KafkaError(code: .shutDown, message: "storeOffsets after the consumer was closed")
            }
            let list = RDKafkaTopicPartitionList.make(nextOffsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_offsets_store(client.pointer, list)
            loop.noteStored(nextOffsets)
            // Partitions revoked meanwhile report an error per partition: their messages will be
            // read again by the new owner, which is the at-least-once contract.
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION
                && err != RD_KAFKA_RESP_ERR__STATE
            {
                throw KafkaError.from(err, code: .commit, context: "store offsets")
            }
        }
    }

    /// Commits the stored offsets and waits for the broker's answer.
    public func commit() async throws(KafkaError) {
        let client = self.client
        try await client.runBlocking { () throws(KafkaError) in
            let err = rd_kafka_commit(client.pointer, nil, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError.from(err, code: .commit, context: "commit stored offsets")
            }
        }
    }

    /// The group's committed offsets for the given partitions (`-1001` = none).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws(KafkaError)
        -> [KafkaTopicPartition: Int64]
    {
        let client = self.client
        let ms = Int32(clamping: timeout.milliseconds)
        return try await client.runBlocking { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.invalid) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(client.pointer, list, ms)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.from(err, code: .broker, context: "fetch committed offsets") }
            var result: [KafkaTopicPartition: Int64] = [:]
            for (tp, offset, _) in RDKafkaTopicPartitionList.read(list) { result[tp] = offset }
            return result
        }
    }

    /// Moves the read position of assigned partitions (for replays). Buffered messages of those
    /// partitions are dropped; the gap check restarts from the new position.
    public func seek(_ offsets: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(10)) async throws(KafkaError) {
        let client = self.client
        let ms = Int32(clamping: timeout.milliseconds)
        let loop = self.loop
        let buffer = self.buffer
        try await client.runBlocking { () throws(KafkaError) in
            let list = RDKafkaTopicPartitionList.make(offsets.map { ($0.key, $0.value) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            loop.forget(Set(offsets.keys))
            buffer.remove(partitions: Set(offsets.keys))
            if let error = rd_kafka_seek_partitions(client.pointer, list, ms) {
                defer { rd_kafka_error_destroy(error) }
                throw KafkaError.from(error, code: .broker, context: "seek")
            }
            for (tp, _, err) in RDKafkaTopicPartitionList.read(list) where err != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError.from(err, code: .broker, context: "seek \(tp)")
            }
            buffer.remove(partitions: Set(offsets.keys))
        }
    }

    /// Partitions currently assigned to this member.
    public var assignment: Set<KafkaTopicPartition> { loop.currentAssignment }

    /// Every gap reported so far (see the type's documentation).
    public var offsetGaps: [KafkaOffsetGap] { loop.gaps }

    /// Stops reading and ends `messages`/`batches`, but keeps the client: the application can still
    /// store and commit the offsets of what it was processing, then `close()`. This is the first
    /// step of a graceful shutdown.
    public func stopReading() async {
        loop.stopRequested()
        await pollThread.stopIfStarted()
        buffer.finish()
    }

    /// Stops reading, commits the stored offsets, leaves the group (committing again for the
    /// revoked partitions) and destroys the client. Messages buffered but not processed are not
    /// committed. Idempotent.
    public func close() async {
        let proceed = lifecycle.withLock { l -> Bool in
            guard l == .running || l == .created else { return false }
            l = .closing
            return true
        }
        guard proceed else { return }
        loop.stopRequested()
        await pollThread.stopIfStarted()
        let client = self.client
        let queue = self.queue
        let logger = self.logger
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            client.blockingQueue.async {
                let err = rd_kafka_commit(client.pointer, nil, 0)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.error("final commit failed", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(err)))"])
                }
                rd_kafka_queue_destroy(queue.pointer)
                let closeErr = rd_kafka_consumer_close(client.pointer)
                if closeErr != RD_KAFKA_RESP_ERR_NO_ERROR {
                    logger.warning("consumer close: \(String(cString: rd_kafka_err2str(closeErr)))")
                }
                c.resume()
            }
        }
        buffer.finish()
        lifecycle.withLock { $0 = .closed }
        client.destroy()
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}

/// Special offsets librdkafka understands.
public enum KafkaOffset {
    public static let beginning: Int64 = -2
    public static let end: Int64 = -1
    public static let stored: Int64 = -1000
    public static let invalid: Int64 = -1001
}

/// `rd_kafka_queue_t` is thread-safe per librdkafka's documentation.
struct SendableQueue: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

extension PollThread {
    func stopIfStarted() async {
        if isRunning { await stop() }
    }
}

/// The poll thread's side of a consumer: converts librdkafka messages, checks offsets for gaps
/// and answers rebalances.
///
/// The decisions live in `ConsumerAssignmentStateMachine`, kept in a `Mutex`; this class only
/// performs the C calls the machine's actions ask for, always outside the lock, and reports their
/// results back. Its other mutable state (`scratch`) is only touched on the poll thread.
final class ConsumerPollLoop: Sendable {
    private let buffer: ConsumerMessageBuffer
    private let maxBatch: Int
    /// Also inside the machine; kept here so a consumer without the check takes no lock per batch.
    private let gapCheck: KafkaConsumerConfiguration.OffsetGapCheck
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let scratch: PollScratch
    private let machine: Mutex<ConsumerAssignmentStateMachine>

    init(buffer: ConsumerMessageBuffer, maxBatch: Int, gapCheck: KafkaConsumerConfiguration.OffsetGapCheck, logger: Logger) {
        self.buffer = buffer
        self.maxBatch = maxBatch
        self.gapCheck = gapCheck
        self.logger = logger
        self.scratch = PollScratch(capacity: maxBatch)
        self.machine = Mutex(ConsumerAssignmentStateMachine(gapCheck: gapCheck))
    }

    /// Ends the poll loop's waits: a poll thread blocked for buffer room returns at once.
    func stopRequested() {
        stopping.store(true, ordering: .releasing)
        buffer.stopWaitingForRoom()
    }

    var currentAssignment: Set<KafkaTopicPartition> { machine.withLock { $0.assignment } }
    var gaps: [KafkaOffsetGap] { machine.withLock { $0.gaps } }

    func noteStored(_ offsets: [KafkaTopicPartition: Int64]) {
        machine.withLock { $0.offsetsStored(offsets) }
    }

    func forget(_ partitions: Set<KafkaTopicPartition>) {
        machine.withLock { $0.seekRequested(partitions) }
    }

    func assignedManually(_ partitions: Set<KafkaTopicPartition>) {
        machine.withLock { $0.assignedManually(partitions) }
    }

    func pollOnce(client: RDKafkaClient, queue: OpaquePointer, timeoutMs: Int32) {
        // Back-pressure: take nothing more from librdkafka until the application has taken a batch.
        // Blocks this (dedicated) thread on a semaphore; `stopRequested` wakes it.
        guard buffer.waitForRoom() else { return }
        if stopping.load(ordering: .acquiring) { return }
        let n = scratch.messages.withUnsafeMutableBufferPointer { buf in
            rd_kafka_consume_batch_queue(queue, Int32(timeoutMs), buf.baseAddress, maxBatch)
        }
        guard n > 0 else { return }
        var batch: [KafkaConsumerMessage] = []
        batch.reserveCapacity(n)
        scratch.messages.withUnsafeMutableBufferPointer { buf in
            for i in 0..<n {
                guard let m = buf[i] else { continue }
                defer { rd_kafka_message_destroy(m) }
                if m.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    handleError(m)
                    continue
                }
                batch.append(convert(m))
            }
        }
        if gapCheck != .off { checkGaps(batch) }
        if !batch.isEmpty { _ = buffer.push(batch) }
    }

    private func convert(_ m: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerMessage {
        let msg = m.pointee
        let topic = scratch.topicName(msg.rkt)
        let key = msg.key.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.key_len)) }
        let value = msg.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: msg.len)) }
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer? = nil
        if rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var idx = 0
            var name: UnsafePointer<CChar>? = nil
            var val: UnsafeRawPointer? = nil
            var size = 0
            while rd_kafka_header_get_all(hdrs, idx, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let k = name.map { String(cString: $0) } ?? ""
                let v = val.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(key: k, value: v))
                idx += 1
            }
        }
        var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(m, &tsType)
        return KafkaConsumerMessage(
            topic: topic, partition: msg.partition, offset: msg.offset, key: key, value: value, headers: headers,
            timestampMs: tsType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts)
    }

    private func handleError(_ m: UnsafeMutablePointer<rd_kafka_message_t>) {
        let msg = m.pointee
        if msg.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return }
        let topic = msg.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "-"
        let text = String(cString: rd_kafka_err2str(msg.err))
        logger.error(
            "consumer error: \(text)",
            metadata: [
                "kafka.topic": "\(topic)", "kafka.partition": "\(msg.partition)",
                "kafka.error": "\(String(cString: rd_kafka_err2name(msg.err)))",
            ])
    }

    /// Runs the gap check on a batch; logs and counts what it found outside the lock.
    private func checkGaps(_ batch: [KafkaConsumerMessage]) {
        let found = machine.withLock { $0.messagesReceived(batch) }
        for gap in found {
            logger.error(
                "offset gap: records were removed from the log before this consumer read them",
                metadata: [
                    "kafka.topic": "\(gap.topicPartition.topic)", "kafka.partition": "\(gap.topicPartition.partition)",
                    "kafka.offset.expected": "\(gap.expectedOffset)", "kafka.offset.received": "\(gap.receivedOffset)",
                    "kafka.offset.missing": "\(gap.missingCount)",
                ])
            Counter(label: "kafka_consumer_offset_gap_messages_total", dimensions: [("topic", gap.topicPartition.topic)])
                .increment(by: Int(gap.missingCount))
        }
    }

    /// librdkafka's rebalance callback, on the poll thread (inside `rd_kafka_consume_batch_queue`).
    ///
    /// Kept thin: it reads the partition list, lets the state machine decide, and performs the
    /// actions. librdkafka requires the (un)assign before this returns, and the synchronous
    /// `rd_kafka_committed` / `rd_kafka_commit` must also happen here (after the return the
    /// partitions may already belong to another member); they block, which is fine on this
    /// dedicated thread and never reaches Swift's cooperative pool.
    func rebalance(rk: OpaquePointer, err: rd_kafka_resp_err_t, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        // NULL means librdkafka could not tell; only "COOPERATIVE" needs the incremental calls.
        let cooperative = rd_kafka_rebalance_protocol(rk).map { String(cString: $0) == "COOPERATIVE" } ?? false
        let tps = Set(RDKafkaTopicPartitionList.read(partitions).map { $0.0 })
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            let action: ConsumerAssignmentStateMachine.AssignAction
            switch machine.withLock({ $0.assignmentReceived(tps) }) {
            case .assign(let a):
                action = a
            case .fetchCommittedOffsets:
                let committed = Self.fetchCommitted(rk: rk, partitions: partitions)
                action = machine.withLock { $0.committedOffsetsFetched(committed) }
            }
            assign(rk: rk, partitions: partitions, action, cooperative: cooperative)
        } else {
            // Any other code (an error) is handled like a revocation: librdkafka asks to drop the assignment.
            let action = machine.withLock { $0.partitionsRevoked(tps, lost: rd_kafka_assignment_lost(rk) != 0) }
            buffer.remove(partitions: action.dropBuffered)
            let unassign: ConsumerAssignmentStateMachine.UnassignAction
            switch action.next {
            case .unassign(let u):
                unassign = u
            case .commitStoredOffsets:
                let e = rd_kafka_commit(rk, nil, 0)
                let ok = e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR__NO_OFFSET
                if !ok {
                    logger.warning(
                        "commit on revoke failed; those messages may be read again",
                        metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(e)))"])
                }
                unassign = machine.withLock { $0.commitOnRevokeFinished(success: ok) }
            }
            self.unassign(rk: rk, partitions: partitions, unassign, cooperative: cooperative)
        }
    }

    /// The group's committed offsets of the partitions in `partitions` (blocking, up to 10 s);
    /// partitions with an error are left out, and a failed lookup gives `[:]`.
    private static func fetchCommitted(
        rk: OpaquePointer, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> [KafkaTopicPartition: Int64] {
        guard let copy = rd_kafka_topic_partition_list_copy(partitions) else { return [:] }
        defer { rd_kafka_topic_partition_list_destroy(copy) }
        guard rd_kafka_committed(rk, copy, 10_000) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var committed: [KafkaTopicPartition: Int64] = [:]
        for (tp, offset, e) in RDKafkaTopicPartitionList.read(copy) where e == RD_KAFKA_RESP_ERR_NO_ERROR {
            committed[tp] = offset
        }
        return committed
    }

    private func assign(
        rk: OpaquePointer, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        _ action: ConsumerAssignmentStateMachine.AssignAction, cooperative: Bool
    ) {
        if !action.resumeAt.isEmpty {
            for i in 0..<Int(partitions.pointee.cnt) {
                let e = partitions.pointee.elems[i]
                let tp = KafkaTopicPartition(topic: String(cString: e.topic), partition: e.partition)
                if let offset = action.resumeAt[tp] { partitions.pointee.elems[i].offset = offset }
            }
        }
        if cooperative {
            if let e = rd_kafka_incremental_assign(rk, partitions) {
                logger.warning("incremental assign failed", metadata: ["kafka.error": "\(String(cString: rd_kafka_error_name(e)))"])
                rd_kafka_error_destroy(e)
            }
        } else {
            let e = rd_kafka_assign(rk, partitions)
            if e != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("assign failed", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(e)))"])
            }
        }
        if !action.offsetsToStore.isEmpty {
            let list = RDKafkaTopicPartitionList.make(action.offsetsToStore.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            _ = rd_kafka_offsets_store(rk, list)
            rd_kafka_topic_partition_list_destroy(list)
            logger.warning(
                "resuming at processed offsets the group had not committed",
                metadata: ["kafka.partitions": "\(action.resumeAt.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" })"])
        }
        logger.info("partitions assigned", metadata: ["kafka.partitions": "\(action.partitions.sorted().map(\.description))"])
    }

    private func unassign(
        rk: OpaquePointer, partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        _ action: ConsumerAssignmentStateMachine.UnassignAction, cooperative: Bool
    ) {
        if cooperative {
            if let e = rd_kafka_incremental_unassign(rk, partitions) {
                logger.warning("incremental unassign failed", metadata: ["kafka.error": "\(String(cString: rd_kafka_error_name(e)))"])
                rd_kafka_error_destroy(e)
            }
        } else {
            let e = rd_kafka_assign(rk, nil)
            if e != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("unassign failed", metadata: ["kafka.error": "\(String(cString: rd_kafka_err2name(e)))"])
            }
        }
        var metadata: Logger.Metadata = ["kafka.partitions": "\(action.partitions.sorted().map(\.description))"]
        if !action.keptUncommitted.isEmpty {
            // Used if these partitions come back before another member commits further.
            metadata["kafka.offsets.uncommitted"] =
                "\(action.keptUncommitted.sorted { $0.key < $1.key }.map { "\($0.key)@\($0.value)" })"
        }
        logger.info("partitions revoked", metadata: metadata)
    }
}

/// Scratch space owned by the poll thread alone (hence `@unchecked Sendable`).
final class PollScratch: @unchecked Sendable {
    var messages: [UnsafeMutablePointer<rd_kafka_message_t>?]
    private var topicNames: [OpaquePointer: String] = [:]
    private var lastTopic: (OpaquePointer, String)? = nil

    init(capacity: Int) { messages = Array(repeating: nil, count: capacity) }

    func topicName(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        if let last = lastTopic, last.0 == rkt { return last.1 }
        let name: String
        if let cached = topicNames[rkt] {
            name = cached
        } else {
            name = String(cString: rd_kafka_topic_name(rkt))
            topicNames[rkt] = name
        }
        lastTopic = (rkt, name)
        return name
    }
}
