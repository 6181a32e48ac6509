import Foundation

/// Where an `OvokSession` keeps its tokens between launches, so that an app never keeps the
/// password: the session saves every change (login, refresh, logout, a refused refresh) and
/// restores from `load()` when it is created.
///
/// `load()` must throw when it cannot read (a locked Keychain); returning nil means "signed out".
public protocol TokenStore: Sendable {
    func load() throws -> StoredTokens?
    /// nil: the session has no tokens any more (logout, or the server refused the refresh token).
    func save(_ tokens: StoredTokens?) throws
}

/// What a session needs to resume: the refresh token, and the access token while it is valid.
public struct StoredTokens: Codable, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var refreshToken: String
    public var accessToken: String?
    public var expiresAt: Date?

    public init(refreshToken: String, accessToken: String? = nil, expiresAt: Date? = nil) {
        self.refreshToken = refreshToken
        self.accessToken = accessToken
        self.expiresAt = expiresAt
    }

    public var description: String {
        "StoredTokens(refreshToken: \(redacted(refreshToken)), accessToken: \(redacted(accessToken)), "
            + "expiresAt: \(expiresAt.map { "\($0)" } ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "refreshToken": redacted(refreshToken), "accessToken": redacted(accessToken),
            "expiresAt": expiresAt as Any,
        ], displayStyle: .struct)
    }
}

/// Keeps the tokens in memory only: for tests, and for apps that sign in on every launch.
public final class InMemoryTokenStore: TokenStore, @unchecked Sendable {
    // @unchecked: `tokens` is only touched under `lock`.
    private let lock = NSLock()
    private var tokens: StoredTokens?

    public init(_ tokens: StoredTokens? = nil) {
        self.tokens = tokens
    }

    public func load() throws -> StoredTokens? {
        lock.lock()
        defer { lock.unlock() }
        return tokens
    }

    public func save(_ tokens: StoredTokens?) throws {
        lock.lock()
        defer { lock.unlock() }
        self.tokens = tokens
    }
}
