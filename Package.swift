// swift-tools-version:6.1
import PackageDescription

/// churn: customer churn scoring, from one laptop to a cluster of libuv workers.
/// One target per layer; see README.md ("Design") for how they stack.
let package = Package(
    name: "churn",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "churn", targets: ["churn"]),
        // The modules the concurrency tests exercise, for the ThreadSanitizer run's own package
        // (scripts/tsan/Package.swift), which so builds them without the web stack.
        .library(name: "ChurnConcurrencySubjects", targets: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnHistoryFormat", "ChurnWire", "ChurnTransport",
            "ChurnStore", "ChurnCoordinator", "ChurnService", "ChurnTesting",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // The dashboard's HTTP server; swift-configuration support left out (not used).
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/vapor/multipart-kit", exact: "4.7.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Password hashing (bcrypt) for dashboard accounts.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", exact: "2.5.0"),
    ],
    targets: [
        // C system libraries.
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // libcurl (SMTP), loaded with dlopen on first use: its headers are needed to build
        // (libcurl4-openssl-dev), libcurl itself only to send mail.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl")]),

        // Pure scoring core: schema, model, training, health, drivers, interventions, metrics. No I/O.
        .target(name: "ChurnCore"),
        // Readers: byte-level CSV, XLSX, file chunking.
        .target(name: "ChurnIO", dependencies: [
            "ChurnCore",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Shard scoring, result formatting, the multi-threaded in-process pipeline.
        .target(name: "ChurnEngine", dependencies: ["ChurnCore", "ChurnIO", "ChurnHistoryFormat"]),
        // The history's byte layout (column blocks, customer index hash): bytes in, bytes out, no SQLite,
        // so that scoring threads can encode what the store writes.
        // Its builders run per row on the scoring threads; dynamic exclusivity checks on their
        // class-held buffers cost about a quarter of the scoring CPU (perf: swift_beginAccess,
        // __tls_get_addr), so they are off here. The code is single-threaded per builder.
        .target(name: "ChurnHistoryFormat", dependencies: ["ChurnCore"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // Wire protocol codec: bytes in, messages out. No sockets, no crypto library.
        .target(name: "ChurnWire", dependencies: ["ChurnCore", "CCRC32C"]),
        // CRC32C (Castagnoli) with SSE4.2 when the CPU has it.
        .target(name: "CCRC32C"),
        // The thin libuv layer: loop, TCP, async wake-ups, timers, signals.
        .target(name: "ChurnTransport", dependencies: ["CLibUV"]),
        // The scoring worker process logic.
        .target(name: "ChurnWorker", dependencies: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnWire", "ChurnTransport", "ChurnHistoryFormat",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // SQLite history of runs and predictions.
        .target(name: "ChurnStore", dependencies: ["CSQLite", "ChurnCore", "ChurnHistoryFormat"]),
        // Self-contained HTML report.
        .target(name: "ChurnReport", dependencies: ["ChurnCore"]),
        // Retention offers by e-mail: MIME messages, templates, unsubscribe tokens, SMTP through libcurl,
        // and the delivery loop over the outbox (which lives in ChurnStore).
        .target(name: "ChurnMail", dependencies: [
            "CCurl", "ChurnCore", "ChurnIO", "ChurnReport", "ChurnStore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Coordinator: shards an upload, dispatches to workers, merges.
        .target(name: "ChurnCoordinator", dependencies: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnWire", "ChurnTransport", "ChurnStore", "ChurnHistoryFormat",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        // The scoring service: jobs (input + model + engine + options → results, history, summary,
        // report) with events, cancellation and outcomes; what the CLI and the dashboard sit on.
        .target(name: "ChurnService", dependencies: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnCoordinator", "ChurnReport",
        ]),
        // Test helper: real workers inside the test process on loopback, models and data for tests.
        .target(name: "ChurnTesting", dependencies: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnWorker", "ChurnCoordinator",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The web dashboard and REST API (`churn serve`): routes, pages, JSON, SSE progress, static assets.
        .target(name: "ChurnServer", dependencies: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnStore", "ChurnReport", "ChurnService", "ChurnCoordinator", "ChurnMail",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The CLI: a thin shell over the libraries.
        .executableTarget(name: "churn", dependencies: [
            "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnWorker", "ChurnCoordinator", "ChurnStore", "ChurnService", "ChurnTransport",
            "ChurnServer", "ChurnMail", "ChurnReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // libFuzzer entry points; built only by scripts/fuzz with -sanitize=fuzzer,address.
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzFrameDecoder", dependencies: ["FuzzDriver", "ChurnWire", "ChurnCore"]),
        .executableTarget(name: "FuzzHandshake", dependencies: ["FuzzDriver", "ChurnWire", "ChurnCore"]),
        // The XLSX sheet scanner's files, linked in from Sources/ChurnIO (see FuzzXLSXSheet.swift).
        .executableTarget(name: "FuzzXLSXSheet", dependencies: ["FuzzDriver"]),

        .testTarget(name: "ChurnCoreTests", dependencies: ["ChurnCore"]),
        .testTarget(name: "ChurnIOTests", dependencies: ["ChurnIO", "ChurnCore"]),
        .testTarget(name: "ChurnEngineTests", dependencies: ["ChurnEngine", "ChurnIO", "ChurnCore"]),
        .testTarget(name: "ChurnWireTests", dependencies: ["ChurnWire", "ChurnCore", "CCRC32C"]),
        .testTarget(name: "ChurnTransportTests", dependencies: ["ChurnTransport"]),
        .testTarget(name: "ChurnStoreTests", dependencies: ["ChurnStore", "ChurnCore", "CSQLite", "ChurnHistoryFormat"]),
        .testTarget(name: "ChurnReportTests", dependencies: ["ChurnReport", "ChurnCore"]),
        .testTarget(name: "ChurnMailTests", dependencies: ["ChurnMail", "ChurnStore"]),
        .testTarget(name: "ChurnServerTests", dependencies: ["ChurnServer", "ChurnCore", "ChurnIO", "ChurnEngine", "ChurnStore", "ChurnTesting",
                                                            .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(name: "ChurnCoordinatorTests", dependencies: ["ChurnCoordinator", "ChurnWire", "ChurnIO", "ChurnCore",
                                                                 "ChurnEngine", "ChurnHistoryFormat"]),
        .testTarget(name: "ChurnServiceTests", dependencies: [
            "ChurnService", "ChurnTesting", "ChurnCoordinator", "ChurnEngine", "ChurnCore",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "ChurnEndToEndTests", dependencies: ["ChurnWire", "ChurnCore", "ChurnTesting"]),
        .testTarget(name: "ChurnWorkerTests", dependencies: ["ChurnWorker"]),
    ]
)
