// swift-tools-version:6.0
// The Ovok SDK for Swift: a thin async layer over the Rust core's C ABI (include/ovok.h).
//
// Where the native library comes from:
// - Linux (and macOS with OVOK_SWIFT_SYSTEM_LIBRARY=1): the `COvok` system-library target, a module
//   map over ovok.h that links `libovok`. Give the paths on the command line, for example
//   `swift test -Xcc -I../../include -Xlinker -L../../target/release`
//   (no unsafeFlags here, so that the package stays usable as a dependency).
// - Apple platforms: the `COvok` XCFramework made by build-xcframework.sh, at
//   COvok.xcframework beside this file, or downloaded from OVOK_XCFRAMEWORK_URL with
//   OVOK_XCFRAMEWORK_CHECKSUM (`swift package compute-checksum COvok.xcframework.zip`).
import PackageDescription
import Foundation

let environment = ProcessInfo.processInfo.environment

#if canImport(Darwin)
let useSystemLibrary = environment["OVOK_SWIFT_SYSTEM_LIBRARY"] == "1"
#else
let useSystemLibrary = true
#endif

let native: Target
if useSystemLibrary {
    native = .systemLibrary(name: "COvok", path: "Sources/COvok")
} else if let url = environment["OVOK_XCFRAMEWORK_URL"], let checksum = environment["OVOK_XCFRAMEWORK_CHECKSUM"] {
    native = .binaryTarget(name: "COvok", url: url, checksum: checksum)
} else {
    native = .binaryTarget(name: "COvok", path: "COvok.xcframework")
}

let package = Package(
    name: "Ovok",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Ovok", targets: ["Ovok"]),
    ],
    targets: [
        native,
        .target(
            name: "Ovok",
            dependencies: ["COvok"],
            resources: [.copy("PrivacyInfo.xcprivacy")]
        ),
        .testTarget(name: "OvokTests", dependencies: ["Ovok", "COvok"]),
    ],
    swiftLanguageModes: [.v6]
)
