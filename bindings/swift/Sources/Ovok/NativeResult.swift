import COvok
import Foundation

/// Everything an `OvokResult` held, copied into Swift values so that the native result can be
/// freed (and its strings wiped) at once.
struct NativeOutcome: Sendable {
    let status: OvokError.Status?
    let httpStatus: Int
    let message: String?
    let accessToken: String?
    let refreshToken: String?
    let expiresIn: Int?
    let expiresAt: Date?
    let project: Reference?
    let profile: Reference?

    /// Copies a result the caller still owns (a token listener's argument).
    init(copying result: UnsafePointer<OvokResult>) {
        let r = result.pointee
        status = OvokError.Status.fromNative(r.status)
        httpStatus = Int(r.http_status)
        message = r.error_message.map { String(cString: $0) }
        accessToken = r.access_token.map { String(cString: $0) }
        refreshToken = r.refresh_token.map { String(cString: $0) }
        expiresIn = r.expires_in >= 0 ? Int(r.expires_in) : nil
        expiresAt = r.expires_at >= 0 ? Date(timeIntervalSince1970: TimeInterval(r.expires_at)) : nil
        project = Self.reference(r.project_reference, r.project_display)
        profile = Self.reference(r.profile_reference, r.profile_display)
    }

    /// Copies a result this wrapper owns, then frees it. The C calls never return NULL; if one
    /// did, that is a bug in the library, reported as `.internal`.
    static func take(_ result: UnsafeMutablePointer<OvokResult>?) -> NativeOutcome {
        guard let result else { return NativeOutcome(failure: .internal, "the library returned no result") }
        defer { ovok_result_free(result) }
        return NativeOutcome(copying: result)
    }

    init(failure: OvokError.Status, _ message: String) {
        status = failure
        httpStatus = 0
        self.message = message
        accessToken = nil
        refreshToken = nil
        expiresIn = nil
        expiresAt = nil
        project = nil
        profile = nil
    }

    private static func reference(_ reference: UnsafePointer<CChar>?, _ display: UnsafePointer<CChar>?) -> Reference? {
        guard let reference, let display else { return nil }
        return Reference(reference: String(cString: reference), display: String(cString: display))
    }

    /// Throws the failure, if this is one.
    func check() throws(OvokError) {
        guard let status else { return }
        throw OvokError(
            status: status,
            httpStatus: httpStatus == 0 ? nil : httpStatus,
            message: message ?? "\(status)"
        )
    }

    func loginResult() throws(OvokError) -> LoginResult {
        try check()
        guard let accessToken, let project, let profile else {
            throw OvokError(status: .internal, message: "a successful login result lacks its fields")
        }
        return LoginResult(
            accessToken: accessToken, refreshToken: refreshToken, expiresIn: expiresIn,
            expiresAt: expiresAt, project: project, profile: profile
        )
    }

    func tokenResult() throws(OvokError) -> TokenResult {
        try check()
        guard let accessToken else {
            throw OvokError(status: .internal, message: "a successful result lacks its access token")
        }
        return TokenResult(accessToken: accessToken, refreshToken: refreshToken, expiresIn: expiresIn, expiresAt: expiresAt)
    }
}

/// Calls `body` with C strings for `strings`, each valid only during the call. A nil string is
/// passed as NULL. A string with an embedded NUL would be cut short in C, so it is refused here,
/// named by its label; every other rule (empty, too long) is the core's.
func withCStrings<R>(
    _ strings: [(label: String, value: String?)],
    _ body: ([UnsafePointer<CChar>?]) -> R
) throws(OvokError) -> R {
    for (label, value) in strings where value?.utf8.contains(0) == true {
        throw OvokError.invalidArgument("\(label) contains a NUL character")
    }
    func nest(_ index: Int, _ pointers: [UnsafePointer<CChar>?]) -> R {
        guard index < strings.count else { return body(pointers) }
        guard let value = strings[index].value else { return nest(index + 1, pointers + [nil]) }
        return value.withCString { nest(index + 1, pointers + [$0]) }
    }
    return nest(0, [])
}

/// Makes a native call with C strings for `strings` and copies out (and frees) its result. A
/// string the C side could not receive becomes an `invalidArgument` outcome, without a call.
func callNative(
    _ strings: [(label: String, value: String?)],
    _ call: ([UnsafePointer<CChar>?]) -> UnsafeMutablePointer<OvokResult>?
) -> NativeOutcome {
    do {
        return try withCStrings(strings) { NativeOutcome.take(call($0)) }
    } catch {
        return NativeOutcome(failure: error.status, error.message)
    }
}
