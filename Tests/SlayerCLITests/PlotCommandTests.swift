import Foundation
import Testing

/// `slayer plot`: pictures from saved outputs; bad input exits 2 naming what was wrong.
@Suite("slayer plot")
struct PlotCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  @Test("bad input exits 2 with a message naming what was expected and what came", arguments: [
    (["plot"], "plot expects a picture"),
    (["plot", "frobnicate"], "expected one of kernels, membrane, raster, learning, training, found 'frobnicate'"),
    (["plot", "kernels", "--tau-sr", "-1"], "option --tau-sr expects a positive number, found '-1'"),
    (["plot", "membrane", "Fixtures/op-psp-spike", "--op", "0"], "option --op expects a spike op of this case (1), found 0 (psp)"),
    (["plot", "raster", "/nonexistent/spikes.npy"], "/nonexistent/spikes.npy"),
    (["plot", "learning", "Fixtures/op-psp-spike"], "summary.json"),
    (["plot", "training", "Fixtures/op-psp-spike/case.json"], "expected 'epochs'"),
  ])
  func badInput(args: [String], fragment: String) throws {
    guard let r = try CommandLineTests.slayer(args) else { return }
    #expect(r.status == 2, "slayer \(args.joined(separator: " ")): exit \(r.status), stderr: \(r.stderr)")
    #expect(r.stderr.contains(fragment), "slayer \(args.joined(separator: " ")): stderr was: \(r.stderr)")
  }

  @Test("membrane of a case that was not run says to run it first")
  func membraneNeedsExpected() throws {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: temp) }
    try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    let source = Self.root.appendingPathComponent("Docs/examples/one-neuron")
    for name in ["case.json", "input.npy", "w.npy", "target.npy"] {
      try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: temp.appendingPathComponent(name))
    }
    guard let r = try CommandLineTests.slayer(["plot", "membrane", temp.path]) else { return }
    #expect(r.status == 2)
    #expect(r.stderr.contains("run `slayer run \(temp.path)` first"), "stderr was: \(r.stderr)")
  }

  @Test("raster of a case's output: exit 0, the spike count, an SVG")
  func raster() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("raster-\(UUID().uuidString).svg")
    defer { try? FileManager.default.removeItem(at: out) }
    guard let r = try CommandLineTests.slayer(["plot", "raster", "Docs/examples/one-neuron/expected/op2.npy", "--out", out.path]) else { return }
    #expect(r.status == 0, "stderr: \(r.stderr)")
    #expect(r.stdout.contains("8 spikes over 2 neurons, Ts 0.1 ms"), "stdout: \(r.stdout)")
    let svg = try String(contentsOf: out, encoding: .utf8)
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
  }
}
