// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "steertop",
    products: [
        .executable(name: "steertop", targets: ["steertop"]),
        .library(name: "SteerKit", targets: ["SteerKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // Thin C shims: one for ncursesw (only SteerTUI's curses backend imports it),
        // one for the Linux calls Swift's Glibc module does not expose (setns, fsopen, ...).
        .systemLibrary(
            name: "CNcursesw",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        .target(name: "CSteerLinux"),
        // The loader of steertop's BPF programs over libbpf (libbpf-dev to build, libbpf1 to
        // run); bpf/ holds the programs, which the BPFObject plugin compiles for SteerKit.
        .target(
            name: "CSteerTrace",
            exclude: ["bpf"],
            linkerSettings: [.linkedLibrary("bpf")]
        ),
        .plugin(name: "BPFObject", capability: .buildTool()),
        // The system's libzstd and zlib for compressed recordings (.jsonl.zst, .jsonl.gz):
        // only SteerKit's Recording/Compression.swift imports it.
        .systemLibrary(
            name: "CSteerCompress",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev", "zlib1g-dev"])]
        ),

        // The core: observation, steering, throughput, recording, statistics, lab.
        // It knows nothing of ncurses or the command line.
        .target(
            name: "SteerKit",
            dependencies: [
                "CSteerLinux", "CSteerCompress",
                "CSteerTrace",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            plugins: ["BPFObject"]
        ),
        // Cell buffer, panels, themes and the curses backend.
        .target(name: "SteerTUI", dependencies: ["SteerKit", "CNcursesw"]),
        .executableTarget(
            name: "steertop",
            dependencies: [
                "SteerKit", "SteerTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // In-process benchmarks driven by the scripts in benchmarks/.
        .executableTarget(name: "steerbench", dependencies: ["SteerKit", "SteerTUI"]),

        .testTarget(name: "SteerKitTests", dependencies: ["SteerKit"], exclude: ["Fixtures"]),
        .testTarget(name: "SteerTUITests", dependencies: ["SteerTUI", "SteerKit"]),
        .testTarget(name: "SteertopTests", dependencies: ["steertop", "SteerKit"]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (fuzz/run): only when STEERFUZZ is set, as they build with
// -sanitize=fuzzer (libFuzzer's main) and would not link in a normal build.
if Context.environment["STEERFUZZ"] != nil {
    package.targets.append(.executableTarget(name: "steerfuzz", dependencies: ["SteerKit", "SteerTUI"]))
    package.products.append(.executable(name: "steerfuzz", targets: ["steerfuzz"]))
}
