import Testing

@testable import Kafka

/// The consumer's rebalance decisions, without a broker: each test drives the machine the way
/// the rebalance callback and the application would, and checks the actions it returns.
@Suite("Consumer assignment state machine")
struct ConsumerAssignmentStateMachineTests {
    typealias Machine = ConsumerAssignmentStateMachine

    let p0 = KafkaTopicPartition(topic: "t", partition: 0)
    let p1 = KafkaTopicPartition(topic: "t", partition: 1)
    let p2 = KafkaTopicPartition(topic: "t", partition: 2)
    let other = KafkaTopicPartition(topic: "u", partition: 0)

    /// Runs an assignment through to its `AssignAction`, answering a committed-offsets lookup
    /// with `committed` if the machine asks for one.
    func assign(
        _ m: inout Machine, _ partitions: Set<KafkaTopicPartition>, committed: [KafkaTopicPartition: Int64] = [:]
    ) -> (action: Machine.AssignAction, fetched: Bool) {
        switch m.assignmentReceived(partitions) {
        case .assign(let action):
            return (action, false)
        case .fetchCommittedOffsets(let asked):
            #expect(asked == partitions)
            #expect(m.phase == .assigning(partitions))
            return (m.committedOffsetsFetched(committed), true)
        }
    }

    /// Runs a revocation through to its `UnassignAction`; `commitSucceeds` answers the commit if
    /// the machine asks for one (`nil` = it must not ask).
    func revoke(
        _ m: inout Machine, _ partitions: Set<KafkaTopicPartition>, lost: Bool = false, commitSucceeds: Bool?
    ) -> Machine.UnassignAction? {
        let action = m.partitionsRevoked(partitions, lost: lost)
        #expect(action.dropBuffered == partitions, "buffered messages of revoked partitions are dropped")
        switch action.next {
        case .unassign(let u):
            #expect(commitSucceeds == nil, "expected a commit before the unassign")
            return u
        case .commitStoredOffsets:
            #expect(m.phase == .revoking(partitions))
            guard let commitSucceeds else {
                Issue.record("the machine asked for a commit it should not make")
                return nil
            }
            return m.commitOnRevokeFinished(success: commitSucceeds)
        }
    }

    func message(_ tp: KafkaTopicPartition, _ offset: Int64) -> KafkaConsumerMessage {
        KafkaConsumerMessage(
            topic: tp.topic, partition: tp.partition, offset: offset, key: nil, value: [], headers: [], timestampMs: nil)
    }

    func messages(_ tp: KafkaTopicPartition, _ offsets: some Sequence<Int64>) -> [KafkaConsumerMessage] {
        offsets.map { message(tp, $0) }
    }

    @Test("Assign, store, revoke with the commit accepted: nothing is kept for later")
    func assignStoreRevokeCommitted() {
        var m = Machine(gapCheck: .everyMessage)
        let (assigned, fetched) = assign(&m, [p0, p1], committed: [p0: 10, p1: KafkaOffset.invalid])
        #expect(fetched, "the gap check needs the committed offsets")
        #expect(assigned == Machine.AssignAction(partitions: [p0, p1], resumeAt: [:], offsetsToStore: [:]))
        #expect(m.phase == .stable)
        #expect(m.assignment == [p0, p1])

        m.offsetsStored([p0: 15])
        m.offsetsStored([p0: 12])  // older than what was stored: the highest wins
        m.offsetsStored([p1: 3])
        #expect(m.stored == [p0: 15, p1: 3])

        let action = m.partitionsRevoked([p0], lost: false)
        #expect(action == Machine.RevokeAction(dropBuffered: [p0], next: .commitStoredOffsets))
        #expect(m.assignment == [p0, p1], "revoked partitions stay assigned until the commit is done")
        m.offsetsStored([p0: 16])  // the application stores while the commit runs: still counts
        #expect(m.stored[p0] == 16)

        let unassign = m.commitOnRevokeFinished(success: true)
        #expect(unassign == Machine.UnassignAction(partitions: [p0], keptUncommitted: [:]))
        #expect(m.phase == .stable)
        #expect(m.assignment == [p1])
        #expect(m.stored == [p1: 3])
        #expect(m.uncommitted.isEmpty)
        #expect(m.expected[p0] == nil)
    }

    @Test("Commit refused on revoke; the partition comes back and resumes at the processed offset, which is stored")
    func commitRefusedThenReturns() {
        var m = Machine(gapCheck: .off)
        let (first, fetchedFirst) = assign(&m, [p0, p1])
        #expect(!fetchedFirst, "no gap check and nothing uncommitted: no broker lookup")
        #expect(first.resumeAt.isEmpty)
        m.offsetsStored([p0: 40, p1: 7])

        let unassign = revoke(&m, [p0, p1], commitSucceeds: false)
        #expect(unassign == Machine.UnassignAction(partitions: [p0, p1], keptUncommitted: [p0: 40, p1: 7]))
        #expect(m.assignment.isEmpty)
        #expect(m.stored.isEmpty)
        #expect(m.uncommitted == [p0: 40, p1: 7])

        // p0 comes back; the group's commit (25) is behind what this member processed (40).
        let (back, fetched) = assign(&m, [p0], committed: [p0: 25])
        #expect(fetched, "a returning partition with uncommitted progress needs the committed offset")
        #expect(back == Machine.AssignAction(partitions: [p0], resumeAt: [p0: 40], offsetsToStore: [p0: 40]))
        #expect(m.stored[p0] == 40, "the resumed offset counts as stored, so the next commit records it")
        #expect(m.uncommitted == [p1: 7], "only the returning partition's progress is used up")
        #expect(m.expected[p0] == nil, "no expectations without the gap check")
    }

    @Test("A returning partition whose group commit went further meanwhile starts at the commit")
    func returningBehindGroupCommit() {
        var m = Machine(gapCheck: .afterAssignment)
        _ = assign(&m, [p0], committed: [p0: 0])
        m.offsetsStored([p0: 40])
        _ = revoke(&m, [p0], commitSucceeds: false)
        // Another member processed up to 60 and committed it.
        let (back, _) = assign(&m, [p0], committed: [p0: 60])
        #expect(back.resumeAt.isEmpty)
        #expect(back.offsetsToStore.isEmpty)
        #expect(m.stored[p0] == nil)
        #expect(m.uncommitted.isEmpty)
        #expect(m.expected[p0] == 60)
    }

    @Test("If the committed-offset lookup fails, a returning partition resumes at its processed offset")
    func returningLookupFailed() {
        var m = Machine(gapCheck: .everyMessage)
        _ = assign(&m, [p0], committed: [p0: 5])
        m.offsetsStored([p0: 40])
        _ = revoke(&m, [p0], commitSucceeds: false)
        let (back, fetched) = assign(&m, [p0], committed: [:])
        #expect(fetched)
        #expect(back.resumeAt == [p0: 40])
        #expect(m.expected[p0] == 40, "the gap check starts from where reading resumes")
    }

    @Test("A lost assignment is not committed; its processed offsets are kept for a return")
    func lostAssignment() {
        var m = Machine(gapCheck: .everyMessage)
        _ = assign(&m, [p0, p1], committed: [p0: 0, p1: 0])
        m.offsetsStored([p0: 12])
        let action = m.partitionsRevoked([p0, p1], lost: true)
        #expect(
            action
                == Machine.RevokeAction(
                    dropBuffered: [p0, p1],
                    next: .unassign(Machine.UnassignAction(partitions: [p0, p1], keptUncommitted: [p0: 12]))))
        #expect(m.phase == .stable, "nothing to wait for")
        #expect(m.assignment.isEmpty)
        #expect(m.expected.isEmpty)
        #expect(m.uncommitted == [p0: 12])

        let (back, _) = assign(&m, [p0, p1], committed: [p0: 0, p1: 0])
        #expect(back.resumeAt == [p0: 12])
        #expect(m.expected == [p0: 12, p1: 0])
    }

    @Test("A refused commit on revoke with nothing stored keeps nothing")
    func revokeNothingStored() {
        var m = Machine(gapCheck: .off)
        _ = assign(&m, [p0])
        let unassign = revoke(&m, [p0], commitSucceeds: false)
        #expect(unassign?.keptUncommitted == [:], "nothing processed, nothing to keep")
        #expect(m.uncommitted.isEmpty)
    }

    @Test("Cooperative rebalancing assigns and revokes subsets; the rest keeps its state")
    func incrementalSubsets() {
        var m = Machine(gapCheck: .everyMessage)
        _ = assign(&m, [p0, p1], committed: [p0: 100, p1: 200])
        _ = m.messagesReceived(messages(p0, 100..<110))
        m.offsetsStored([p0: 105, p1: 201])

        // An incremental assignment adds p2 and leaves p0/p1 alone.
        let (added, _) = assign(&m, [p2], committed: [p2: 7])
        #expect(added.partitions == [p2])
        #expect(m.assignment == [p0, p1, p2])
        #expect(m.expected == [p0: 110, p1: 200, p2: 7])
        #expect(m.stored == [p0: 105, p1: 201])

        // An incremental revocation takes p1 only.
        let unassign = revoke(&m, [p1], commitSucceeds: true)
        #expect(unassign?.partitions == [p1])
        #expect(m.assignment == [p0, p2])
        #expect(m.stored == [p0: 105])
        #expect(m.expected == [p0: 110, p2: 7])

        // p0 keeps its expectation across the rebalance: a jump is still found.
        let gaps = m.messagesReceived(messages(p0, [115]))
        #expect(gaps == [KafkaOffsetGap(topicPartition: p0, expectedOffset: 110, receivedOffset: 115)])
    }

    @Test("Offsets stored for partitions not assigned are ignored")
    func storeUnassignedIgnored() {
        var m = Machine(gapCheck: .off)
        m.offsetsStored([p0: 5])
        #expect(m.stored.isEmpty, "nothing assigned yet")
        _ = assign(&m, [p0])
        m.offsetsStored([p0: 6, other: 9])
        #expect(m.stored == [p0: 6])
        _ = revoke(&m, [p0], commitSucceeds: true)
        m.offsetsStored([p0: 8])  // a late store from a batch in flight during the revoke
        #expect(m.stored.isEmpty)
        #expect(m.uncommitted.isEmpty, "a late store never becomes a resume point")
    }

    @Test("Stores during a committed-offsets lookup do not count: the partition is not assigned yet")
    func storeDuringAssignLookup() {
        var m = Machine(gapCheck: .everyMessage)
        #expect(m.assignmentReceived([p0]) == .fetchCommittedOffsets([p0]))
        m.offsetsStored([p0: 3])
        #expect(m.assignment.isEmpty)
        _ = m.committedOffsetsFetched([p0: 0])
        #expect(m.stored.isEmpty)
        #expect(m.assignment == [p0])
    }

    @Test("Gap-check expectations come from committed offsets only when the check is on")
    func expectationsFollowGapCheck() {
        var off = Machine(gapCheck: .off)
        let (_, fetchedOff) = assign(&off, [p0, p1], committed: [p0: 10, p1: 20])
        #expect(!fetchedOff)
        #expect(off.expected.isEmpty)
        #expect(off.messagesReceived(messages(p0, [50, 90])).isEmpty, "the check is off")
        #expect(off.gaps.isEmpty)

        for check in [Machine.GapCheck.afterAssignment, .everyMessage] {
            var m = Machine(gapCheck: check)
            let (_, fetched) = assign(&m, [p0, p1, p2], committed: [p0: 10, p1: KafkaOffset.invalid])
            #expect(fetched)
            // No commit (-1001) or no answer for the partition: no expectation.
            #expect(m.expected == [p0: 10], "\(check)")
        }
    }

    @Test("After assignment, only the first message of a partition is compared with the commit")
    func afterAssignmentCheck() {
        var m = Machine(gapCheck: .afterAssignment)
        _ = assign(&m, [p0, p1], committed: [p0: 100, p1: 5])
        let gaps = m.messagesReceived(messages(p0, [250, 251, 300]) + messages(p1, [5, 6]))
        #expect(gaps == [KafkaOffsetGap(topicPartition: p0, expectedOffset: 100, receivedOffset: 250)])
        #expect(gaps.first?.missingCount == 150)
        #expect(m.expected.isEmpty, "after the first message nothing is expected")
        #expect(m.messagesReceived(messages(p0, [400])).isEmpty)
        #expect(m.gaps == gaps)
    }

    @Test("Every message: jumps inside a batch and between batches are found")
    func everyMessageCheck() {
        var m = Machine(gapCheck: .everyMessage)
        _ = assign(&m, [p0, p1], committed: [p0: 0, p1: 0])
        let first = m.messagesReceived(messages(p0, [0, 1, 5, 6]) + messages(p1, [0, 1]))
        #expect(first == [KafkaOffsetGap(topicPartition: p0, expectedOffset: 2, receivedOffset: 5)])
        #expect(m.expected == [p0: 7, p1: 2])
        let second = m.messagesReceived(messages(p1, [2, 3]) + messages(p0, [9]))
        #expect(second == [KafkaOffsetGap(topicPartition: p0, expectedOffset: 7, receivedOffset: 9)])
        #expect(m.gaps == first + second)
        // Going back (a replay) is not a gap.
        #expect(m.messagesReceived(messages(p0, [3, 4])).isEmpty)
    }

    @Test("Seek and manual assignment clear the expectation; the next message is not compared")
    func seekAndManualAssign() {
        var m = Machine(gapCheck: .everyMessage)
        _ = assign(&m, [p0], committed: [p0: 10])
        m.seekRequested([p0])
        #expect(m.expected[p0] == nil)
        #expect(m.messagesReceived(messages(p0, [500, 501])).isEmpty)
        #expect(m.expected[p0] == 502)

        var manual = Machine(gapCheck: .everyMessage)
        manual.assignedManually([p0, p1])
        #expect(manual.assignment == [p0, p1])
        #expect(manual.expected.isEmpty)
        manual.offsetsStored([p1: 4])
        #expect(manual.stored == [p1: 4], "manually assigned partitions store offsets too")
        #expect(manual.phase == .stable)
    }

    @Test("A rebalance may not start while another is in progress")
    func overlappingRebalanceIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            var m = ConsumerAssignmentStateMachine(gapCheck: .off)
            _ = m.partitionsRevoked([KafkaTopicPartition(topic: "t", partition: 0)], lost: false)
            _ = m.assignmentReceived([KafkaTopicPartition(topic: "t", partition: 1)])
        }
        await #expect(processExitsWith: .failure) {
            var m = ConsumerAssignmentStateMachine(gapCheck: .off)
            _ = m.commitOnRevokeFinished(success: true)
        }
    }
}
