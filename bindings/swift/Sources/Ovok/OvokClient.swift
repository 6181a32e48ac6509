import COvok
import Foundation

/// A configured connection to the Ovok API: its timeouts, trust, proxy and connection pool.
///
/// Build one and share it: it is safe to use from many tasks at once, and each call runs off
/// Swift's cooperative thread pool. Cancelling the awaiting task throws `CancellationError`
/// at once while the network call ends in the background.
public final class OvokClient: @unchecked Sendable {
    // @unchecked: the native client is immutable once built and safe to use from any thread
    // (include/ovok.h); `handle` and `baseURL` never change.

    /// The settings of the C builder (`ovok_client_builder_*`). Values the core refuses (a zero
    /// timeout, an unreadable certificate, a proxy URL it cannot use) make `init` throw
    /// `invalidArgument` with the core's reason.
    public struct Configuration: Sendable {
        /// How long DNS, TCP and TLS together may take (the core's default: 10 s).
        public var connectTimeout: TimeInterval?
        /// How long a whole call may take (the core's default: 30 s).
        public var totalTimeout: TimeInterval?
        /// true: the operating system's trusted certificates (the default). false: the Mozilla
        /// roots bundled in the library, in builds with the `bundled-roots` feature only.
        public var platformTrust: Bool?
        /// PEM-encoded CA certificates; once any is given, only these are trusted.
        public var caCertificatesPEM: [Data]
        /// An HTTP proxy, `http://[user:password@]host:port`.
        public var proxy: URL?
        /// false: ignore `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`.
        public var proxyFromEnvironment: Bool
        /// Appended to the User-Agent, e.g. "myapp/2.1".
        public var userAgentSuffix: String?

        public init(
            connectTimeout: TimeInterval? = nil,
            totalTimeout: TimeInterval? = nil,
            platformTrust: Bool? = nil,
            caCertificatesPEM: [Data] = [],
            proxy: URL? = nil,
            proxyFromEnvironment: Bool = true,
            userAgentSuffix: String? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.platformTrust = platformTrust
            self.caCertificatesPEM = caCertificatesPEM
            self.proxy = proxy
            self.proxyFromEnvironment = proxyFromEnvironment
            self.userAgentSuffix = userAgentSuffix
        }
    }

    let handle: OpaquePointer
    /// nil: Ovok's sandbox.
    public let baseURL: URL?

    /// - Parameter baseURL: nil for Ovok's sandbox; otherwise an https URL (plain http only for
    ///   loopback hosts), checked by the core on each call.
    public init(baseURL: URL? = nil, configuration: Configuration = .init()) throws {
        self.baseURL = baseURL
        handle = try Self.build(configuration)
    }

    deinit {
        ovok_client_free(handle)
    }

    /// Logs in with `POST {base}/v2/auth/login`. The password is not kept.
    public func login(email: String, password: String, clientId: String) async throws -> LoginResult {
        try await runBlocking { [self] in
            callNative([("baseURL", baseURL?.absoluteString), ("email", email), ("password", password),
                        ("clientId", clientId)]) { ovok_client_login(handle, $0[0], $0[1], $0[2], $0[3]) }
        }.loginResult()
    }

    /// Exchanges a refresh token for new tokens. Ovok rotates refresh tokens: use the returned
    /// `refreshToken` from now on. `.unauthorized` means the refresh token is spent: log in again.
    public func refresh(refreshToken: String) async throws -> TokenResult {
        try await runBlocking { [self] in
            callNative([("baseURL", baseURL?.absoluteString), ("refreshToken", refreshToken)]) {
                ovok_client_refresh(handle, $0[0], $0[1])
            }
        }.tokenResult()
    }

    private static func build(_ configuration: Configuration) throws(OvokError) -> OpaquePointer {
        guard let builder = ovok_client_builder_new() else {
            throw OvokError(status: .internal, message: "the library returned no client builder")
        }
        defer { ovok_client_builder_free(builder) }
        func check(_ status: UInt32) throws(OvokError) {
            guard let failure = OvokError.Status.fromNative(status) else { return }
            let reason = ovok_client_builder_last_error(builder).map { String(cString: $0) }
            throw OvokError(status: failure, message: reason ?? "\(failure)")
        }
        if let seconds = configuration.connectTimeout {
            try check(ovok_client_builder_set_connect_timeout_ms(builder, milliseconds(seconds)))
        }
        if let seconds = configuration.totalTimeout {
            try check(ovok_client_builder_set_total_timeout_ms(builder, milliseconds(seconds)))
        }
        if let platformTrust = configuration.platformTrust {
            try check(ovok_client_builder_set_platform_trust(builder, platformTrust))
        }
        for pem in configuration.caCertificatesPEM {
            try check(pem.withUnsafeBytes { bytes in
                ovok_client_builder_add_ca_pem(builder, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
            })
        }
        if let proxy = configuration.proxy {
            try check(try withCStrings([("proxy", proxy.absoluteString)]) { ovok_client_builder_set_proxy(builder, $0[0]) })
        }
        try check(ovok_client_builder_set_proxy_from_env(builder, configuration.proxyFromEnvironment))
        if let suffix = configuration.userAgentSuffix {
            try check(try withCStrings([("userAgentSuffix", suffix)]) {
                ovok_client_builder_set_user_agent_suffix(builder, $0[0])
            })
        }
        var client: OpaquePointer?
        try check(ovok_client_build(builder, &client))
        guard let client else { throw OvokError(status: .internal, message: "the library built no client") }
        return client
    }
}

/// Whole milliseconds for the C builder. Values outside its range are passed as 0 or
/// UInt32.max, which it refuses with its own message, so the range lives in one place.
private func milliseconds(_ seconds: TimeInterval) -> UInt32 {
    let value = (seconds * 1000).rounded()
    guard value.isFinite, value >= 0 else { return 0 }
    return value >= Double(UInt32.max) ? UInt32.max : UInt32(value)
}
