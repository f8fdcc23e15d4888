@testable import SlayerCore
import Testing

/// TSSL-BP's kernel and count losses and its decision (`tssl-bp.md` §3.3, §4.1, §4.2, §10.4).
@Suite("TSSL-BP losses")
struct TSSLBPLossTests {
  static let neuron5 = TSSLNeuron<Double>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: 5)

  /// The authors' `psp`: syn ← syn − syn/τs + x[t], out[t] = syn/τs (the recursion, not the kernel sum).
  static func recursivePSP(_ x: [Double], tauS: Double) -> [Double] {
    var syn = 0.0
    return x.map { v in
      syn = syn - syn / tauS + v
      return syn / tauS
    }
  }

  @Test("desired patterns: final [0,1,1,1,1], paper [0,1,0,1,1] for T = 5; [0,1,0,1,…] for T ≥ 10; T = 7 rejected")
  func patterns() {
    #expect(DesiredPattern.final.train(steps: 5) == [0, 1, 1, 1, 1])
    #expect(DesiredPattern.paper.train(steps: 5) == [0, 1, 0, 1, 1])
    #expect(DesiredPattern.final.train(steps: 20) == DesiredPattern.paper.train(steps: 20))
    #expect(DesiredPattern.final.train(steps: 20) == (0..<20).map { Double($0 % 2) })
    #expect(!DesiredPattern.accepts(steps: 7) && !DesiredPattern.accepts(steps: 15) && !DesiredPattern.accepts(steps: 10 - 5 + 1))
    #expect(DesiredPattern.accepts(steps: 5) && DesiredPattern.accepts(steps: 30))
  }

  @Test("kernel loss: â is ε*d (paper) or ε*(ε*d) (final), as the authors' recursive psp gives; ∂E/∂a = a − â")
  func kernelLoss() {
    let n = Self.neuron5
    for pattern in DesiredPattern.allCases {
      var expected = pattern.train(steps: 5)
      for _ in 0..<pattern.filterPasses { expected = Self.recursivePSP(expected, tauS: 3) }
      expectClose(TSSLKernelLoss(labels: [0], pattern: pattern).target(n), expected, atol: 1e-15, rtol: 0, "â, \(pattern)")
    }
    // Batch 2, 3 classes: labels 2 and 0.
    var rng = SplitMix64(seed: 5)
    let a = Tensor<Double>(shape: Shape(n: 2, c: 3, t: 5), scalars: (0..<30).map { _ in rng.uniform(0, 1) })
    let loss = TSSLLoss.kernel(TSSLKernelLoss(labels: [2, 0], pattern: .final))
    let target = TSSLKernelLoss(labels: [], pattern: .final).target(n)
    let e = loss.evaluate(a, n)
    var sum = 0.0
    for row in 0..<6 {
      let isTrue = (row == 2 || row == 3)
      for t in 0..<5 {
        let d = a.scalars[row * 5 + t] - (isTrue ? target[t] : 0)
        sum += d * d
        #expect(e.gradient.scalars[row * 5 + t] == d, "seed 5: row \(row), t \(t)")
      }
    }
    #expect(abs(e.loss - 0.5 * sum) < 1e-14, "seed 5: E = ½Σ(a − â)², summed over batch, neurons and steps")
  }

  @Test("count loss: the one-sided hinge per output, E = ½·T·Σ Δ², ∂E/∂a = Δ at every step")
  func countLoss() {
    let t = 10
    // Sample 0 is class 0. Row sums: 20 (true, over: no loss), 5 (false, over 3: loss),
    // 1 (false, under 3: no loss); sample 1 is class 2: sums 2 (false, under: none),
    // 4 (false, over: loss), 8 (true, under 15: loss).
    let sums = [20.0, 5, 1, 2, 4, 8]
    let a = Tensor<Double>(shape: Shape(n: 2, c: 3, t: t), scalars: sums.flatMap { [Double](repeating: $0 / Double(t), count: t) })
    let l = TSSLCountLoss(labels: [0, 2], desired: 15, undesired: 3)
    let delta = l.delta(a)
    let expected: [Double] = [0, 0.2, 0, 0, 0.1, -0.7]  // (5 − 3)/10, (4 − 3)/10, (8 − 15)/10
    expectClose(delta, expected, atol: 1e-15, rtol: 0, "Δ")
    #expect(l.activeRows(a) == [false, true, false, false, true, true])
    let e = TSSLLoss.count(l).evaluate(a, TSSLNeuron<Double>(TSSLParameters(tauM: 8, tauS: 4, theta: 1), steps: t))
    #expect(abs(e.loss - 0.5 * Double(t) * expected.reduce(0) { $0 + $1 * $1 }) < 1e-14)
    for row in 0..<6 { #expect(e.gradient.scalars[row * t..<(row + 1) * t].allSatisfy { $0 == delta[row] }, "row \(row)") }
  }

  @Test("count loss with desired = undesired: two-sided, as the authors' comparison of target values makes it")
  func countLossTwoSided() {
    let t = 4
    let a = Tensor<Double>(shape: Shape(n: 1, c: 2, t: t), scalars: [2, 2, 2, 2, 0, 0, 0, 0])
    let delta = TSSLCountLoss(labels: [0], desired: 3, undesired: 3).delta(a)
    let expected: [Double] = [1.25, -0.75]  // (8 − 3)/4 and (0 − 3)/4
    #expect(delta == expected, "over- and under-firing both penalised: \(delta)")
  }

  @Test("∂E/∂a of both losses equals central differences of E (away from the hinge)")
  func gradients() {
    let n = TSSLNeuron<Double>(TSSLParameters(tauM: 8, tauS: 4, theta: 1), steps: 10)
    var rng = SplitMix64(seed: 9)
    let a = Tensor<Double>(shape: Shape(n: 2, c: 3, t: 10), scalars: (0..<60).map { _ in rng.uniform(0, 1) })
    for loss in [TSSLLoss.kernel(TSSLKernelLoss(labels: [1, 2], pattern: .paper)),
                 .count(TSSLCountLoss(labels: [1, 2], desired: 8, undesired: 3))] {
      let analytic = loss.evaluate(a, n).gradient.scalars
      let numeric = GradientCheck.differences(a.scalars, step: 1e-4) { loss.value(Tensor(shape: a.shape, scalars: $0), n) }
      let entry = GradientCheck.compare(name: "\(loss)", analytic: analytic, numeric: numeric)
      #expect(entry.worstRelativeError < 1e-6, "seed 9: \(entry)")
    }
  }

  @Test("prediction: argmax of Σ_t a, ties to the lowest index; a late spike counts less")
  func prediction() {
    let a = Tensor<Double>(shape: Shape(n: 3, c: 2, t: 2), scalars: [1, 1, 0.5, 0.5, 0, 0, 0, 0, 0.2, 0.1, 0.1, 0.3])
    #expect(TSSLClassifier.pscSums(a) == [2, 1, 0, 0, 0.30000000000000004, 0.4])
    #expect(TSSLClassifier.predict(a) == [0, 0, 1])
    let n = TSSLNeuron<Double>(TSSLParameters(tauM: 5, tauS: 4, theta: 1), steps: 10)
    let early = TSSLBP.forward(Tensor(shape: Shape(n: 1, c: 1, t: 10), scalars: [2, 0, 0, 0, 0, 0, 0, 0, 0, 0]), n)
    let late = TSSLBP.forward(Tensor(shape: Shape(n: 1, c: 1, t: 10), scalars: [0, 0, 0, 0, 0, 0, 0, 0, 2, 0]), n)
    let sEarly = TSSLClassifier.pscSums(early.psc)[0], sLate = TSSLClassifier.pscSums(late.psc)[0]
    let tailEarly = (0..<10).reduce(1.0) { r, _ in r * 0.75 }
    #expect(abs(sEarly - (1 - tailEarly)) < 1e-15, "Σ_t a of a spike at t = 0 is 1 − (1 − 1/τs)^T")
    #expect(abs(sLate - (1 - 0.5625)) < 1e-15 && sLate < sEarly, "a spike at t = 8 of 10 counts 1 − 0.75²")
  }
}
