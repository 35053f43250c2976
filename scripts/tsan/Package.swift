// swift-tools-version:6.1
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
func linked(_ name: String, also: [Target.Dependency] = []) -> Target {
    .testTarget(name: "TSan" + name,
                dependencies: [.product(name: "ChurnConcurrencySubjects", package: "churn")] + also,
                path: "Tests/" + name)
}
