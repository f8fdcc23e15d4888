import Foundation
@testable import SlayerIO
import Testing

/// `Docs/examples/compare_fixtures.py`, the NumPy-only comparison for backend authors, agrees with
/// `slayer compare`: the oracle's own outputs pass, a 1 % gradient error fails with the case and the
/// file named, a flipped borderline spike is excused. Skipped where python3 with numpy is absent.
@Suite("Fixture comparison script")
struct FixtureScriptTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let fixtures = repository.appendingPathComponent("Fixtures")
  static let script = repository.appendingPathComponent("Docs/examples/compare_fixtures.py")

  /// Runs `python3 arguments…`; nil when python3 cannot be started.
  static func python(_ arguments: [String]) -> (status: Int32, output: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// True when `python3 -c "import numpy"` works; otherwise prints the skip and returns false.
  static func numpyAvailable() -> Bool {
    if python(["-c", "import numpy"])?.status == 0 { return true }
    print("SKIPPED: python3 with numpy not available")
    return false
  }

  /// A temporary ACTUAL_ROOT where `<case>/` is a copy of `Fixtures/<case>/expected`.
  static func oracleOutputs() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-script-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    for d in FixtureLibrary.definitions {
      try FileManager.default.copyItem(at: fixtures.appendingPathComponent(d.name).appendingPathComponent("expected"),
                                       to: root.appendingPathComponent(d.name))
    }
    return root
  }

  @Test("the oracle's own outputs agree: exit 0")
  func oracleAgrees() throws {
    guard Self.numpyAvailable() else { return }
    let actual = try Self.oracleOutputs()
    defer { try? FileManager.default.removeItem(at: actual) }
    let r = try #require(Self.python([Self.script.path, Self.fixtures.path, actual.path]))
    #expect(r.status == 0, "\(r.output)")
    #expect(r.output.contains("agree: \(FixtureLibrary.definitions.count) of \(FixtureLibrary.definitions.count) cases ok"))
    #expect(!r.output.contains("FAIL"))
  }

  @Test("one gradient element 1 % off: exit 1, naming the case and the file")
  func perturbedGradientFails() throws {
    guard Self.numpyAvailable() else { return }
    let actual = try Self.oracleOutputs()
    defer { try? FileManager.default.removeItem(at: actual) }
    let file = actual.appendingPathComponent("dense-2layer-spiketime/grad.op1.weights.npy")
    var g = try Npy.read(file)
    let i = try #require(g.values.indices.max { abs(g.values[$0]) < abs(g.values[$1]) })
    g.values[i] *= 1.01
    try Npy.write(file, shape: g.shape, float32: g.values.map { Float($0) })
    let r = try #require(Self.python([Self.script.path, Self.fixtures.path, actual.path]))
    #expect(r.status == 1, "\(r.output)")
    let line = r.output.split(separator: "\n").first { $0.contains("FAIL") }.map(String.init) ?? ""
    #expect(line.hasPrefix("dense-2layer-spiketime/grad.op1.weights.npy (8, 20): FAIL, 1 of 160 elements; worst at [\(i)]"),
            "\(r.output)")
    #expect(r.output.contains("DISAGREE: \(FixtureLibrary.definitions.count - 1) of"))
    // slayer compare says the same.
    let comparison = try CaseRunner.compare(Self.fixtures.appendingPathComponent("dense-2layer-spiketime"),
                                            actual: actual.appendingPathComponent("dense-2layer-spiketime"))
    #expect(comparison.entries.filter { !$0.agrees }.map(\.name) == ["grad.op1.weights.npy"])
  }

  @Test("flipped spikes at the borderline crossing are excused by both the script and slayer compare")
  func borderlineSpikeExcused() throws {
    let actual = try Self.oracleOutputs()
    defer { try? FileManager.default.removeItem(at: actual) }
    let dir = actual.appendingPathComponent("borderline-crossing")
    let file = dir.appendingPathComponent("op2.npy")
    var s = try Npy.read(file)
    let t = s.shape[4]
    (s.values[t - 1], s.values[2 * t - 1]) = (0, 1)  // θ + 5e-5 not firing, θ − 5e-5 firing
    try Npy.write(file, shape: s.shape, float32: s.values.map { Float($0) })
    let comparison = try CaseRunner.compare(Self.fixtures.appendingPathComponent("borderline-crossing"), actual: dir)
    #expect(comparison.agrees, "\(comparison.report())")
    #expect(comparison.entries.first { $0.name == "op2.npy" }?.note.contains("2 spike(s) differ") == true)
    guard Self.numpyAvailable() else { return }
    let r = try #require(Self.python([Self.script.path, Self.fixtures.path, actual.path, "borderline-crossing"]))
    #expect(r.status == 0, "\(r.output)")
    #expect(r.output.contains("borderline-crossing/op2.npy (2, 2, 1, 1, 12): ok")
            && r.output.contains("2 spike(s) differ where the expected |u - theta| < 0.001, allowed"), "\(r.output)")
  }

  @Test("bad input: exit 2")
  func badInput() throws {
    guard Self.numpyAvailable() else { return }
    let missing = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-none-\(UUID().uuidString)").path
    #expect(Self.python([Self.script.path, Self.fixtures.path, missing])?.status == 2)
    #expect(Self.python([Self.script.path])?.status == 2)
    #expect(Self.python([Self.script.path, Self.fixtures.path, Self.fixtures.path, "no-such-case"])?.status == 2)
  }
}
