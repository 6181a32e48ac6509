import Foundation

/// Runs a blocking native call off Swift's cooperative thread pool and awaits its result.
///
/// Each call gets a serial queue of its own; such queues are served by GCD's overcommitting
/// threads, so 64 concurrent calls that wait on the network take 64 threads for about one
/// round trip, instead of queueing behind the few cooperative threads. If the awaiting task is
/// cancelled, it gets `CancellationError` at once; the native call runs to its end in the
/// background, and `work` (which copies out and frees what the call returned) drops its value.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
    let handoff = Handoff<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            guard handoff.install(continuation) else { return }
            DispatchQueue(label: "com.ovok.call").async {
                handoff.resume(with: .success(work()))
            }
        }
    } onCancel: {
        handoff.resume(with: .failure(CancellationError()))
    }
}

/// Resumes a continuation exactly once: with the call's result or with a cancellation,
/// whichever comes first, even when cancellation comes before the continuation exists.
private final class Handoff<T: Sendable>: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var cancelled = false
    private var resumed = false

    /// Returns false (and resumes with `CancellationError`) if the task is already cancelled.
    func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        lock.lock()
        if cancelled {
            resumed = true
            lock.unlock()
            continuation.resume(throwing: CancellationError())
            return false
        }
        self.continuation = continuation
        lock.unlock()
        return true
    }

    func resume(with result: Result<T, any Error>) {
        lock.lock()
        if case .failure = result, continuation == nil, !resumed { cancelled = true }
        guard !resumed, let continuation else {
            lock.unlock()
            return
        }
        resumed = true
        self.continuation = nil
        lock.unlock()
        continuation.resume(with: result)
    }
}
