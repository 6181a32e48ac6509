import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The servers scripts/swift-test.sh starts outside the toolchain root, and the emulator's demo user.
enum Servers {
    static let emulator = url("OVOK_BASE_URL")
    /// The emulator with `--latency OVOK_SLOW_MS` per request.
    static let slowEmulator = url("OVOK_SLOW_BASE_URL")
    static let slowMilliseconds = Int(ProcessInfo.processInfo.environment["OVOK_SLOW_MS"] ?? "") ?? 500
    /// bindings/python/tests/fake_server.py: `/status/<code>`, `/garbage`, `/hang`, `/reflect`...
    static let fake = url("OVOK_FAKE_URL")

    private static func url(_ name: String) -> URL {
        guard let text = ProcessInfo.processInfo.environment[name], let url = URL(string: text) else {
            fatalError("\(name) is not set: run the tests through scripts/swift-test.sh (make test-swift)")
        }
        return url
    }
}

enum Demo {
    static let email = "john.doe@mail.com"
    static let password = "password1234"
    static let clientId = "5e505642-9024-474d-9434-e5a44f505cc5"
    static let projectReference = "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3"
    static let projectDisplay = "My Medical Project"
    static let profileReference = "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498"
    static let profileDisplay = "Max Mustermann"
}

/// The resident set size of this process, from /proc/self/statm.
func residentBytes() throws -> Int {
    let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    let fields = statm.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { throw TestFailure("unreadable statm: \(statm)") }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The emulator's counters (`GET /_emulator/stats`), read with a plain socket so that the tests
/// need nothing beyond Foundation's core.
func emulatorStats(_ base: URL) throws -> [String: Any] {
    let body = try httpGet(base.appendingPathComponent("_emulator/stats"))
    guard let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
        throw TestFailure("stats are not a JSON object: \(body)")
    }
    return object
}

func refreshRequests(_ base: URL) throws -> Int {
    guard let count = try emulatorStats(base)["refreshRequests"] as? Int else {
        throw TestFailure("the emulator's stats have no refreshRequests")
    }
    return count
}

/// The status of `GET /auth/me` with this bearer token: 200 for a live token, 401 otherwise.
func meStatus(_ base: URL, accessToken: String) throws -> Int {
    try httpGet(base.appendingPathComponent("auth/me"), bearer: accessToken, acceptAnyStatus: true).status
}

/// GET over HTTP/1.0 to a loopback URL; returns the body of a 2xx answer.
func httpGet(_ url: URL) throws -> String {
    try httpGet(url, bearer: nil, acceptAnyStatus: false).body
}

private func httpGet(_ url: URL, bearer: String?, acceptAnyStatus: Bool) throws -> (status: Int, body: String) {
    guard let host = url.host, let port = url.port else { throw TestFailure("not a loopback URL: \(url)") }
    let socketHandle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socketHandle >= 0 else { throw TestFailure("socket failed") }
    defer { close(socketHandle) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, host, &address.sin_addr)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(socketHandle, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { throw TestFailure("cannot connect to \(url)") }
    let authorization = bearer.map { "Authorization: Bearer \($0)\r\n" } ?? ""
    let request = "GET \(url.path) HTTP/1.0\r\nHost: \(host):\(port)\r\n\(authorization)Connection: close\r\n\r\n"
    _ = request.withCString { send(socketHandle, $0, strlen($0), 0) }
    var response = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = recv(socketHandle, &buffer, buffer.count, 0)
        if count <= 0 { break }
        response += buffer[0..<count]
    }
    let text = String(decoding: response, as: UTF8.self)
    let statusLine = text.split(separator: " ", maxSplits: 2)
    guard statusLine.count > 1, let status = Int(statusLine[1]), let split = text.range(of: "\r\n\r\n"),
          acceptAnyStatus || (200..<300).contains(status)
    else { throw TestFailure("GET \(url) answered: \(text.prefix(200))") }
    return (status, String(text[split.upperBound...]))
}
