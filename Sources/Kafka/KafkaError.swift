import CRdKafka

/// The one error type of the Kafka module.
///
/// It carries what an operator needs to act: a stable `code`, librdkafka's own error name when
/// there is one, and a message naming the property, topic or broker concerned.
public struct KafkaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a small extensible set of codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String
        /// A configuration property is unknown or has an invalid value.
        public static let configuration = Code(rawValue: "configuration")
        /// librdkafka could not create a client.
        public static let clientCreation = Code(rawValue: "client_creation")
        /// A message could not be delivered (timeout, authorisation, unknown topic, …).
        public static let delivery = Code(rawValue: "delivery")
        /// The broker rejected or failed a request.
        public static let broker = Code(rawValue: "broker")
        /// The broker does not implement the request (e.g. the embedded mock cluster has no CreateTopics).
        public static let unsupportedByBroker = Code(rawValue: "unsupported_by_broker")
        /// A blocking call ran out of time.
        public static let timedOut = Code(rawValue: "timed_out")
        /// The client was already shut down.
        public static let shutDown = Code(rawValue: "shut_down")
        /// Committing offsets failed.
        public static let commit = Code(rawValue: "commit")
        /// The embedded (mock) cluster could not do what was asked.
        public static let embeddedCluster = Code(rawValue: "embedded_cluster")
        /// A topic does not exist.
        public static let unknownTopic = Code(rawValue: "unknown_topic")
        public var description: String { rawValue }
    }

    public var code: Code
    /// librdkafka's error code, when the error came from librdkafka.
    public var rdKafkaCode: Int32?
    public var message: String
    /// librdkafka says the client cannot continue (e.g. idempotent producer fenced).
    public var isFatal: Bool
    /// Retrying the same operation may succeed.
    public var isRetriable: Bool

    public init(code: Code, message: String, rdKafkaCode: Int32? = nil, isFatal: Bool = false, isRetriable: Bool = false) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
        self.isFatal = isFatal
        self.isRetriable = isRetriable
    }

    /// librdkafka's symbolic name of `rdKafkaCode`, e.g. `_MSG_TIMED_OUT`, `TOPIC_AUTHORIZATION_FAILED`.
    public var rdKafkaErrorName: String? {
        rdKafkaCode.map { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t($0))) }
    }

    public var description: String {
        var s = "KafkaError(\(code)): \(message)"
        if let name = rdKafkaErrorName { s += " [\(name)]" }
        return s
    }

    static func from(_ err: rd_kafka_resp_err_t, code: Code, context: String) -> KafkaError {
        let text = String(cString: rd_kafka_err2str(err))
        var c = code
        if err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE || err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION
            || err == RD_KAFKA_RESP_ERR_INVALID_REQUEST
        {
            c = .unsupportedByBroker
        } else if err == RD_KAFKA_RESP_ERR__TIMED_OUT {
            c = code == .delivery ? .delivery : .timedOut
        } else if err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
            code != .delivery
        {
            c = .unknownTopic
        }
        return KafkaError(
            code: c, message: "\(context): \(text)", rdKafkaCode: err.rawValue,
            isFatal: err == RD_KAFKA_RESP_ERR__FATAL,
            isRetriable: err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT
                || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION
                || err == RD_KAFKA_RESP_ERR__QUEUE_FULL || err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS
        )
    }

    static func from(_ error: OpaquePointer, code: Code, context: String) -> KafkaError {
        // rd_kafka_error_t: caller destroys.
        let err = rd_kafka_error_code(error)
        var e = KafkaError.from(err, code: code, context: context + ": " + String(cString: rd_kafka_error_string(error)))
        e.isFatal = rd_kafka_error_is_fatal(error) != 0
        e.isRetriable = rd_kafka_error_is_retriable(error) != 0
        return e
    }
}
