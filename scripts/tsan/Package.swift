// swift-tools-version:6.1
import Foundation
import PackageDescription

/// The concurrency tests under ThreadSanitizer (run by scripts/test), in a package of their own so
/// that the sanitized build compiles only what they exercise: the root package's libraries through
/// its `ChurnConcurrencySubjects` product, not the dashboard, Hummingbird, SwiftNIO or the CLI.
///
/// Each test target is a root test target reached through a symbolic link in Tests/ (SwiftPM wants
/// target sources inside the package), under a name of its own (target names are unique across
/// the package graph). Which classes run is scripts/test's TSAN_FILTER. To put a new concurrency
/// test under ThreadSanitizer: add its class to TSAN_FILTER; if it lives in a test target not
/// linked here, also add the link (`ln -s ../../../Tests/X Tests/X`) and a target below, with the
/// root library it needs added to `ChurnConcurrencySubjects`.
let package = Package(
    name: "churn-tsan",
    dependencies: [
        .package(name: "churn", path: "../.."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        linked("ChurnTransportTests"),
        linked("ChurnStoreTests"),
        linked("ChurnEngineTests"),
        linked("ChurnCoordinatorTests"),
        linked("ChurnServiceTests", also: [.product(name: "Logging", package: "swift-log")]),
    ]
)

/// A test target over the root's `Tests/<name>`, linked in as `Tests/<name>`, named `TSan<name>`.
/// It is compiled as part of the root package (`-package-name`), as the root's own test target
/// is, so that the tests see the libraries' `package` declarations.
func linked(_ name: String, also: [Target.Dependency] = []) -> Target {
    .testTarget(name: "TSan" + name,
                dependencies: [.product(name: "ChurnConcurrencySubjects", package: "churn")] + also,
                path: "Tests/" + name,
                packageAccess: false,  // else SwiftPM's own -package-name (this package's) comes last
                swiftSettings: [.unsafeFlags(["-package-name", rootPackageName()])])
}

/// The name SwiftPM gives the root package's modules with `-package-name`: its identity (the
/// repository directory's name, lower-cased) made a C identifier, as SwiftPM does.
func rootPackageName() -> String {
    let directory = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()
        .deletingLastPathComponent().lastPathComponent.lowercased()
    let name = String(directory.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") ? $0 : "_" })
    return name.first?.isNumber == true ? "_" + name : name
}
