import Dispatch
import GRDB
import GRDBSQLite
import Logging
import Synchronization

/// Copies a WAL-mode database's write-ahead log back into the database file on a connection and thread of its own.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold: that commit reads every new WAL
/// frame, writes it into the database file and fsyncs both files before it returns, so the one writer connection
/// (the crosscheck worker's critical path) stops for it. Here the writer's WAL hook only asks for a checkpoint once
/// the log holds `backgroundFrames` pages; a passive checkpoint then runs on this object's own connection (a passive
/// checkpoint never blocks the writer or readers), and the writer goes on appending.
///
/// If the background falls behind and the log reaches `foregroundFrames` pages, the committing connection checkpoints
/// itself, as SQLite would, so the WAL cannot grow without bound.
final class SQLiteWALCheckpointer: Sendable {
    /// Log size (pages) at which a background checkpoint is requested.
    let backgroundFrames: Int32
    /// Log size (pages) at which the committing connection checkpoints itself.
    let foregroundFrames: Int32
    private let path: String
    /// Its own connection, opened at the first checkpoint (after the writer has put the file in WAL mode); used
    /// only on `queue`.
    private let connection = Mutex<DatabaseQueue?>(nil)
    private let logger: Logger
    private let storeName: String
    /// A checkpoint is queued and has not started yet.
    private let pending = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "xiecha-store.checkpoint", qos: .utility)
    /// Background checkpoints that completed (tests read it).
    private let completed = Atomic<Int>(0)

    init(path: String, storeName: String, backgroundFrames: Int32, foregroundFrames: Int32, logger: Logger) {
        self.path = path
        self.backgroundFrames = backgroundFrames
        self.foregroundFrames = foregroundFrames
        self.logger = logger
        self.storeName = storeName
    }

    /// Installs the WAL hook on the writer connection `db`. The checkpointer must outlive the connection.
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, sqliteWALHook, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Called by SQLite on the writer's thread after each commit, with the number of pages now in the log.
    fileprivate func logGrew(to frames: Int32, connection: OpaquePointer?) {
        if frames >= foregroundFrames {
            // The background is behind: checkpoint here, as wal_autocheckpoint would.
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        } else if frames >= backgroundFrames {
            request()
        }
    }

    /// Queues a background checkpoint unless one is already waiting on the (serial) queue; a request that comes
    /// while one runs queues the next.
    func request() {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async {
            self.pending.store(false, ordering: .releasing)
            do {
                try self.checkpoint()
                self.completed.wrappingAdd(1, ordering: .relaxed)
            } catch {
                // The writer's foreground checkpoint still bounds the log; say why this one failed.
                self.logger.warning(
                    "background WAL checkpoint failed",
                    metadata: ["xiecha.store": "\(self.storeName)", "error": "\(error)"]
                )
            }
        }
    }

    private func checkpoint() throws {
        let db = try connection.withLock { c -> DatabaseQueue in
            if let c { return c }
            var config = Configuration()
            config.label = "xiecha-store.checkpoint"
            let opened = try DatabaseQueue(path: path, configuration: config)
            c = opened
            return opened
        }
        _ = try db.writeWithoutTransaction { db in try db.checkpoint(.passive) }
    }

    /// Background checkpoints completed so far.
    var completedCheckpoints: Int { completed.load(ordering: .relaxed) }

    /// Returns once every checkpoint requested so far has run.
    func idle() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in queue.async { c.resume() } }
    }

    /// Waits for a running checkpoint, then closes the connection. Call after the writer is closed.
    func close() throws {
        queue.sync {}
        try connection.withLock { c in
            try c?.close()
            c = nil
        }
    }
}

private func sqliteWALHook(
    _ context: UnsafeMutableRawPointer?, _ db: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ frames: Int32
) -> Int32 {
    if let context {
        Unmanaged<SQLiteWALCheckpointer>.fromOpaque(context).takeUnretainedValue().logGrew(to: frames, connection: db)
    }
    return SQLITE_OK
}
