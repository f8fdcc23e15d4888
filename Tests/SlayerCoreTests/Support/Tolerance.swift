import SlayerCore
import Testing

/// The one tolerance check of the suite: every element must satisfy |a − e| ≤ atol + rtol·|e|.
///
/// On failure it reports the worst element (largest excess over its bound), its index, and how many
/// elements failed, at the caller's source location.
func expectClose(
  _ actual: [Double], _ expected: [Double], atol: Double, rtol: Double, _ what: String,
  seed: UInt64? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
  guard actual.count == expected.count else {
    Issue.record(Comment(rawValue: "\(what): \(actual.count) values, expected \(expected.count)"), sourceLocation: sourceLocation)
    return
  }
  var failures = 0, worst = -1, worstExcess = -Double.infinity
  for i in actual.indices {
    let bound = atol + rtol * abs(expected[i])
    let excess = abs(actual[i] - expected[i]) - bound
    if !(excess <= 0) { failures += 1 }
    if excess > worstExcess || excess.isNaN { worstExcess = excess; worst = i }
    if excess.isNaN { break }
  }
  if failures > 0 {
    let seedText = seed.map { " (seed \($0))" } ?? ""
    let text = "\(what)\(seedText): \(failures) of \(actual.count) elements outside |a − e| ≤ \(atol) + \(rtol)·|e|; "
        + "worst at [\(worst)]: actual \(actual[worst]), expected \(expected[worst])"
    Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
  }
}

func expectClose<S: SpikeScalar, T: SpikeScalar>(
  _ actual: [S], _ expected: [T], atol: Double, rtol: Double, _ what: String,
  seed: UInt64? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
  expectClose(actual.map(\.double), expected.map(\.double), atol: atol, rtol: rtol, what, seed: seed,
              sourceLocation: sourceLocation)
}

/// ‖a − b‖₂ / ‖b‖₂.
func relativeNormError(_ a: [Double], _ b: [Double]) -> Double {
  var num = 0.0, den = 0.0
  for i in a.indices { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i] }
  return (num / den).squareRoot()
}
