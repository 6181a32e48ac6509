import Testing
@testable import Ovok

@Suite struct StatusTests {
    /// "OVOK_STATUS_INVALID_ARGUMENT" -> "invalidArgument".
    private func swiftName(_ cName: String) -> String {
        let words = cName.dropFirst("OVOK_STATUS_".count).split(separator: "_").map { $0.lowercased() }
        return words.enumerated().map { $0.offset == 0 ? $0.element : $0.element.capitalized }.joined()
    }

    @Test func swiftStatusesAreExactlyTheLibrarysStatuses() {
        #expect(OvokError.Status.nativeName(0) == "OVOK_STATUS_OK")
        var native: [UInt32: String] = [:]
        var code: UInt32 = 1
        while case let name = OvokError.Status.nativeName(code), name != "OVOK_STATUS_UNKNOWN", code < 1024 {
            native[code] = swiftName(name)
            code += 1
        }
        let swift = Dictionary(uniqueKeysWithValues: OvokError.Status.allCases.map { ($0.rawValue, "\($0)") })
        #expect(native == swift)
        #expect(native.count >= 13)
    }

    @Test func theContractsCasesExist() {
        #expect(OvokError.Status.invalidArgument.rawValue == 1)
        #expect(OvokError.Status.unauthorized.rawValue == 3)
        #expect(OvokError.Status.loginRequired.rawValue == 13)
    }
}
