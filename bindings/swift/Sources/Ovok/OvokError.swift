import COvok
import Foundation

/// A failed call: what went wrong (`status`), the HTTP status when a response arrived, and a
/// message from the core that is safe to log (it never holds a password or a token).
public struct OvokError: Error, Sendable, Equatable, LocalizedError, CustomStringConvertible {
    /// Mirrors the C `OvokStatus` values other than `OVOK_STATUS_OK`, named in lowerCamelCase.
    /// A test compares these cases with the names the library reports.
    public enum Status: UInt32, CaseIterable, Sendable {
        case invalidArgument = 1
        case badRequest = 2
        case unauthorized = 3
        case notFound = 4
        case unprocessable = 5
        case serverError = 6
        case httpError = 7
        case connection = 8
        case timeout = 9
        case tls = 10
        case invalidResponse = 11
        case `internal` = 12
        case loginRequired = 13
    }

    public let status: Status
    /// The HTTP status code, or nil when no HTTP response was received.
    public let httpStatus: Int?
    public let message: String

    public init(status: Status, httpStatus: Int? = nil, message: String) {
        self.status = status
        self.httpStatus = httpStatus
        self.message = message
    }

    public var errorDescription: String? { message }

    public var description: String {
        let http = httpStatus.map { ", HTTP \($0)" } ?? ""
        return "OvokError(\(status)\(http)): \(message)"
    }
}

/// The one place that turns a C status into Swift; nil for `OVOK_STATUS_OK`.
/// A value this wrapper does not know yet (a newer library) becomes `.internal`.
extension OvokError.Status {
    /// - Parameter code: an `OvokStatus`, a `uint32_t` in C (Swift sees the typedef and the
    ///   enum of the same name, so it is spelled `UInt32` here).
    static func fromNative(_ code: UInt32) -> OvokError.Status? {
        if code == 0 { return nil }
        return OvokError.Status(rawValue: code) ?? .internal
    }

    /// The library's name for a status code, e.g. "OVOK_STATUS_UNAUTHORIZED", or
    /// "OVOK_STATUS_UNKNOWN" for a code it does not have.
    static func nativeName(_ code: UInt32) -> String {
        String(cString: ovok_status_name(code))
    }
}

extension OvokError {
    /// An argument the C side cannot see, such as a string with an embedded NUL.
    static func invalidArgument(_ message: String) -> OvokError {
        OvokError(status: .invalidArgument, message: message)
    }
}
