import COvok
import Foundation

/// A signed-in user's tokens, kept fresh by the core's session (`ovok_session_*`): it refreshes
/// before expiry, makes concurrent callers share one refresh, and never keeps the password.
/// This class only moves calls off the cooperative pool and tokens to and from a `TokenStore`.
///
/// Every token change (login, refresh, logout, a refresh the server refused) is saved to the
/// store; nil is saved when the tokens are gone. When the store cannot save, the call during
/// which that happened throws the store's error. When it cannot load at `init` (a locked
/// Keychain), calls that need tokens throw the store's error, after trying to load again, and
/// never act as if the user had signed out.
public final class OvokSession: @unchecked Sendable {
    // @unchecked: the native session may be used from any thread (include/ovok.h); the Swift
    // state that changes lives in `TokenSink` and `PendingRestore`, each behind a lock.

    public let client: OvokClient
    let handle: OpaquePointer
    private let sink: Unmanaged<TokenSink>?
    private let pendingRestore: PendingRestore?

    /// Restores the tokens `store` holds, if any. A store that cannot be read makes the calls
    /// that need tokens throw its error (see the class comment).
    public init(client: OvokClient, store: (any TokenStore)? = nil) {
        self.client = client
        handle = client.baseURL?.absoluteString.withCString { ovok_session_new(client.handle, $0) }
            ?? ovok_session_new(client.handle, nil)
        guard let store else {
            sink = nil
            pendingRestore = nil
            return
        }
        let sink = Unmanaged.passRetained(TokenSink(store: store))
        self.sink = sink
        ovok_session_set_token_listener(handle, tokensChanged, sink.toOpaque())
        pendingRestore = PendingRestore(store: store)
        _ = pendingRestore?.restore(into: handle)
    }

    deinit {
        ovok_session_free(handle)
        sink?.release()
    }

    /// Logs in; the tokens are saved to the store. The password is not kept.
    public func login(email: String, password: String, clientId: String) async throws -> LoginResult {
        let outcome = try await runBlocking { [self] in
            callNative([("email", email), ("password", password), ("clientId", clientId)]) {
                ovok_session_login(handle, $0[0], $0[1], $0[2])
            }
        }
        let result = try outcome.loginResult()
        pendingRestore?.supersede()
        try throwSaveFailure()
        return result
    }

    /// An access token valid for at least `minTTL` seconds, refreshed first when needed (one
    /// refresh however many tasks ask at once). `.loginRequired`: there is no usable refresh
    /// token, so log in again.
    public func accessToken(minTTL: TimeInterval = 60) async throws -> String {
        try pendingRestore?.retryIfFailed(into: handle)
        let seconds = minTTL.isFinite ? Int64(clamping: Int(max(0, minTTL.rounded(.up)))) : Int64.max
        let outcome = try await runBlocking { [self] in
            NativeOutcome.take(ovok_session_access_token(handle, seconds))
        }
        try throwSaveFailure()
        return try outcome.tokenResult().accessToken
    }

    /// Call when the API answered 401: the next `accessToken` refreshes. Pass the token the API
    /// rejected: it is marked stale only while it is still the current one, so a token that
    /// another task has renewed since is left alone, and many tasks rejected with one token
    /// cause one refresh. Without a token, the current one is marked stale. A token holding a NUL
    /// was never handed out, so it changes nothing. Never waits for the network.
    public func invalidate(rejectedToken: String? = nil) {
        guard let rejectedToken else {
            ovok_session_invalidate(handle)
            return
        }
        guard !rejectedToken.utf8.contains(0) else { return }
        rejectedToken.withCString { ovok_session_invalidate_token(handle, $0) }
    }

    /// Clears the tokens here (and in the store) first, then asks the server to revoke them. It
    /// throws when the server could not be told; the session is signed out either way.
    public func logout() async throws {
        pendingRestore?.supersede()
        let outcome = try await runBlocking { [self] in NativeOutcome.take(ovok_session_logout(handle)) }
        try throwSaveFailure()
        try outcome.check()
    }

    private func throwSaveFailure() throws {
        if let error = sink?.takeUnretainedValue().takeSaveFailure() { throw error }
    }
}

/// The token listener: runs on the thread that changed the tokens, with no native lock held.
private func tokensChanged(context: UnsafeMutableRawPointer?, tokens: UnsafePointer<OvokResult>?) {
    guard let context else { return }
    let sink = Unmanaged<TokenSink>.fromOpaque(context).takeUnretainedValue()
    sink.save(tokens.map { NativeOutcome(copying: $0) })
}

/// Saves what the listener reports, and keeps a failure to save for the call to throw.
private final class TokenSink: @unchecked Sendable {
    // @unchecked: `saveFailure` is only touched under `lock`.
    let store: any TokenStore
    private let lock = NSLock()
    private var saveFailure: (any Error)?

    init(store: any TokenStore) {
        self.store = store
    }

    func save(_ tokens: NativeOutcome?) {
        // A session without a refresh token cannot be resumed later: nothing worth storing.
        let stored = tokens.flatMap { tokens in
            tokens.refreshToken.map {
                StoredTokens(refreshToken: $0, accessToken: tokens.accessToken, expiresAt: tokens.expiresAt)
            }
        }
        do {
            try store.save(stored)
        } catch {
            lock.lock()
            saveFailure = error
            lock.unlock()
        }
    }

    func takeSaveFailure() -> (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        let failure = saveFailure
        saveFailure = nil
        return failure
    }
}

/// Hands the stored tokens to the native session once. If the store could not be read, the
/// error stands until a later read succeeds, or a login or logout makes the stored tokens moot.
private final class PendingRestore: @unchecked Sendable {
    // @unchecked: `failure` is only touched under `lock`.
    private let store: any TokenStore
    private let lock = NSLock()
    private var failure: (any Error)?

    init(store: any TokenStore) {
        self.store = store
    }

    /// Loads and restores; remembers and returns a failure to read.
    @discardableResult
    func restore(into session: OpaquePointer) -> (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        do {
            failure = nil
            guard let tokens = try store.load() else { return nil }
            let expiresAt = tokens.expiresAt.map { Int64($0.timeIntervalSince1970.rounded(.down)) } ?? -1
            // Stored tokens the core refuses (empty, too long) are as good as none: the session
            // then answers `.loginRequired`, so the status needs no handling here.
            _ = tokens.refreshToken.withCString { refresh in
                tokens.accessToken?.withCString { ovok_session_restore(session, refresh, $0, expiresAt) }
                    ?? ovok_session_restore(session, refresh, nil, expiresAt)
            }
        } catch {
            failure = error
        }
        return failure
    }

    func retryIfFailed(into session: OpaquePointer) throws {
        lock.lock()
        let failed = failure != nil
        lock.unlock()
        if failed, let error = restore(into: session) { throw error }
    }

    func supersede() {
        lock.lock()
        failure = nil
        lock.unlock()
    }
}
