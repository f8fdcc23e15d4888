import Foundation
import Testing

/// The `slayer` command as a user meets it: exit codes and messages for bad input.
@Suite("Command line")
struct CommandLineTests {
  /// The built `slayer` next to the test bundle (`swift test` builds it: this target depends on it).
  static var binary: URL? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("slayer")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug/slayer")
    return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
  }

  struct Run { var status: Int32; var stdout: String; var stderr: String }

  static func slayer(_ args: [String]) throws -> Run? {
    guard let binary else {
      print("SKIPPED: the slayer binary was not found next to the tests")
      return nil
    }
    let p = Process()
    p.executableURL = binary
    p.arguments = args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }

  @Test("bad arguments exit 2 with a message naming what was expected and what came", arguments: [
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["run"], "expected 1 argument(s) <CASE>, found 0"),
    (["run", "a", "b"], "expected 1 argument(s) <CASE>, found 2"),
    (["compare", "a"], "expected 2 argument(s) <CASE> <ACTUAL_DIR>"),
    (["demo", "--seed"], "option --seed expects a value"),
    (["demo", "--seed", "x"], "option --seed expects an integer"),
    (["demo", "--speed", "3"], "unknown option --speed"),
    (["gradcheck", "case", "--step", "-1"], "option --step expects a positive number, found '-1'"),
    (["run", "/nonexistent/case"], "/nonexistent/case"),
    (["check", "/nonexistent/case"], "/nonexistent/case"),
    (["gradcheck", "/nonexistent/case"], "/nonexistent/case"),
  ])
  func badArguments(args: [String], fragment: String) throws {
    guard let r = try Self.slayer(args) else { return }
    #expect(r.status == 2, "slayer \(args.joined(separator: " ")): exit \(r.status), stderr: \(r.stderr)")
    #expect(r.stderr.contains(fragment), "slayer \(args.joined(separator: " ")): stderr was: \(r.stderr)")
  }

  @Test("help exits 0 and lists every command")
  func help() throws {
    guard let r = try Self.slayer(["help"]) else { return }
    #expect(r.status == 0)
    for command in ["demo", "run", "check", "compare", "gradcheck"] { #expect(r.stdout.contains("slayer \(command)")) }
  }
}

extension CommandLineTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

  @Test("run, check and compare on a fixture: 0 when they agree, 1 when a backend's gradient is off")
  func caseCommands() throws {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-cli-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: temp) }
    let source = Self.fixtures.appendingPathComponent("spike-burst-window-edges")
    try FileManager.default.copyItem(at: source, to: temp)
    guard let check = try Self.slayer(["check", temp.path]) else { return }
    #expect(check.status == 0, "check: \(check.stdout)\(check.stderr)")
    let run = try Self.slayer(["run", temp.path])!
    #expect(run.status == 0 && run.stdout.contains("wrote"), "run: \(run.stdout)\(run.stderr)")
    // A backend whose weight gradient is 1 % off in one element.
    let actual = temp.appendingPathComponent("actual")
    try FileManager.default.copyItem(at: temp.appendingPathComponent("expected"), to: actual)
    let file = actual.appendingPathComponent("grad.op1.weights.npy")
    var bytes = try Data(contentsOf: file)
    let offset = bytes.count - 4  // the last float32
    var value = bytes.subdata(in: offset..<bytes.count).withUnsafeBytes { $0.loadUnaligned(as: Float.self) }
    value *= 1.01
    withUnsafeBytes(of: value) { bytes.replaceSubrange(offset..<bytes.count, with: $0) }
    try bytes.write(to: file)
    let compare = try Self.slayer(["compare", temp.path, actual.path])!
    #expect(compare.status == 1, "compare: \(compare.stdout)")
    #expect(compare.stdout.contains("grad.op1.weights.npy"))
    let same = try Self.slayer(["compare", temp.path, temp.appendingPathComponent("expected").path])!
    #expect(same.status == 0, "compare with itself: \(same.stdout)")
  }
}

extension CommandLineTests {
  @Test("train nmnist --rule: slayer or tsslbp, anything else exits 2 naming the choices")
  func trainRule() throws {
    guard let r = try Self.slayer(["train", "nmnist", "--rule", "stdp", "--data", "/nonexistent"]) else { return }
    #expect(r.status == 2 && r.stderr.contains("option --rule expects slayer or tsslbp, found 'stdp'"), "\(r.stderr)")
    let b = try Self.slayer(["train", "nmnist", "--rule", "tsslbp", "--data", "/nonexistent", "--backward", "head"])!
    #expect(b.status == 2 && b.stderr.contains("option --backward expects final or paper, found 'head'"), "\(b.stderr)")
    let d = try Self.slayer(["train", "nmnist", "--rule", "tsslbp", "--data", "/nonexistent/NMNISTsmall"])!
    #expect(d.status == 2 && d.stderr.contains("/nonexistent/NMNISTsmall/train1K.txt"), "\(d.stderr)")
  }

  @Test("gradcheck on a TSSL-BP fixture: the auxiliary model, exit 0; the paper-era rule: exit 2")
  func tsslGradcheck() throws {
    guard let r = try Self.slayer(["gradcheck", Self.fixtures.appendingPathComponent("tsslbp-lif-kernel").path, "--input"]) else { return }
    #expect(r.status == 0 && r.stdout.contains("auxiliary model") && r.stdout.contains("input"), "\(r.stdout)\(r.stderr)")
    let p = try Self.slayer(["gradcheck", Self.fixtures.appendingPathComponent("tsslbp-paper-rule").path])!
    #expect(p.status == 2 && p.stderr.contains("neuron.rule"), "\(p.stderr)")
  }

  @Test("--max-memory: a limit below the case's need exits 2 naming the figure; a raised one runs it")
  func maxMemory() throws {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-cli-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: temp) }
    try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("op-dense"), to: temp)
    // op-dense needs about 4 kB: its input alone (288 elements, 12 bytes each while read) passes 1 kB.
    guard let low = try Self.slayer(["check", temp.path, "--max-memory", "0.000001"]) else { return }
    #expect(low.status == 2, "check --max-memory 0.000001: exit \(low.status)")
    #expect(low.stderr.contains("at most 0.00 GB (1000 bytes)") && low.stderr.contains("raise it with --max-memory GB"), "\(low.stderr)")
    let between = try Self.slayer(["check", temp.path, "--max-memory", "0.0000035"])!
    #expect(between.status == 2 && between.stderr.contains("memory: expected a case needing at most 0.00 GB (3500 bytes)")
            && between.stderr.contains("found an estimated 0.00 GB (4032 bytes)"), "\(between.stderr)")
    let high = try Self.slayer(["check", temp.path, "--max-memory", "0.001"])!
    #expect(high.status == 0, "check --max-memory 0.001: exit \(high.status): \(high.stderr)")
  }
}
