// Checks of training settings that arrive in files (`network.yaml` through `--config`, a
// checkpoint's `state.json` through `--resume`), so that a value the engine cannot run with is an
// error naming the file and field, never a trap half way through training (issue 8): a spike
// region outside the time window or empty after rounding (`NumSpikesLoss.error` requires a
// non-empty part of 0..<T), a time so large that converting it to a sample index would trap, an
// optimizer step count that is negative (`power` loops 0..<step) or beyond reason.
import SlayerCore

/// Checks of training settings read from files.
public enum TrainingCheck {
  /// Throws unless the NumSpikes region `start`…`stop` (ms) covers a non-empty part of the `steps`
  /// samples: 0 ≤ rint(start/Ts) < rint(stop/Ts) ≤ steps, compared in Double before any `Int`.
  ///
  /// - Throws: ``IOError`` naming `file` and `field` (for example `loss.tgtSpikeRegion`).
  public static func region(start: Double, stop: Double, Ts: Double, steps: Int, file: String, field: String) throws {
    let lo = (start / Ts).rounded(.toNearestOrEven), hi = (stop / Ts).rounded(.toNearestOrEven)
    guard lo >= 0, lo < hi, hi <= Double(steps) else {
      throw IOError(file: file, message: "\(field): expected 0 ≤ rint(start/Ts) < rint(stop/Ts) ≤ T = \(steps), found start "
        + "\(text(start)) ms → sample \(text(lo)), stop \(text(stop)) ms → sample \(text(hi))")
    }
  }

  /// Throws unless `value` is finite and within `range`; `expected` describes the range.
  public static func number(_ value: Double, in range: ClosedRange<Double>, expected: String, file: String, field: String) throws {
    guard value.isFinite, range.contains(value) else {
      throw IOError(file: file, message: "\(field): expected \(expected), found \(text(value))")
    }
  }

  /// Throws unless each of the neuron's time constants, θ and the ν truncation is > 0 and scaleRef,
  /// scaleRho ≥ 0 (`Kernels.alpha` requires τ > 0), then as ``NeuronCheck/check(_:_:file:prefix:)``.
  public static func neuron(_ p: NeuronParameters, _ simulation: SimulationParameters, file: String, prefix: String) throws {
    for (key, value) in [("theta", p.theta), ("tauSr", p.tauSr), ("tauRef", p.tauRef), ("tauRho", p.tauRho),
                         ("refKernelEpsilon", p.refKernelEpsilon)] {
      try number(value, in: .leastNonzeroMagnitude...Double.greatestFiniteMagnitude, expected: "a value > 0", file: file,
                 field: "\(prefix).\(key)")
    }
    for (key, value) in [("scaleRef", p.scaleRef), ("scaleRho", p.scaleRho)] {
      try number(value, in: 0...Double.greatestFiniteMagnitude, expected: "a value ≥ 0", file: file, field: "\(prefix).\(key)")
    }
    try NeuronCheck.check(p, simulation, file: file, prefix: prefix)
  }

  /// `3` for an integral value, else Swift's shortest text.
  static func text(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)" }
}
