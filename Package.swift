// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ringscript",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ringscript", targets: ["ringscript"]),
        .library(name: "IoUring", targets: ["IoUring"]),
        .library(name: "Scenario", targets: ["Scenario"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The kernel's io_uring UAPI as the running 6.x kernel defines it, plus syscall and atomic shims.
        .target(name: "CIoUring"),
        // libyaml, found through pkg-config (Debian: libyaml-dev).
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // glibc's malloc.h (mallopt), for the command line's allocator settings.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // The ring engine. Every pointer into kernel-shared memory lives here.
        .target(name: "IoUring", dependencies: ["CIoUring"]),
        // YAML scenarios → a validated graph of SQE specs. Needs the op table, not a ring.
        .target(name: "Scenario", dependencies: ["IoUring", "CYAML"]),
        // Trace against expectations → verdicts; text, JSON, JUnit and TAP reports. Pure value types.
        .target(name: "Checker", dependencies: ["Scenario", "IoUring"]),
        // A validated graph → the submissions, waits and link chains the runner follows. Pure value types.
        .target(name: "Planner", dependencies: ["Scenario"]),
        // Runs a plan on a fresh ring inside a sandbox and records the trace.
        .target(name: "Runner", dependencies: ["IoUring", "CIoUring", "Scenario", "Checker", "Planner"]),
        .executableTarget(
            name: "ringscript",
            dependencies: [
                "CMalloc",
                "IoUring",
                "Scenario",
                "Checker",
                "Runner",
                "Planner",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The Swift runtime (and what the command line needs of Foundation) linked in: a scenario run
            // is often a whole process, and resolving the runtime's shared libraries at every start cost
            // about 2 ms of it (bench/run.sh, "1-op scenario").
            linkerSettings: [
                .unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release)),
                // Linked with lld: gold prints glibc's link-time note on `mktemp` for every static link, though
                // nothing ringscript runs calls it. The reference comes from the argument parser's
                // FoundationEssentials (its `LocalizedError` cast pulls in CocoaError, FileManager and
                // Data+Writing.swift.o, whose `createTemporaryFile` serves `Data.write(options: .atomic)`
                // and opens mktemp's name with O_CREAT|O_EXCL, retrying, as mkstemp does). README, "Release
                // builds".
                .unsafeFlags(["-use-ld=lld"], .when(platforms: [.linux], configuration: .release)),
                // What FoundationEssentials (the argument parser's) needs when it is linked in statically.
                .linkedLibrary("_FoundationCollections", .when(platforms: [.linux], configuration: .release)),
                .linkedLibrary("_FoundationCShims", .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        .testTarget(name: "IoUringTests", dependencies: ["IoUring"]),
        .testTarget(name: "ringscriptTests", dependencies: ["ringscript"]),
        .testTarget(name: "CheckerTests", dependencies: ["Checker"]),
        .testTarget(name: "PlannerTests", dependencies: ["Planner", "Scenario"], resources: [.copy("Fixtures")]),
        .testTarget(name: "RunnerTests", dependencies: ["Runner", "Planner", "Scenario", "Checker", "IoUring"],
                    exclude: ["RunFixtures"]),
        .testTarget(name: "ScenarioTests", dependencies: ["Scenario"], resources: [.copy("Fixtures")]),
    ]
)
