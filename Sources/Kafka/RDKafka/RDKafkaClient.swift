import CRdKafka
import Foundation
import Logging
import Synchronization

/// Callbacks a client wants from librdkafka. They run on librdkafka's threads or on the
/// client's own poll thread, never on Swift's cooperative pool, and must only buffer.
struct RDKafkaCallbacks: Sendable {
    var delivery: (@Sendable (UnsafePointer<rd_kafka_message_t>) -> Void)? = nil
    var rebalance: (@Sendable (OpaquePointer, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Void)? = nil
    var statistics: (@Sendable (KafkaStatistics) -> Void)? = nil
}

/// What librdkafka's C callbacks reach through `rd_kafka_opaque`. Owned by `RDKafkaClient`,
/// which destroys the `rd_kafka_t` before releasing it, so the pointer never dangles.
final class RDKafkaClientContext: Sendable {
    let logger: Logger
    let callbacks: RDKafkaCallbacks
    init(logger: Logger, callbacks: RDKafkaCallbacks) {
        self.logger = logger
        self.callbacks = callbacks
    }
}

/// Owner of one `rd_kafka_t`. librdkafka documents `rd_kafka_t` as thread-safe, which is why
/// this class may be `@unchecked Sendable`; `destroy` is idempotent.
final class RDKafkaClient: @unchecked Sendable {
    let pointer: OpaquePointer
    let context: RDKafkaClientContext
    let logger: Logger
    private let destroyed = Mutex(false)
    /// Serial queue for librdkafka calls that block (commit, flush, committed, watermarks …).
    let blockingQueue: DispatchQueue

    enum Kind { case producer, consumer }

    init(kind: Kind, properties: [(String, String)], callbacks: RDKafkaCallbacks, logger: Logger) throws(KafkaError) {
        let conf = rd_kafka_conf_new()!
        var handedOver = false
        defer { if !handedOver { rd_kafka_conf_destroy(conf) } }
        var errstr = [CChar](repeating: 0, count: 512)
        for (name, value) in properties {
            let result = rd_kafka_conf_set(conf, name, value, &errstr, errstr.count)
            if result != RD_KAFKA_CONF_OK {
                let detail = errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                throw KafkaError(
                    code: .configuration,
                    message: "librdkafka property '\(name)' rejected: \(detail.isEmpty ? "unknown property" : detail)"
                )
            }
        }
        let context = RDKafkaClientContext(logger: logger, callbacks: callbacks)
        // Unretained: `self.context` keeps it alive, and `destroy` runs before `self` goes away.
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, buf in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let context = Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = buf.map { String(cString: $0) } ?? ""
            let source = facility.map { String(cString: $0) } ?? "rdkafka"
            context.logger.log(level: Logger.Level(syslogLevel: level), "\(text)", metadata: nil, source: "rdkafka." + source)
        }
        rd_kafka_conf_set_error_cb(conf) { rk, err, reason, _ in
            guard let rk, let opaque = rd_kafka_opaque(rk) else { return }
            let context = Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
            let text = reason.map { String(cString: $0) } ?? ""
            let name = String(cString: rd_kafka_err2name(rd_kafka_resp_err_t(err)))
            let level: Logger.Level = err == RD_KAFKA_RESP_ERR__FATAL.rawValue ? .critical : .warning
            context.logger.log(level: level, "librdkafka error: \(text)", metadata: ["kafka.error": "\(name)"])
        }
        if callbacks.statistics != nil {
            rd_kafka_conf_set_stats_cb(conf) { rk, json, length, _ in
                guard let rk, let json, let opaque = rd_kafka_opaque(rk) else { return 0 }
                let context = Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
                let bytes = UnsafeRawBufferPointer(start: json, count: length)
                context.callbacks.statistics?(KafkaStatistics(json: Array(bytes)))
                return 0  // librdkafka frees the JSON
            }
        }
        if callbacks.delivery != nil {
            rd_kafka_conf_set_dr_msg_cb(conf) { rk, message, _ in
                guard let rk, let message, let opaque = rd_kafka_opaque(rk) else { return }
                let context = Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
                context.callbacks.delivery?(message)
            }
        }
        if callbacks.rebalance != nil {
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, _ in
                guard let rk, let partitions, let opaque = rd_kafka_opaque(rk) else { return }
                let context = Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
                context.callbacks.rebalance?(rk, err, partitions)
            }
        }
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let rk = rd_kafka_new(type, conf, &errstr, errstr.count) else {
            throw KafkaError(code: .clientCreation, message: "rd_kafka_new failed: \(errstr.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })")
        }
        handedOver = true  // rd_kafka_new owns the conf on success
        self.pointer = rk
        self.context = context
        self.logger = logger
        self.blockingQueue = DispatchQueue(label: "xiecha.kafka.blocking")
        logger.debug("librdkafka client created", metadata: ["kafka.librdkafka": "\(RDKafkaClient.version)"])
    }

    /// librdkafka's version string, logged at start-up by the workers.
    static var version: String { String(cString: rd_kafka_version_str()) }

    var isDestroyed: Bool { destroyed.withLock { $0 } }

    /// Destroys the handle once; later calls do nothing.
    func destroy() {
        let first = destroyed.withLock { d -> Bool in
            defer { d = true }
            return !d
        }
        if first { rd_kafka_destroy(pointer) }
    }

    deinit { destroy() }

    /// Runs a blocking librdkafka call on the client's serial queue, off the cooperative pool.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            blockingQueue.async {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Metadata for all topics or one, on the blocking queue's caller thread (call inside `runBlocking`).
    func topicMetadata(topic: String?, timeoutMs: Int32) throws(KafkaError) -> [String: Int32] {
        var metadata: UnsafePointer<rd_kafka_metadata>?
        var topicHandle: OpaquePointer?
        if let topic { topicHandle = rd_kafka_topic_new(pointer, topic, nil) }
        defer { if let topicHandle { rd_kafka_topic_destroy(topicHandle) } }
        let err = rd_kafka_metadata(pointer, topic == nil ? 1 : 0, topicHandle, &metadata, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError.from(err, code: .broker, context: "metadata request")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        var result: [String: Int32] = [:]
        for i in 0..<Int(metadata.pointee.topic_cnt) {
            let t = metadata.pointee.topics[i]
            let name = String(cString: t.topic)
            if t.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if topic != nil { throw KafkaError.from(t.err, code: .unknownTopic, context: "metadata for topic '\(name)'") }
                continue
            }
            result[name] = t.partition_cnt
        }
        return result
    }
}

extension Logger.Level {
    init(syslogLevel level: Int32) {
        switch level {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}
