import Foundation
import Testing
import Ovok

/// A store that records every save, and can be told to fail.
private final class RecordingStore: TokenStore, @unchecked Sendable {
    private let lock = NSLock()
    private var tokens: StoredTokens?
    private var saves: [StoredTokens?] = []
    private var failLoads: Bool

    init(_ tokens: StoredTokens? = nil, failLoads: Bool = false) {
        self.tokens = tokens
        self.failLoads = failLoads
    }

    func load() throws -> StoredTokens? {
        lock.lock()
        defer { lock.unlock() }
        if failLoads { throw TestFailure("the keychain is locked") }
        return tokens
    }

    func save(_ tokens: StoredTokens?) throws {
        lock.lock()
        defer { lock.unlock() }
        self.tokens = tokens
        saves.append(tokens)
    }

    func unlock() {
        lock.lock()
        failLoads = false
        lock.unlock()
    }

    var saved: [StoredTokens?] {
        lock.lock()
        defer { lock.unlock() }
        return saves
    }
}

/// Serialized, and the tests that count refreshes use the slow emulator, which no other suite
/// sends refreshes to: the counts stay exact even when suites run in parallel. The slow
/// emulator's latency also keeps the one refresh in flight while all tasks ask.
@Suite(.serialized) struct SessionTests {
    let client: OvokClient
    /// Against `Servers.slowEmulator`, whose `refreshRequests` only this suite moves.
    let counted: OvokClient

    init() throws {
        client = try OvokClient(baseURL: Servers.emulator)
        counted = try OvokClient(baseURL: Servers.slowEmulator)
    }

    /// Tokens from a fresh login, stored as an app would have stored them, already expired.
    private func expiredTokens(from client: OvokClient? = nil) async throws -> StoredTokens {
        let client = client ?? self.client
        let login = try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        return StoredTokens(
            refreshToken: try #require(login.refreshToken),
            accessToken: login.accessToken,
            // Whole seconds, as the core keeps them, so that stored and saved tokens compare equal.
            expiresAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 60)
        )
    }

    @Test func loginSavesTheTokensAndAccessTokenReturnsThem() async throws {
        let store = InMemoryTokenStore()
        let session = OvokSession(client: client, store: store)
        let login = try await session.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        let stored = try #require(try store.load())
        #expect(stored.refreshToken == login.refreshToken)
        #expect(stored.accessToken == login.accessToken)
        #expect(stored.expiresAt != nil)
        #expect(try await session.accessToken() == login.accessToken)
        #expect(!"\(stored)".contains(stored.refreshToken))
    }

    @Test func thirtyTwoTasksOnAnExpiredSessionCauseOneRefresh() async throws {
        let expired = try await expiredTokens(from: counted)
        let store = InMemoryTokenStore(expired)
        let session = OvokSession(client: counted, store: store)
        let before = try refreshRequests(Servers.slowEmulator)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try await session.accessToken() } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(try refreshRequests(Servers.slowEmulator) - before == 1)
        #expect(tokens.count == 1)
        #expect(tokens.first != expired.accessToken)
        let stored = try #require(try store.load())
        #expect(stored.accessToken == tokens.first)
        #expect(stored.refreshToken != expired.refreshToken)
    }

    @Test func aSessionRestoredFromARefreshTokenAloneRefreshesFirst() async throws {
        let expired = try await expiredTokens(from: counted)
        let store = InMemoryTokenStore(StoredTokens(refreshToken: expired.refreshToken))
        let session = OvokSession(client: counted, store: store)
        let before = try refreshRequests(Servers.slowEmulator)
        let token = try await session.accessToken()
        #expect(try refreshRequests(Servers.slowEmulator) - before == 1)
        #expect(try meStatus(Servers.slowEmulator, accessToken: token) == 200)
        #expect(try store.load()?.accessToken == token)
    }

    @Test func aSessionRestoredWithAValidAccessTokenUsesIt() async throws {
        let login = try await counted.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        let store = InMemoryTokenStore(StoredTokens(
            refreshToken: try #require(login.refreshToken), accessToken: login.accessToken, expiresAt: login.expiresAt
        ))
        let session = OvokSession(client: counted, store: store)
        let before = try refreshRequests(Servers.slowEmulator)
        #expect(try await session.accessToken() == login.accessToken)
        #expect(try refreshRequests(Servers.slowEmulator) == before)
        session.invalidate()
        let renewed = try await session.accessToken()
        #expect(renewed != login.accessToken)
        #expect(try refreshRequests(Servers.slowEmulator) - before == 1)
    }

    @Test func thirtyTwoTasksRejectedWithOneTokenCauseOneRefresh() async throws {
        let login = try await counted.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        let store = InMemoryTokenStore(StoredTokens(
            refreshToken: try #require(login.refreshToken), accessToken: login.accessToken, expiresAt: login.expiresAt
        ))
        let session = OvokSession(client: counted, store: store)
        let old = try await session.accessToken()
        let before = try refreshRequests(Servers.slowEmulator)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    session.invalidate(rejectedToken: old)
                    return try await session.accessToken()
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(try refreshRequests(Servers.slowEmulator) - before == 1)
        #expect(tokens.count == 1)
        #expect(tokens.first != old)
        // The old token again, a stranger, one with a NUL: all ignored.
        let current = try #require(tokens.first)
        for ignored in [old, "elsewhere", current + "\0"] {
            session.invalidate(rejectedToken: ignored)
            #expect(try await session.accessToken() == current)
        }
        #expect(try refreshRequests(Servers.slowEmulator) - before == 1)
    }

    @Test func logoutClearsTheStoreAndRevokesTheToken() async throws {
        let store = RecordingStore()
        let session = OvokSession(client: client, store: store)
        _ = try await session.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        let token = try await session.accessToken()
        #expect(try meStatus(Servers.emulator, accessToken: token) == 200)
        try await session.logout()
        #expect(try store.load() == nil)
        #expect(store.saved.last == .some(nil))
        #expect(try meStatus(Servers.emulator, accessToken: token) == 401)
        await #expect { try await session.accessToken() } throws: { ($0 as? OvokError)?.status == .loginRequired }
    }

    @Test func aRefusedRefreshIsLoginRequiredAndEmptiesTheStore() async throws {
        let expired = try await expiredTokens()
        // Spend the refresh token elsewhere, so that the server refuses it.
        _ = try await client.refresh(refreshToken: expired.refreshToken)
        let store = RecordingStore(expired)
        let session = OvokSession(client: client, store: store)
        await #expect { try await session.accessToken() } throws: { error in
            let error = error as? OvokError
            return error?.status == .loginRequired && error?.message.isEmpty == false
        }
        #expect(try store.load() == nil)
        #expect(store.saved.last == .some(nil))
    }

    @Test func aSessionThatNeverLoggedInIsLoginRequired() async throws {
        let session = OvokSession(client: client)
        await #expect { try await session.accessToken() } throws: { ($0 as? OvokError)?.status == .loginRequired }
        let empty = OvokSession(client: client, store: InMemoryTokenStore())
        await #expect { try await empty.accessToken() } throws: { ($0 as? OvokError)?.status == .loginRequired }
    }

    @Test func aStoreThatCannotBeReadIsAnErrorNotASignOut() async throws {
        let expired = try await expiredTokens()
        let store = RecordingStore(expired, failLoads: true)
        let session = OvokSession(client: client, store: store)
        await #expect { try await session.accessToken() } throws: { $0 is TestFailure }
        #expect(store.saved.isEmpty)
        store.unlock()
        let token = try await session.accessToken()
        #expect(token != expired.accessToken)
        #expect(try store.load()?.accessToken == token)
    }

    @Test func anUnreachableServerKeepsTheStoredTokens() async throws {
        let expired = try await expiredTokens()
        let store = RecordingStore(expired)
        let offline = OvokSession(client: try OvokClient(baseURL: URL(string: "http://127.0.0.1:1")), store: store)
        await #expect { try await offline.accessToken() } throws: { ($0 as? OvokError)?.status == .connection }
        #expect(try store.load() == expired)
        // The same tokens still work against the server.
        let online = OvokSession(client: client, store: store)
        _ = try await online.accessToken()
    }

    @Test func aCancelledAccessTokenCallThrowsCancellationError() async throws {
        // The refresh goes to a server that never answers, so it is in flight when cancelled.
        let hanging = try OvokClient(baseURL: Servers.fake.appendingPathComponent("hang"))
        let store = RecordingStore(try await expiredTokens())
        let session = OvokSession(client: hanging, store: store)
        let task = Task { try await session.accessToken() }
        try await Task.sleep(nanoseconds: 200_000_000)
        let cancelled = Date()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Date().timeIntervalSince(cancelled) < 10)
        #expect(store.saved.isEmpty)
    }

    @Test func sessionBadInputIsInvalidArgument() async throws {
        let session = OvokSession(client: client)
        for (email, password) in [("", Demo.password), (Demo.email, "pass\0word")] {
            await #expect { try await session.login(email: email, password: password, clientId: Demo.clientId) }
                throws: { ($0 as? OvokError)?.status == .invalidArgument }
        }
    }
}
