// The libFuzzer entry points over `SlayerFuzzing`'s targets. Not part of the package: `.ci/fuzz`
// compiles it with `swiftc -sanitize=fuzzer` together with the package's modules, which it builds
// with coverage instrumentation (SwiftPM cannot link an executable whose `main` is libFuzzer's).
//
// Environment: SLAYER_FUZZ_TARGET (npy, case, events, yaml, list), SLAYER_FIXTURES (the fixture
// library, default `Fixtures`), SLAYER_FUZZ_SEEDS (a directory to write the target's seeds into
// before fuzzing starts).
import Foundation
import SlayerFuzzing

nonisolated(unsafe) private var target = FuzzTarget.npy
nonisolated(unsafe) private var context = FuzzContext(arrays: [:])

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> CInt {
  let environment = ProcessInfo.processInfo.environment
  let name = environment["SLAYER_FUZZ_TARGET"] ?? ""
  guard let chosen = FuzzTarget(rawValue: name) else {
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
    FileHandle.standardError.write(Data("SLAYER_FUZZ_TARGET: expected one of \(names), found '\(name)'\n".utf8))
    exit(2)
  }
  target = chosen
  let fixtures = URL(fileURLWithPath: environment["SLAYER_FIXTURES"] ?? "Fixtures")
  context = FuzzContext(fixtures: fixtures)
  if let dir = environment["SLAYER_FUZZ_SEEDS"] {
    let url = URL(fileURLWithPath: dir)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    for (i, seed) in target.seeds(context: context, fixtures: fixtures).enumerated() {
      try? Data(seed).write(to: url.appendingPathComponent("seed-\(i)"))
    }
  }
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  target.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [], context: context)
  return 0
}
