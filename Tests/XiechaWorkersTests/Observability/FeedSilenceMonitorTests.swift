import Testing

@testable import XiechaWorkers

@Suite struct FeedSilenceMonitorTests {
    /// Silent once the window has passed without records (said once), speaking again at the next
    /// record (said once), silent again after another full window.
    @Test func turnsSilentAndResumesOnceEach() {
        let start = ContinuousClock.now
        let monitor = FeedSilenceMonitor(window: .seconds(3600), start: start)
        #expect(monitor.check(at: start + .seconds(3600)) == nil)  // not longer than the window yet
        #expect(monitor.recordsArrived(at: start + .seconds(1800)) == nil)
        #expect(monitor.check(at: start + .seconds(5400)) == nil)
        #expect(monitor.check(at: start + .seconds(5401)) == .turnedSilent(since: start + .seconds(1800)))
        #expect(monitor.check(at: start + .seconds(9000)) == nil)  // already reported
        #expect(monitor.recordsArrived(at: start + .seconds(9001)) == .resumed)
        #expect(monitor.recordsArrived(at: start + .seconds(9002)) == nil)
        #expect(monitor.check(at: start + .seconds(12_602)) == nil)
        #expect(monitor.check(at: start + .seconds(12_603)) == .turnedSilent(since: start + .seconds(9002)))
    }
}
