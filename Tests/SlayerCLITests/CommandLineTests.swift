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
