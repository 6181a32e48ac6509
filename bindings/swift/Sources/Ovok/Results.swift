import Foundation

/// A FHIR-style `{reference, display}` pair, e.g. `Patient/de5c...` and `Max Mustermann`.
public struct Reference: Sendable, Hashable, Codable {
    public let reference: String
    public let display: String

    public init(reference: String, display: String) {
        self.reference = reference
        self.display = display
    }
}

/// A successful login. `description` and `debugDescription` show tokens shortened.
public struct LoginResult: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public typealias Reference = Ovok.Reference

    public let accessToken: String
    public let refreshToken: String?
    /// Seconds until the access token expires, as the server said.
    public let expiresIn: Int?
    /// When the access token expires: arrival plus `expiresIn`, or the token's own `exp` claim.
    public let expiresAt: Date?
    public let project: Reference
    public let profile: Reference

    public var description: String {
        "LoginResult(accessToken: \(redacted(accessToken)), refreshToken: \(redacted(refreshToken)), "
            + "expiresIn: \(expiresIn.map(String.init) ?? "nil"), expiresAt: \(expiresAt.map { "\($0)" } ?? "nil"), "
            + "project: \(project.reference), profile: \(profile.reference))"
    }

    public var debugDescription: String { description }

    /// What `dump` and debuggers show: the tokens shortened.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessToken": redacted(accessToken), "refreshToken": redacted(refreshToken),
            "expiresIn": expiresIn as Any, "expiresAt": expiresAt as Any, "project": project, "profile": profile,
        ], displayStyle: .struct)
    }
}

/// A successful refresh: new tokens, which replace the ones used.
public struct TokenResult: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let accessToken: String
    public let refreshToken: String?
    public let expiresIn: Int?
    public let expiresAt: Date?

    public var description: String {
        "TokenResult(accessToken: \(redacted(accessToken)), refreshToken: \(redacted(refreshToken)), "
            + "expiresIn: \(expiresIn.map(String.init) ?? "nil"), expiresAt: \(expiresAt.map { "\($0)" } ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessToken": redacted(accessToken), "refreshToken": redacted(refreshToken),
            "expiresIn": expiresIn as Any, "expiresAt": expiresAt as Any,
        ], displayStyle: .struct)
    }
}

/// The first 8 characters of a long token, enough to tell two apart in a log; nothing of a short one.
func redacted(_ token: String?) -> String {
    guard let token else { return "nil" }
    return token.count > 16 ? "\"\(token.prefix(8))…\"" : "<redacted>"
}
