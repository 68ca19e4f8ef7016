/// What a `KafkaConsumer` knows about its partitions, and what to do when the group rebalances.
///
/// Pure: no librdkafka call, no lock, no log. `ConsumerPollLoop` keeps it in a `Mutex`, asks it
/// for an action on every rebalance callback, performs the action's C calls *outside* the lock
/// (some of them block on the broker), and reports their results back as transitions. So every
/// decision of a rebalance — what to commit, where to resume, what to store, what the gap check
/// expects — can be tested without a broker.
///
/// librdkafka serves the rebalance callback on the consumer's poll thread, one at a time, and the
/// callback finishes each rebalance before it returns. So at most one rebalance is in progress,
/// which `phase` tracks:
///
/// ```
/// .stable ──assignmentReceived──▶ .assigning ──committedOffsetsFetched──▶ .stable
///    │  (no offsets needed: assigns at once, stays .stable)
///    └────partitionsRevoked─────▶ .revoking  ──commitOnRevokeFinished───▶ .stable
///       (assignment lost: nothing to commit, unassigns at once, stays .stable)
/// ```
///
/// The other transitions (`offsetsStored`, `assignedManually`, `seekRequested`,
/// `messagesReceived`) are valid in every phase: the application stores offsets from its own
/// task while a rebalance is running.
struct ConsumerAssignmentStateMachine: Sendable {
    typealias GapCheck = KafkaConsumerConfiguration.OffsetGapCheck

    /// Where the current rebalance is.
    enum Phase: Hashable, Sendable {
        /// No rebalance in progress.
        case stable
        /// Partitions were assigned; waiting for the group's committed offsets of them.
        case assigning(Set<KafkaTopicPartition>)
        /// Partitions are being revoked; waiting for the result of the commit that precedes the unassign.
        case revoking(Set<KafkaTopicPartition>)
    }

    let gapCheck: GapCheck
    private(set) var phase: Phase = .stable
    /// Partitions currently assigned to this member. Revoked partitions stay in it until they are
    /// unassigned, so offsets the application stores meanwhile still count for the commit on revoke.
    private(set) var assignment: Set<KafkaTopicPartition> = []
    /// Next offset the gap check expects per partition; absent = unknown (the next message is not checked).
    private(set) var expected: [KafkaTopicPartition: Int64] = [:]
    /// The highest next-offset the application stored, per assigned partition.
    private(set) var stored: [KafkaTopicPartition: Int64] = [:]
    /// Processed (stored) offsets of partitions that left this member without being committed —
    /// the broker refused the commit on revoke, or the assignment was lost. If such a partition
    /// comes back and the group's commit is behind it, reading resumes there instead of re-reading.
    private(set) var uncommitted: [KafkaTopicPartition: Int64] = [:]
    /// Every gap found so far.
    private(set) var gaps: [KafkaOffsetGap] = []

    init(gapCheck: GapCheck) {
        self.gapCheck = gapCheck
    }

    // MARK: Assignment

    /// What the rebalance callback does with newly assigned partitions.
    enum AssignmentReceivedAction: Hashable, Sendable {
        /// Ask the group coordinator for these partitions' committed offsets (`rd_kafka_committed`,
        /// which blocks; fine on the poll thread), then call `committedOffsetsFetched`.
        case fetchCommittedOffsets(Set<KafkaTopicPartition>)
        /// Nothing to look up: perform the assignment now.
        case assign(AssignAction)
    }

    /// How to assign partitions (`rd_kafka_assign` or `rd_kafka_incremental_assign`).
    struct AssignAction: Hashable, Sendable {
        /// The partitions assigned.
        var partitions: Set<KafkaTopicPartition>
        /// Start offsets to write into librdkafka's partition list before assigning: this member
        /// processed these partitions further than the group committed (its commit was refused
        /// or the assignment lost), so it resumes where processing stopped instead of re-reading.
        var resumeAt: [KafkaTopicPartition: Int64]
        /// Offsets to store (`rd_kafka_offsets_store`) after assigning, so the next commit records
        /// the processing done before. The machine counts them as stored already.
        var offsetsToStore: [KafkaTopicPartition: Int64]
    }

    /// The group assigned `partitions` to this member (`RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS`).
    ///
    /// The committed offsets are needed only by the gap check and to decide whether a returning
    /// partition resumes at its uncommitted processed offset; otherwise no broker call is made.
    mutating func assignmentReceived(_ partitions: Set<KafkaTopicPartition>) -> AssignmentReceivedAction {
        precondition(phase == .stable, "assignment received while a rebalance is in progress: \(phase)")
        let returning = partitions.contains { uncommitted[$0] != nil }
        if gapCheck != .off || returning {
            phase = .assigning(partitions)
            return .fetchCommittedOffsets(partitions)
        }
        return .assign(completeAssignment(partitions, committed: [:]))
    }

    /// The committed offsets of the partitions being assigned, per partition. Partitions the
    /// broker reported an error for are absent; pass `[:]` when the lookup failed altogether.
    /// `KafkaOffset.invalid` (`-1001`) means the group has no commit for that partition.
    mutating func committedOffsetsFetched(_ committed: [KafkaTopicPartition: Int64]) -> AssignAction {
        guard case .assigning(let partitions) = phase else {
            preconditionFailure("committed offsets reported outside an assignment: \(phase)")
        }
        phase = .stable
        return completeAssignment(partitions, committed: committed)
    }

    private mutating func completeAssignment(
        _ partitions: Set<KafkaTopicPartition>, committed: [KafkaTopicPartition: Int64]
    ) -> AssignAction {
        var resumeAt: [KafkaTopicPartition: Int64] = [:]
        for p in partitions {
            var start = committed[p]
            // If the lookup failed, resuming at our processed offset can only re-read what another
            // member processed meanwhile (duplicates), never skip anything.
            if let ours = uncommitted[p], ours > (start ?? -1) {
                resumeAt[p] = ours
                start = ours
            }
            uncommitted[p] = nil
            if gapCheck != .off, let start, start >= 0 { expected[p] = start } else { expected[p] = nil }
        }
        assignment.formUnion(partitions)
        for (p, offset) in resumeAt { stored[p] = max(stored[p] ?? -1, offset) }
        return AssignAction(partitions: partitions, resumeAt: resumeAt, offsetsToStore: resumeAt)
    }

    /// The application assigned partitions itself (`KafkaConsumer.assign`), with explicit start
    /// offsets: there is no group commit to compare the first message with, so no gap expectation.
    mutating func assignedManually(_ partitions: Set<KafkaTopicPartition>) {
        assignment.formUnion(partitions)
        for p in partitions { expected[p] = nil }
    }

    // MARK: Revocation

    /// What the rebalance callback does with revoked partitions.
    struct RevokeAction: Hashable, Sendable {
        /// Drop the buffered, not yet handed out messages of these partitions first: their next
        /// owner reads them, and processing them here would only make duplicates.
        var dropBuffered: Set<KafkaTopicPartition>
        var next: Next

        enum Next: Hashable, Sendable {
            /// Commit the stored offsets (`rd_kafka_commit`, synchronous) so the next owner starts
            /// after what was processed here; then report with `commitOnRevokeFinished(success:)`.
            case commitStoredOffsets
            /// Unassign now, without committing.
            case unassign(UnassignAction)
        }
    }

    /// How to unassign partitions (`rd_kafka_assign(nil)` or `rd_kafka_incremental_unassign`).
    struct UnassignAction: Hashable, Sendable {
        /// The partitions unassigned.
        var partitions: Set<KafkaTopicPartition>
        /// Processed offsets that were not committed, kept in case the partitions come back.
        var keptUncommitted: [KafkaTopicPartition: Int64]
    }

    /// The group revoked `partitions` (`RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS`). `lost` is
    /// `rd_kafka_assignment_lost`: the group already gave them to another member (session timeout,
    /// `max.poll.interval.ms` exceeded), so committing would be refused or could overwrite the new
    /// owner's commit; nothing is committed.
    mutating func partitionsRevoked(_ partitions: Set<KafkaTopicPartition>, lost: Bool) -> RevokeAction {
        precondition(phase == .stable, "partitions revoked while a rebalance is in progress: \(phase)")
        if lost {
            return RevokeAction(dropBuffered: partitions, next: .unassign(completeRevocation(partitions, committed: false)))
        }
        phase = .revoking(partitions)
        return RevokeAction(dropBuffered: partitions, next: .commitStoredOffsets)
    }

    /// The commit before the unassign finished; `success` also when there was nothing to commit.
    mutating func commitOnRevokeFinished(success: Bool) -> UnassignAction {
        guard case .revoking(let partitions) = phase else {
            preconditionFailure("commit on revoke reported outside a revocation: \(phase)")
        }
        phase = .stable
        return completeRevocation(partitions, committed: success)
    }

    private mutating func completeRevocation(_ partitions: Set<KafkaTopicPartition>, committed: Bool) -> UnassignAction {
        var kept: [KafkaTopicPartition: Int64] = [:]
        assignment.subtract(partitions)
        for p in partitions {
            expected[p] = nil
            if !committed, let offset = stored[p] { kept[p] = offset }
            stored[p] = nil
        }
        uncommitted.merge(kept) { $1 }
        return UnassignAction(partitions: partitions, keptUncommitted: kept)
    }

    // MARK: Offsets and positions

    /// The application stored these next-offsets (`KafkaConsumer.storeOffsets`). Only assigned
    /// partitions count: librdkafka refuses to store for the others, and their new owner commits them.
    mutating func offsetsStored(_ offsets: [KafkaTopicPartition: Int64]) {
        for (p, offset) in offsets where assignment.contains(p) { stored[p] = max(stored[p] ?? -1, offset) }
    }

    /// The application moved the read position (`KafkaConsumer.seek`): the next message of these
    /// partitions is not compared with what came before.
    mutating func seekRequested(_ partitions: Set<KafkaTopicPartition>) {
        for p in partitions { expected[p] = nil }
    }

    /// Checks a batch from the poll thread for jumps in offsets and returns the new gaps (also
    /// added to `gaps`). Compares each run of same-partition messages with the expected next offset,
    /// and, for `.everyMessage`, consecutive messages with each other.
    mutating func messagesReceived(_ batch: [KafkaConsumerMessage]) -> [KafkaOffsetGap] {
        guard gapCheck != .off, !batch.isEmpty else { return [] }
        var found: [KafkaOffsetGap] = []
        var i = 0
        while i < batch.count {
            let first = batch[i]
            var j = i + 1
            var lastOffset = first.offset
            while j < batch.count, batch[j].partition == first.partition, batch[j].topic == first.topic {
                if gapCheck == .everyMessage, batch[j].offset > lastOffset + 1 {
                    found.append(
                        KafkaOffsetGap(
                            topicPartition: first.topicPartition, expectedOffset: lastOffset + 1,
                            receivedOffset: batch[j].offset))
                }
                lastOffset = batch[j].offset
                j += 1
            }
            let tp = first.topicPartition
            if let expected = expected[tp], first.offset > expected {
                found.append(KafkaOffsetGap(topicPartition: tp, expectedOffset: expected, receivedOffset: first.offset))
            }
            expected[tp] = gapCheck == .everyMessage ? lastOffset + 1 : nil
            i = j
        }
        gaps.append(contentsOf: found)
        return found
    }
}
