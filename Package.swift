// swift-tools-version:6.1
import PackageDescription

// `TALLY_FUZZ=1` (set by tools/fuzz.sh, with its own --scratch-path) adds the libFuzzer executable
// `tally-fuzz` and builds every Tally module with coverage feedback and AddressSanitizer, and with
// testing enabled so the fuzz targets reach internal decoders through `@testable import`.
// Dependencies are left uninstrumented: the fuzzer's coverage signal is Tally's own code.
let fuzzing = Context.environment["TALLY_FUZZ"] == "1"

// Every Tally target gets the same strictness; dependencies are spelled out per target.
let strict: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ] + (fuzzing ? [.unsafeFlags(["-sanitize=fuzzer,address", "-enable-testing"])] : [])

let package = Package(
    name: "tally",
    platforms: [.macOS(.v15)],  // Synchronization.Mutex; no effect on Linux
    products: [.executable(name: "tally", targets: ["TallyCLI"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // C: only TallyLMDB may import this.
        .systemLibrary(name: "CTallyLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        // C: Intel's multi-buffer SHA-256 (x86-64 only), for TallyStore's verification; no pkg-config file.
        .systemLibrary(name: "CTallyIPSecMB", providers: [.apt(["libipsec-mb-dev"])]),

        // Layers, lowest first. Each depends only on layers above it in this list.
        .target(name: "TallyLMDB", dependencies: ["CTallyLMDB"], swiftSettings: strict),
        .target(name: "TallyCore", swiftSettings: strict),
        // Merkle hashing and proof checking, without storage: for auditors, services and the CLI.
        .target(
            name: "TallyVerify", dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(name: "Ledger", dependencies: ["TallyCore"], swiftSettings: strict),
        .target(
            name: "TallyStore",
            dependencies: [
                "TallyLMDB", "TallyCore", "TallyVerify", "CTallyIPSecMB",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        .target(
            name: "LedgerProjection",
            dependencies: [
                "Ledger", "TallyCore", "TallyStore", "TallyLMDB", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Projections/Ledger",
            swiftSettings: strict),
        .target(
            name: "TallyHTTP",
            dependencies: [
                "TallyStore", "TallyLMDB", "TallyCore", "TallyVerify", "Ledger", "LedgerProjection",
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "TallyClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "TallyCLI",
            dependencies: [
                "TallyStore", "TallyHTTP", "TallyClient", "TallyCore", "TallyVerify", "Ledger", "LedgerProjection",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),

        // Benchmarks: a plain executable, built only when asked for (`swift run -c release tally-bench`).
        .executableTarget(
            name: "tally-bench",
            dependencies: ["TallyStore", "TallyLMDB", "TallyVerify", "Ledger", "LedgerProjection"],
            path: "tools/TallyBench",
            swiftSettings: strict),

        // Waiting for child processes in tests without Foundation's `waitUntilExit()` (see its file).
        .target(name: "TestProcesses", path: "Tests/TestProcesses", swiftSettings: strict),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "TallyCore"], swiftSettings: strict),
        .testTarget(
            name: "ProjectionTests",
            dependencies: ["LedgerProjection", "Ledger", "TallyCore", "TallyStore", "TallyLMDB", "TallyVerify"],
            swiftSettings: strict),
        .testTarget(name: "TallyLMDBTests", dependencies: ["TallyLMDB"], swiftSettings: strict),
        .testTarget(name: "TallyVerifyTests", dependencies: ["TallyVerify"], swiftSettings: strict),
        .testTarget(
            name: "TallyStoreTests", dependencies: ["TallyStore", "TallyLMDB", "TallyVerify", "TestProcesses"],
            swiftSettings: strict),
        .testTarget(
            name: "TallyHTTPTests",
            dependencies: [
                "TallyHTTP", "TallyStore", "TallyCore", "TallyLMDB", "TallyVerify", "LedgerProjection", "Ledger",
                "TestProcesses",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "TallyCLITests",
            dependencies: [
                "TallyCLI", "TallyStore", "TallyLMDB", "TallyVerify", "Ledger", "LedgerProjection", "TestProcesses",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: ["Golden"],
            swiftSettings: strict),
    ]
)

if fuzzing {
    // `tally-fuzz` has its own `main`, which hands over to libFuzzer's driver (SwiftPM renames an
    // executable's `main` on Linux, so libFuzzer's own `main` cannot be the entry point).
    package.products.append(.executable(name: "tally-fuzz", targets: ["tally-fuzz"]))
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "tools/CLibFuzzer"),
        .executableTarget(
            name: "tally-fuzz",
            dependencies: [
                "CLibFuzzer", "TallyStore", "TallyHTTP", "TallyVerify", "TallyCore", "Ledger", "LedgerProjection",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "tools/TallyFuzz",
            swiftSettings: strict,
            // lld: gold stops with an internal error (dwarf_reader.cc) on this link.
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]),
    ]
}
