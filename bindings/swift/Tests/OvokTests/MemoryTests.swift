import Foundation
import Testing
import Ovok

/// Long login loops must not grow the process: every native result is freed.
///
/// The bound comes from what a leak costs: a login result holds two JWTs and four references,
/// so leaking it on each of 20,000 calls grows RSS by well over 10 MiB (the Python suite measured
/// about 17 MiB), while the measured noise of this wrapper is far below the bound.
@Suite struct MemoryTests {
    static let warmUp = 1_000
    static let loop = 20_000
    static let bound = 4 * 1024 * 1024

    @Test func twentyThousandLoginsKeepResidentMemoryFlat() async throws {
        let client = try OvokClient(baseURL: Servers.emulator)
        func logins(_ count: Int) async throws {
            for _ in 0..<count {
                let result = try await client.login(email: Demo.email, password: Demo.password, clientId: Demo.clientId)
                #expect(!result.accessToken.isEmpty)
            }
        }
        try await logins(Self.warmUp)
        let before = try residentBytes()
        try await logins(Self.loop)
        let growth = try residentBytes() - before
        print("RSS over \(Self.loop) logins: \(before / 1024) KiB after warm-up, growth \(growth / 1024) KiB (bound \(Self.bound / 1024) KiB)")
        #expect(growth < Self.bound)
    }

    @Test func twentyThousandFailedLoginsKeepResidentMemoryFlat() async throws {
        let client = try OvokClient(baseURL: Servers.emulator)
        func failures(_ count: Int) async {
            for _ in 0..<count {
                await #expect(throws: OvokError.self) {
                    try await client.login(email: Demo.email, password: "wrong-password", clientId: Demo.clientId)
                }
            }
        }
        await failures(Self.warmUp)
        let before = try residentBytes()
        await failures(Self.loop)
        let growth = try residentBytes() - before
        print("RSS over \(Self.loop) failed logins: growth \(growth / 1024) KiB (bound \(Self.bound / 1024) KiB)")
        #expect(growth < Self.bound)
    }
}
