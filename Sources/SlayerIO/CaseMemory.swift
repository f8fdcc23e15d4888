// The resource limit of a case (issue 8): the memory a run needs is estimated from the shapes
// alone, once `case.json` and the headers of its arrays are read and before the input tensor,
// the kernels or any intermediate tensor is built, so that a small file cannot make the oracle
// allocate terabytes (or be killed by the system half way).
//
// The figure is an upper estimate of the peak, in bytes, of `slayer run` in Float:
//
//   forward    4 · (input + Σ_k out_k + Σ_{spike k} out_k)       the trace keeps every value and
//                                                                the potential u of each spike op
//   backward   4 · (input + Σ_k out_k)              with a loss: one gradient per op (an upper bound:
//                                                                 backward keeps fewer at a time)
//   weights    4 · 2 · Σ parameters                               values and gradients
//   kernels    2 · 12 · T                                         ε and ν in Double and Float, each
//                                                                 at most T samples long
//
// `check` and `compare` also read `expected/` (about the forward and backward figures again);
// `gradcheck` runs the case in Double (twice the figure). Both are left to the margin of the
// default limit, which is a guard against absurd cases, not an accountant.
import Foundation

/// The memory estimate of one case and the check against a limit.
struct CaseMemory {
  /// An element count beyond which shape arithmetic could overflow `Int`: refused outright,
  /// whatever the memory limit (2⁴⁰ Float elements would be 4 TB).
  static let maxElements = 1 << 40

  /// The estimate, in bytes (saturating at `Int.max`).
  let bytes: Int
  /// The largest single tensor: its field (`input`, `ops[3]`), shape and bytes, for the message.
  let largest: (field: String, shape: [Int], bytes: Double)

  /// The estimate for an input of shape `input`, ops with output shapes `outputs` and names
  /// `names`, learnable tensors of `parameters` shapes, with or without a loss, on T = `steps`.
  init(input: [Int], outputs: [[Int]], names: [String], parameters: [Int: [Int]], hasLoss: Bool,
       steps: Int) {
    // Double throughout: every count is ≤ 2⁴⁰ (`maxElements`), so the sums are exact enough and
    // cannot overflow.
    func count(_ shape: [Int]) -> Double { shape.reduce(1.0) { $0 * Double($1) } }
    var values = count(input), largest = ("input", input, 4 * count(input))
    var potentials = 0.0
    for (k, shape) in outputs.enumerated() {
      let n = count(shape)
      values += n
      if names.indices.contains(k), names[k] == "spike" { potentials += n }
      if 4 * n > largest.2 { largest = ("ops[\(k)]", shape, 4 * n) }
    }
    let weights = parameters.values.reduce(0.0) { $0 + count($1) }
    let total = 4 * (values + potentials) + (hasLoss ? 4 * values : 0) + 8 * weights
      + 24 * Double(steps)
    bytes = total < Double(Int.max) ? Int(total) : Int.max
    self.largest = largest
  }

  /// Throws unless the estimate is within `limit` bytes; the message gives both figures.
  func check(limit: Int, file: String) throws {
    guard bytes > limit else { return }
    throw IOError(file: file, message: "memory: expected a case needing at most "
      + "\(Self.text(Double(limit))) (the memory limit; raise it with --max-memory GB), found an "
      + "estimated \(Self.text(Double(bytes))) for its tensors (the largest, \(largest.field) of shape "
      + "\(Npy.tupleText(largest.shape)), alone \(Self.text(largest.bytes))); refused before allocating them")
  }

  /// `4.29 GB (4294967296 bytes)`: decimal gigabytes, as `--max-memory` takes them.
  static func text(_ bytes: Double) -> String {
    let exact = bytes < 9e18 ? "\(Int(bytes))" : "\(bytes)"
    return String(format: "%.2f GB", bytes / 1e9) + " (\(exact) bytes)"
  }
}
