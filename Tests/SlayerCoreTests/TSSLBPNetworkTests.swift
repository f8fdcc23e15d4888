@testable import SlayerCore
import Testing

/// The TSSL-BP network's ops and their adjoints (`tssl-bp.md` §2.3, §3.1): psc, pscPool, stripe
/// dropout, the composed backward, determinism and preconditions.
@Suite("TSSL-BP network", .serialized)
struct TSSLBPNetworkTests {
  /// ⟨f(x), y⟩ = ⟨x, fᵀ(y)⟩ for random x, y, in `Double`.
  static func adjointGap(_ shapeIn: Shape, _ shapeOut: Shape, seed: UInt64, forward: (Tensor<Double>) -> Tensor<Double>,
                         pullback: (Tensor<Double>) -> Tensor<Double>) -> Double {
    var rng = SplitMix64(seed: seed)
    let x = Tensor(shape: shapeIn, scalars: (0..<shapeIn.count).map { _ in rng.uniform(-1, 1) })
    let y = Tensor(shape: shapeOut, scalars: (0..<shapeOut.count).map { _ in rng.uniform(-1, 1) })
    let fx = forward(x), fty = pullback(y)
    let left = zip(fx.scalars, y.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    let right = zip(x.scalars, fty.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    return abs(left - right) / max(abs(left), 1e-300)
  }

  @Test("psc: a constant analog x becomes the ramp x·(1 − (1 − 1/τs)^{t+1}); its pullback is the exact adjoint")
  func psc() {
    let n = TSSLNeuron<Double>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: 6)
    let ramp = TSSLNetwork.psc(Tensor(shape: Shape(n: 1, c: 1, t: 6), scalars: [Double](repeating: 0.9, count: 6)), n)
    let expected = (0..<6).map { t in 0.9 * (1 - (0..<(t + 1)).reduce(1.0) { r, _ in r * (2.0 / 3) }) }
    expectClose(ramp.scalars, expected, atol: 1e-15, rtol: 0, "ramp")
    let shape = Shape(n: 2, c: 3, t: 6)
    let gap = Self.adjointGap(shape, shape, seed: 31, forward: { TSSLNetwork.psc($0, n) }, pullback: { TSSLNetwork.pscPullback($0, n) })
    #expect(gap < 1e-14, "seed 31: ⟨psc x, y⟩ − ⟨x, pscᵀ y⟩ relative \(gap)")
  }

  @Test("pscPool: weight 1.1 per tap, per channel, rows that do not fill a window dropped; exact adjoint")
  func pool() {
    let p = TSSLPool(size: 2)
    let x = Tensor<Double>(shape: Shape(n: 1, c: 2, h: 3, w: 3, t: 1), scalars: (0..<18).map(Double.init))
    let y = p.forward(x)
    #expect(y.shape == Shape(n: 1, c: 2, h: 1, w: 1, t: 1), "3×3 pooled by 2 gives 1×1 (floor)")
    #expect(abs(y.scalars[0] - 1.1 * (0 + 1 + 3 + 4)) < 1e-12 && abs(y.scalars[1] - 1.1 * (9 + 10 + 12 + 13)) < 1e-12, "\(y.scalars)")
    let s = Shape(n: 2, c: 3, h: 6, w: 4, t: 5)
    let gap = Self.adjointGap(s, Shape(n: 2, c: 3, h: 3, w: 2, t: 5), seed: 32, forward: { p.forward($0) },
                              pullback: { p.pullback($0, inputShape: s) })
    #expect(gap < 1e-14, "seed 32: pool adjoint gap \(gap)")
  }

  @Test("stripe dropout: one draw per (sample, channel, row), shared along W; survivors scaled by 1/(1 − p)")
  func stripes() {
    let shape = Shape(n: 3, c: 4, h: 5, w: 6, t: 2)
    let d: Dropout<Float> = .stripes(shape, p: 0.4, seed: 8)
    #expect(d.mask.count == shape.rows)
    for stripe in 0..<(3 * 4 * 5) {
      let row = d.mask[stripe * 6..<(stripe + 1) * 6]
      #expect(Set(row).count == 1 && (row.first == 0 || row.first == Float(1 / 0.6)), "stripe \(stripe): \(Array(row))")
    }
    let dropped = stride(from: 0, to: d.mask.count, by: 6).filter { d.mask[$0] == 0 }.count
    #expect(dropped > 10 && dropped < 40, "seed 8: \(dropped) of 60 stripes dropped at p = 0.4")
  }

  /// psc → conv → lif → pscPool → dropout → dense → lif on spikes, T = 12.
  static func network() -> (TSSLNetwork<Float>, Tensor<Float>, TSSLLoss) {
    var rng = SplitMix64(seed: 41)
    let t = 20
    let neuron = TSSLNeuron<Float>(TSSLParameters(tauM: 8, tauS: 4, theta: 1), steps: t)
    let conv = Conv2D<Float>(outChannels: 4, inChannels: 2, kernelHeight: 3, kernelWidth: 3, padding: 1,
                             weights: (0..<72).map { _ in Float(rng.uniform(-0.3, 0.8)) })
    let dense = Dense<Float>(outputs: 3, inputs: 4 * 3 * 3, weights: (0..<108).map { _ in Float(rng.uniform(-0.4, 0.8)) })
    let net = TSSLNetwork(neuron: neuron, layers: [
      .psc, .conv(conv), .lif, .pool(TSSLPool(size: 2)), .dropout(.stripes(Shape(n: 2, c: 4, h: 3, w: 3, t: t), p: 0.2, seed: 42)),
      .dense(dense), .lif,
    ])
    let x = Tensor<Float>(shape: Shape(n: 2, c: 2, h: 6, w: 6, t: t), scalars: (0..<2 * 72 * t).map { _ in rng.uniform() < 0.25 ? 1 : 0 })
    return (net, x, .count(TSSLCountLoss(labels: [2, 0], desired: 10, undesired: 2)))
  }

  @Test("forward, loss and backward of a conv-pool network: 1, 2 and 7 threads give the same bits; both rules")
  func determinism() {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    let (base, x, loss) = Self.network()
    for rule in TSSLRule.allCases {
      let net = base.converted(to: Float.self, rule: rule)
      var results: [[UInt32]] = []
      for threads in [1, 2, 7] {
        Parallel.maxThreads = threads
        let (trace, evaluation, grads) = net.evaluate(x, loss: loss)
        var bits = trace.values.flatMap { $0.scalars.map(\.bitPattern) }
        bits += trace.states.compactMap { $0 }.flatMap { $0.potential.scalars.map(\.bitPattern) + $0.increment.scalars.map(\.bitPattern) }
        bits += grads.weights.compactMap { $0 }.flatMap { $0.map(\.bitPattern) } + grads.input.scalars.map(\.bitPattern)
        bits.append(UInt32(truncatingIfNeeded: evaluation.loss.bitPattern))
        results.append(bits)
      }
      #expect(results[0].count > 1000 && results[0] == results[1] && results[0] == results[2], "\(rule) rule")
    }
  }

  @Test("training skips the ops before the first weight: same weight gradients, zero input gradient")
  func inputGradientSkipped() {
    let (net, x, loss) = Self.network()
    let full = net.evaluate(x, loss: loss), training = net.evaluate(x, loss: loss, inputGradient: false)
    #expect(full.gradients.weights.compactMap { $0 } == training.gradients.weights.compactMap { $0 })
    #expect(training.gradients.input.scalars.allSatisfy { $0 == 0 } && full.gradients.input.scalars.contains { $0 != 0 })
  }

  @Test("a current whose T differs from the neuron's steps stops the process")
  func preconditionSteps() async {
    await #expect(processExitsWith: .failure) {
      let n = TSSLNeuron<Float>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: 10)
      _ = TSSLBP.forward(Tensor<Float>(zeros: Shape(n: 1, c: 1, t: 11)), n)
    }
  }

  @Test("τm < 1 stops the process (the leak factor would leave [0, 1))")
  func preconditionTau() async {
    await #expect(processExitsWith: .failure) { _ = TSSLParameters(tauM: 0.5, tauS: 3, theta: 1) }
  }
}
