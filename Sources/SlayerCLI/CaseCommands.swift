import Foundation
import SlayerCore
import SlayerIO

/// `slayer run | check | compare`: the case format (`Docs/CaseFormat.md`).
enum CaseCommands {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["threads"], flags: [])
    let dir = URL(fileURLWithPath: try a.expectPositional(["CASE"])[0])
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let result = try CaseRunner.run(dir)
    print("wrote \(dir.appendingPathComponent("expected").path)/ (\(result.summary))")
    return 0
  }

  static func check(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["threads"], flags: [])
    let dir = URL(fileURLWithPath: try a.expectPositional(["CASE"])[0])
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let comparison = try CaseRunner.check(dir)
    print(comparison.report())
    return comparison.agrees ? 0 : 1
  }

  static func compare(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: [], flags: [])
    let p = try a.expectPositional(["CASE", "ACTUAL_DIR"])
    let comparison = try CaseRunner.compare(URL(fileURLWithPath: p[0]), actual: URL(fileURLWithPath: p[1]))
    print(comparison.report())
    return comparison.agrees ? 0 : 1
  }
}

/// `slayer gradcheck CASE`: backprop against finite differences on the case's smooth twin.
enum GradcheckCommand {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["step", "threshold", "threads"], flags: ["input"])
    let dir = URL(fileURLWithPath: try a.expectPositional(["CASE"])[0])
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let step = try double(a, "step", default: 1e-3)
    let threshold = try double(a, "threshold", default: 1e-6)
    if TSSLCase.declares(dir) {
      return try TSSLGradcheckCommand.run(dir, step: step, threshold: threshold, includeInput: a.flag("input"))
    }
    let c = try SlayerCase.load(dir)
    guard let loss = c.loss else {
      throw IOError(file: dir.appendingPathComponent("case.json").path,
                    message: "loss: a gradient check needs a loss; this case has none")
    }
    print("gradient check of \(dir.path): smooth twin (spike → F with F′ = ρ/Ts, ν = 0) in Double, "
          + "4th-order central differences, step \(step)·max(1, |w|)")
    let clock = ContinuousClock(), start = clock.now
    let entries = GradientCheck.run(c.network, input: c.input, loss: loss, step: step, includeInput: a.flag("input"))
    var worst = 0.0
    for e in entries {
      worst = max(worst, e.worstRelativeError)
      let verdict = e.worstRelativeError <= threshold ? "ok" : "FAIL"
      print("  \(e.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(pad(e.count, 7)) elements  worst relative error \(String(format: "%.3e", e.worstRelativeError)) "
            + "at \(indexText(e, c))  (backprop \(String(format: "%.9g", e.analytic)), finite difference \(String(format: "%.9g", e.numeric)))  "
            + "norm-wise \(String(format: "%.3e", e.normwiseError))  \(verdict)")
    }
    print("worst relative error \(String(format: "%.3e", worst)) (threshold \(threshold)); \(fmt(seconds(clock.now - start), 2)) s")
    return worst <= threshold ? 0 : 1
  }

  /// `[o, i]` for weights, `(n, c, h, w, t)` for the input.
  static func indexText(_ e: GradientCheck.Entry, _ c: SlayerCase) -> String {
    if e.name == "input" { return "(" + c.input.shape.index(ofOffset: e.worstIndex).map(String.init).joined(separator: ", ") + ")" }
    if let k = Int(e.name.dropFirst(2).prefix { $0.isNumber }), case .dense(let d) = c.network.layers[k] {
      return "[\(e.worstIndex / d.inputs), \(e.worstIndex % d.inputs)]"
    }
    return "[\(e.worstIndex)]"
  }

  static func double(_ a: Arguments, _ name: String, default value: Double) throws -> Double {
    guard let text = a.string(name) else { return value }
    guard let v = Double(text), v > 0, v.isFinite else {
      throw UsageError("option --\(name) expects a positive number, found '\(text)'")
    }
    return v
  }
}

/// `slayer fixtures generate [--out DIR]`: writes the golden-case library (default `Fixtures/`).
enum FixturesCommand {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["out", "threads"], flags: [])
    guard a.positional == ["generate"] else {
      throw UsageError("expected 'fixtures generate', found 'fixtures \(a.positional.joined(separator: " "))'")
    }
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let root = URL(fileURLWithPath: a.string("out") ?? "Fixtures")
    for line in try FixtureLibrary.generate(into: root) { print(line) }
    print("wrote \(FixtureLibrary.definitions.count) cases to \(root.path)/")
    return 0
  }
}
