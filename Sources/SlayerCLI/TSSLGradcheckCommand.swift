import Foundation
import SlayerCore
import SlayerIO

/// `slayer gradcheck CASE` for a TSSL-BP case: backprop of the final rule against central
/// differences of the auxiliary model (`tssl-bp.md` §5.6, ``TSSLGradientCheck``), in `Double`.
enum TSSLGradcheckCommand {
  static func run(_ dir: URL, step: Double, threshold: Double, includeInput: Bool, memoryLimit: Int) throws -> Int32 {
    let c = try TSSLCase.load(dir, memoryLimit: memoryLimit)
    let file = dir.appendingPathComponent(SlayerCase.fileName).path
    guard let loss = c.loss else { throw IOError(file: file, message: "loss: a gradient check needs a loss; this case has none") }
    guard c.network.neuron.rule == .final else {
      throw IOError(file: file, message: "neuron.rule: expected \"final\" for a gradient check (the paper-era rule is the "
        + "gradient of no model, tssl-bp.md §5.3), found \"paper\"")
    }
    print("gradient check of \(dir.path): TSSL-BP final rule against the auxiliary model (spike pattern frozen, "
          + "tssl-bp.md §5.6) in Double, 4th-order central differences, step \(step)·max(1, |w|)")
    let clock = ContinuousClock(), start = clock.now
    let report = TSSLGradientCheck.run(c.network, input: c.input, loss: loss, step: step, includeInput: includeInput)
    print("  branches exercised: \(report.coverage)")
    for e in report.entries {
      print("  \(e.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(pad(e.count, 7)) elements  worst relative error "
            + "\(String(format: "%.3e", e.worstRelativeError)) at [\(e.worstIndex)]  (backprop \(String(format: "%.9g", e.analytic)), "
            + "finite difference \(String(format: "%.9g", e.numeric)))  norm-wise \(String(format: "%.3e", e.normwiseError))  "
            + (e.worstRelativeError <= threshold ? "ok" : "FAIL"))
    }
    let worst = report.worstRelativeError
    print("worst relative error \(String(format: "%.3e", worst)) (threshold \(threshold)); \(fmt(seconds(clock.now - start), 2)) s")
    return worst <= threshold ? 0 : 1
  }
}
