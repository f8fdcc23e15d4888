// swift-tools-version: 6.0
// The SLAYER reference implementation: a dependency-free oracle for spiking-network backends.
import PackageDescription

let package = Package(
  name: "slayer-reference",
  products: [
    .library(name: "SlayerCore", targets: ["SlayerCore"]),
    .library(name: "SlayerIO", targets: ["SlayerIO"]),
    .executable(name: "slayer", targets: ["SlayerCLI"]),
  ],
  targets: [
    // The equations: Swift standard library and Dispatch only.
    .target(name: "SlayerCore"),
    // Files: NumPy .npy, the JSON case format, atomic writes (Foundation allowed here).
    .target(name: "SlayerIO", dependencies: ["SlayerCore"]),
    // The `slayer` command.
    .executableTarget(name: "SlayerCLI", dependencies: ["SlayerCore", "SlayerIO"]),
    // Fuzz targets over the parsers: run by libFuzzer (`.ci/fuzz`), replayed on the crash corpus by the tests.
    .target(name: "SlayerFuzzing", dependencies: ["SlayerCore", "SlayerIO"]),
    .testTarget(name: "SlayerCoreTests", dependencies: ["SlayerCore"]),
    .testTarget(name: "SlayerIOTests", dependencies: ["SlayerCore", "SlayerIO"]),
    .testTarget(name: "SlayerCLITests", dependencies: ["SlayerCLI", "SlayerCore", "SlayerIO"]),
    .testTarget(name: "SlayerFuzzingTests", dependencies: ["SlayerFuzzing", "SlayerIO"], exclude: ["Corpus"]),
    // Docs/: every worked number recomputed, every cheap picture redrawn.
    .testTarget(name: "DocsTests", dependencies: ["SlayerCore", "SlayerIO", "SlayerCLI"]),
  ]
)
