import ServiceLifecycle

/// The value of `task`, or `nil` as soon as a graceful shutdown is requested (the task is then
/// cancelled but not waited for).
///
/// For work that blocks in a C call with a timeout, which cancellation cannot interrupt: a service
/// waiting for it would hold up the whole process's shutdown for that long.
func valueUnlessGracefulShutdown<T: Sendable>(_ task: Task<T, any Error>) async throws -> T? {
    let (outcomes, continuation) = AsyncStream<Result<T, any Error>?>.makeStream()
    let waiter = Task {
        continuation.yield(await task.result)
        continuation.finish()
    }
    defer { waiter.cancel() }
    return try await withGracefulShutdownHandler {
        for await outcome in outcomes {
            guard let outcome else { return nil }
            return try outcome.get()
        }
        return nil
    } onGracefulShutdown: {
        task.cancel()
        continuation.yield(nil)
        continuation.finish()
    }
}
