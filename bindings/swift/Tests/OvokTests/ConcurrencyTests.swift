import Foundation
import Testing
import Ovok

/// Counts how many calls are in flight at once, and the most ever seen.
private final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var peak = 0

    func enter() {
        lock.lock()
        current += 1
        peak = max(peak, current)
        lock.unlock()
    }

    func leave() {
        lock.lock()
        current -= 1
        lock.unlock()
    }

    var highest: Int {
        lock.lock()
        defer { lock.unlock() }
        return peak
    }
}

@Suite struct ConcurrencyTests {
    /// If the blocking calls held Swift's cooperative threads (one per core), at most `cores` calls
    /// could be in flight and 64 calls would take 64 / cores latencies. Off the pool, all 64 wait
    /// together. The assertions leave wide room for a loaded machine: more calls in flight than
    /// there are cores, and a total under half of what the blocked pool would need.
    @Test func sixtyFourConcurrentLoginsOverlap() async throws {
        let client = try OvokClient(baseURL: Servers.slowEmulator)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let latency = Double(Servers.slowMilliseconds) / 1000
        let inFlight = InFlight()
        let started = Date()
        let profiles = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<64 {
                group.addTask {
                    inFlight.enter()
                    defer { inFlight.leave() }
                    return try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
                        .profile.reference
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(profiles == Array(repeating: Demo.profileReference, count: 64))
        #expect(elapsed >= latency)
        #expect(inFlight.highest > cores, "at most \(inFlight.highest) calls in flight on \(cores) cores")
        let blockedPool = 64 * latency / Double(cores)
        #expect(elapsed < blockedPool / 2, "64 logins took \(elapsed) s; a blocked pool needs \(blockedPool) s")
    }

    @Test func aCancelledLoginThrowsCancellationErrorAtOnce() async throws {
        // The fake server holds the connection for 45 s; the client would time out after 30.
        let client = try OvokClient(baseURL: Servers.fake.appendingPathComponent("hang"))
        let task = Task { try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        try await Task.sleep(nanoseconds: 200_000_000)
        let cancelled = Date()
        task.cancel()
        let outcome = await task.result
        #expect(Date().timeIntervalSince(cancelled) < 10)
        #expect(throws: CancellationError.self) { try outcome.get() }
    }

    @Test func aTaskCancelledBeforeTheCallNeverStartsIt() async throws {
        let client = try OvokClient(baseURL: Servers.emulator)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.refresh(refreshToken: "never-sent")
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func cancelledCallsFinishInTheBackgroundAndTheClientStaysUsable() async throws {
        let client = try OvokClient(baseURL: Servers.slowEmulator)
        let tasks = (0..<16).map { _ in
            Task { try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        }
        for task in tasks { task.cancel() }
        for task in tasks {
            // Each ends either cancelled or, if it finished first, with a result.
            if case .failure(let error) = await task.result { #expect(error is CancellationError) }
        }
        let result = try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        #expect(result.profile.reference == Demo.profileReference)
    }
}
