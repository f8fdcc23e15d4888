import Foundation
import SlayerCore
import SlayerIO

/// `slayer run | check | compare`: the case format (`Docs/CaseFormat.md`).
enum CaseCommands {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["threads", "max-memory"], flags: [])
    let dir = try caseDirectory(a.expectPositional(["CASE"])[0])
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let result = try CaseRunner.run(dir, memoryLimit: a.memoryLimit())
    print("wrote \(dir.appendingPathComponent("expected").path)/ (\(result.summary))")
    return 0
  }

  static func check(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["threads", "max-memory"], flags: [])
    let dir = try caseDirectory(a.expectPositional(["CASE"])[0])
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let comparison = try CaseRunner.check(dir, memoryLimit: a.memoryLimit())
    print(comparison.report())
    return comparison.agrees ? 0 : 1
  }

  static func compare(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["max-memory"], flags: [])
    let p = try a.expectPositional(["CASE", "ACTUAL_DIR"])
    let comparison = try CaseRunner.compare(caseDirectory(p[0]), actual: caseDirectory(p[1], name: "ACTUAL_DIR"),
                                            memoryLimit: a.memoryLimit())
    print(comparison.report())
    return comparison.agrees ? 0 : 1
  }

  /// A directory argument; an empty one would silently mean the working directory.
  static func caseDirectory(_ text: String, name: String = "CASE") throws -> URL {
    guard !text.isEmpty else { throw UsageError("argument <\(name)> expects a directory, found an empty string") }
    return URL(fileURLWithPath: text)
  }
}

/// `slayer gradcheck CASE`: backprop against finite differences on the case's smooth twin.
enum GradcheckCommand {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["step", "threshold", "threads", "max-memory"], flags: ["input"])
    let dir = try CaseCommands.caseDirectory(a.expectPositional(["CASE"])[0])
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let step = try a.positive("step", default: 1e-3)
    let threshold = try a.positive("threshold", default: 1e-6)
    let memoryLimit = try a.memoryLimit()
    if TSSLCase.declares(dir) {
      return try TSSLGradcheckCommand.run(dir, step: step, threshold: threshold, includeInput: a.flag("input"), memoryLimit: memoryLimit)
    }
    let c = try SlayerCase.load(dir, memoryLimit: memoryLimit)
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
}

/// `slayer fixtures generate [--out DIR]`: writes the golden-case library (default `Fixtures/`).
enum FixturesCommand {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["out", "threads"], flags: [])
    guard a.positional == ["generate"] else {
      throw UsageError("expected 'fixtures generate', found 'fixtures \(a.positional.joined(separator: " "))'")
    }
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let root = URL(fileURLWithPath: try a.path("out") ?? "Fixtures")
    for line in try FixtureLibrary.generate(into: root) { print(line) }
    print("wrote \(FixtureLibrary.definitions.count) cases to \(root.path)/")
    return 0
  }
}
