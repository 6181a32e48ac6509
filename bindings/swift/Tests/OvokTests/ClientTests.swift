import Foundation
import Testing
@testable import Ovok

@Suite struct ClientTests {
    let client: OvokClient

    init() throws {
        client = try OvokClient(baseURL: Servers.emulator)
    }

    private func failure(_ call: () async throws -> some Any) async -> OvokError? {
        do {
            _ = try await call()
            return nil
        } catch let error as OvokError {
            return error
        } catch {
            Issue.record("not an OvokError: \(error)")
            return nil
        }
    }

    @Test func loginReturnsEveryField() async throws {
        let before = Date()
        let result = try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        #expect(result.accessToken.split(separator: ".").count == 3)
        #expect(result.refreshToken?.isEmpty == false)
        #expect(result.expiresIn == 3600)
        let expiresAt = try #require(result.expiresAt)
        #expect(expiresAt.timeIntervalSince(before) > 3500)
        #expect(expiresAt.timeIntervalSince(before) < 3700)
        #expect(result.project == Reference(reference: Demo.projectReference, display: Demo.projectDisplay))
        #expect(result.profile.reference == Demo.profileReference)
        #expect(result.profile.display == Demo.profileDisplay)
    }

    @Test func refreshRotatesTheRefreshToken() async throws {
        let login = try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        let refreshToken = try #require(login.refreshToken)
        let refreshed = try await client.refresh(refreshToken: refreshToken)
        #expect(refreshed.accessToken != login.accessToken)
        #expect(refreshed.refreshToken != nil && refreshed.refreshToken != refreshToken)
        #expect(refreshed.expiresAt != nil)
        let reused = await failure { try await client.refresh(refreshToken: refreshToken) }
        #expect(reused?.status == .unauthorized)
        #expect(reused?.httpStatus == 401)
    }

    @Test func descriptionsNeverShowAWholeToken() async throws {
        let login = try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        let refreshed = try await client.refresh(refreshToken: try #require(login.refreshToken))
        var dumped = ""
        dump(login, to: &dumped)
        dump(refreshed, to: &dumped)
        let shown = [login.description, login.debugDescription, String(reflecting: login), "\(login)",
                     refreshed.description, refreshed.debugDescription, dumped]
        for text in shown {
            for token in [login.accessToken, login.refreshToken!, refreshed.accessToken, refreshed.refreshToken!] {
                #expect(!text.contains(token))
                #expect(!text.contains(token.suffix(12)))
            }
        }
        #expect(login.description.contains(String(login.accessToken.prefix(8))))
    }

    @Test func wrongPasswordIsUnauthorized() async {
        let error = await failure { try await client.login(email: Demo.email, password: "wrong-password", clientId: Demo.clientId) }
        #expect(error?.status == .unauthorized)
        #expect(error?.httpStatus == 401)
        #expect(error?.message.contains("Invalid email or password") == true)
        #expect(error?.errorDescription == error?.message)
        #expect(error.map { "\($0)" }?.contains("wrong-password") == false)
    }

    @Test func unknownClientIsNotFound() async {
        let error = await failure {
            try await client.login(email: Demo.email, password: Demo.password, clientId: "00000000-0000-4000-8000-000000000000")
        }
        #expect(error?.status == .notFound)
        #expect(error?.httpStatus == 404)
        #expect(error?.message.contains("Client application not found") == true)
    }

    @Test func anEmailThatIsNoEmailIsUnprocessable() async {
        let error = await failure { try await client.login(email: "not-an-email", password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == .unprocessable)
        #expect(error?.httpStatus == 422)
        #expect(error?.message.contains("email") == true)
    }

    @Test(arguments: [
        (400, OvokError.Status.badRequest),
        (500, .serverError),
        (503, .serverError),
        (403, .httpError),
        (302, .httpError),
    ])
    func scriptedErrorStatuses(code: Int, status: OvokError.Status) async throws {
        let scripted = try OvokClient(baseURL: Servers.fake.appendingPathComponent("status/\(code)"))
        let error = await failure { try await scripted.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == status)
        #expect(error?.httpStatus == code)
        #expect(error?.message.isEmpty == false)
        if code != 302 { #expect(error?.message.contains("scripted \(code)") == true) }
    }

    @Test func aBodyThatIsNotJSONIsAnInvalidResponse() async throws {
        let garbage = try OvokClient(baseURL: Servers.fake.appendingPathComponent("garbage"))
        let error = await failure { try await garbage.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == .invalidResponse)
        #expect(error?.httpStatus == 200)
        #expect(error?.message.isEmpty == false)
    }

    @Test func aServerThatReflectsThePasswordDoesNotGetItIntoTheMessage() async throws {
        let reflecting = try OvokClient(baseURL: Servers.fake.appendingPathComponent("reflect"))
        let password = "a-password-to-hide-9731"
        let error = await failure { try await reflecting.login(email: Demo.email, password: password, clientId: Demo.clientId) }
        #expect(error?.status == .unauthorized)
        #expect(error?.message.contains(password) == false)
    }

    @Test func aClosedPortIsAConnectionError() async throws {
        let closed = try OvokClient(baseURL: URL(string: "http://127.0.0.1:1"))
        let error = await failure { try await closed.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == .connection)
        #expect(error?.httpStatus == nil)
        #expect(error?.message.isEmpty == false)
    }

    @Test func aServerThatNeverAnswersIsATimeout() async throws {
        let hanging = try OvokClient(
            baseURL: Servers.fake.appendingPathComponent("hang"),
            configuration: .init(totalTimeout: 0.5)
        )
        let error = await failure { try await hanging.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == .timeout)
        #expect(error?.httpStatus == nil)
        #expect(error?.message.isEmpty == false)
    }

    @Test func tlsToAPlainHTTPServerIsATLSError() async throws {
        var components = try #require(URLComponents(url: Servers.emulator, resolvingAgainstBaseURL: false))
        components.scheme = "https"
        let tls = try OvokClient(baseURL: try #require(components.url))
        let error = await failure { try await tls.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == .tls)
        #expect(error?.httpStatus == nil)
        #expect(error?.message.isEmpty == false)
    }

    @Test(arguments: [("", Demo.password, Demo.clientId), (Demo.email, "", Demo.clientId), (Demo.email, Demo.password, "")])
    func emptyStringsAreInvalidArguments(email: String, password: String, clientId: String) async {
        let error = await failure { try await client.login(email: email, password: password, clientId: clientId) }
        #expect(error?.status == .invalidArgument)
        #expect(error?.httpStatus == nil)
        #expect(error?.message.isEmpty == false)
    }

    @Test(arguments: [("john\0.doe@mail.com", Demo.password, Demo.clientId, "email"),
                      (Demo.email, "password\u{0}1234", Demo.clientId, "password"),
                      (Demo.email, Demo.password, "\0", "clientId")])
    func stringsWithNULAreInvalidArguments(email: String, password: String, clientId: String, field: String) async {
        let error = await failure { try await client.login(email: email, password: password, clientId: clientId) }
        #expect(error?.status == .invalidArgument)
        #expect(error?.httpStatus == nil)
        #expect(error?.message.contains(field) == true)
        #expect(error?.message.contains("1234") == false)
    }

    @Test func emptyAndNULRefreshTokensAreInvalidArguments() async {
        for token in ["", "abc\0def"] {
            let error = await failure { try await client.refresh(refreshToken: token) }
            #expect(error?.status == .invalidArgument)
        }
    }

    @Test func aBaseURLTheCoreRefusesIsAnInvalidArgument() async throws {
        for base in ["ftp://127.0.0.1/", "http://example.com/", "https://user:pw@example.com/"] {
            let refused = try OvokClient(baseURL: URL(string: base))
            let error = await failure { try await refused.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
            #expect(error?.status == .invalidArgument, "\(base)")
            #expect(error?.message.contains("pw") == false)
        }
    }

    @Test func everyOptionAtOnceStillLogsIn() async throws {
        let configured = try OvokClient(baseURL: Servers.emulator, configuration: .init(
            connectTimeout: 5, totalTimeout: 20, platformTrust: true, proxyFromEnvironment: false,
            userAgentSuffix: "ovok-swift-tests/1.0"
        ))
        let result = try await configured.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        #expect(result.profile.reference == Demo.profileReference)
    }

    @Test func theUserAgentSuffixIsSent() async throws {
        let agent = try OvokClient(
            baseURL: Servers.fake.appendingPathComponent("user-agent"),
            configuration: .init(userAgentSuffix: "myapp/2.1")
        )
        let error = await failure { try await agent.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.message.contains("myapp/2.1") == true)
    }

    /// A CA certificate made by `ovok-emulator --generate-cert`; it signs nothing these tests reach.
    static let unusedCA = """
-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIUPUZQkfrLcHgPAY4IINxOfjye2v4wCgYIKoZIzj0EAwIw
IDEeMBwGA1UEAwwVb3Zvay1lbXVsYXRvciB0ZXN0IENBMCAXDTc1MDEwMTAwMDAw
MFoYDzQwOTYwMTAxMDAwMDAwWjAgMR4wHAYDVQQDDBVvdm9rLWVtdWxhdG9yIHRl
c3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATYWxfEoTkR+HCsTIJEnzdl
gK0HJLjqpbyf5LB3UfvmaCe2OzgB+cHBxKok2ekd3uDEcjMZXT+RbJVnaK40RAfk
ozUwMzAdBgNVHQ4EFgQUABBaTiJ+eLbdOhStQU65qDP5aeAwEgYDVR0TAQH/BAgw
BgEB/wIBADAKBggqhkjOPQQDAgNHADBEAiBQITn/UYbUkJSsXw0/8sidOtv2g/G6
eE37bdPIjf1cpgIgGo7fCc5SLhJ+i2slhx5FDa0VoTOtgOeqOpq6ICCQ4Rk=
-----END CERTIFICATE-----
"""

    @Test func anExplicitProxyOnAClosedPortIsAConnectionError() async throws {
        // An https host that only the proxy could reach: loopback is never proxied.
        // A private CA (any will do: nothing gets as far as a handshake), since
        // the toolchain root has no system CA store and https needs one.
        let proxied = try OvokClient(
            baseURL: URL(string: "https://api.ovok-proxy.invalid"),
            configuration: .init(caCertificatesPEM: [Data(Self.unusedCA.utf8)], proxy: URL(string: "http://127.0.0.1:1"))
        )
        let error = await failure { try await proxied.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId) }
        #expect(error?.status == .connection)
        #expect(error?.message.contains("refused") == true)
        // The loopback emulator is reached directly, past the dead proxy.
        let direct = try OvokClient(baseURL: Servers.emulator, configuration: .init(proxy: URL(string: "http://127.0.0.1:1")))
        let result = try await direct.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
        #expect(result.profile.display == "Max Mustermann")
    }

    @Test(arguments: [
        OvokClient.Configuration(connectTimeout: 0),
        OvokClient.Configuration(totalTimeout: -1),
        OvokClient.Configuration(totalTimeout: .infinity),
        OvokClient.Configuration(totalTimeout: 1e12),
        OvokClient.Configuration(caCertificatesPEM: [Data("not a certificate".utf8)]),
        OvokClient.Configuration(platformTrust: true, caCertificatesPEM: [Data()]),
        OvokClient.Configuration(proxy: URL(string: "socks9://127.0.0.1:1")),
        OvokClient.Configuration(userAgentSuffix: "line\nbreak"),
        OvokClient.Configuration(userAgentSuffix: "nul\0"),
    ])
    func refusedSettingsThrowInvalidArgumentWithAReason(configuration: OvokClient.Configuration) {
        do {
            _ = try OvokClient(baseURL: Servers.emulator, configuration: configuration)
            Issue.record("accepted \(configuration)")
        } catch let error as OvokError {
            #expect(error.status == .invalidArgument)
            #expect(!error.message.isEmpty)
        } catch {
            Issue.record("not an OvokError: \(error)")
        }
    }
}
