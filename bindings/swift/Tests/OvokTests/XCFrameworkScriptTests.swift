import Foundation
import Testing

/// build-xcframework.sh needs a Mac; its --dry-run prints the commands it would run.
@Suite struct XCFrameworkScriptTests {
    private func dryRun() throws -> [String] {
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("build-xcframework.sh")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path, "--dry-run"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func theDryRunBuildsEverySliceAndJoinsThem() throws {
        let commands = try dryRun()
        let builds = commands.filter { $0.hasPrefix("cargo build ") }
        for target in ["aarch64-apple-ios", "aarch64-apple-ios-sim", "x86_64-apple-ios",
                       "aarch64-apple-darwin", "x86_64-apple-darwin"] {
            #expect(builds.contains { $0.hasSuffix("--target \(target)") && $0.contains("--release") }, "\(target)")
        }
        let lipos = commands.filter { $0.hasPrefix("lipo -create ") }
        #expect(lipos.count == 2)
        #expect(lipos.contains { $0.contains("aarch64-apple-ios-sim/") && $0.contains("x86_64-apple-ios/") })
        #expect(lipos.contains { $0.contains("aarch64-apple-darwin/") && $0.contains("x86_64-apple-darwin/") })
        #expect(commands.contains { $0.hasPrefix("cp ") && $0.hasSuffix("/COvok/ovok.h") })
        #expect(commands.contains { $0.hasPrefix("cp ") && $0.hasSuffix("/COvok/module.modulemap") })
        let create = try #require(commands.last)
        #expect(create.hasPrefix("xcodebuild -create-xcframework "))
        #expect(create.components(separatedBy: " -library ").count == 4)
        #expect(create.components(separatedBy: " -headers ").count == 4)
        #expect(create.hasSuffix("COvok.xcframework"))
        // Every built slice goes into the framework: none is built and then left out.
        #expect(create.contains("aarch64-apple-ios/release/libovok.a"))
    }
}
