import SlayerCore
import Testing

/// The dense synapse and its pullback (`slayer.md` §2.4, §4.5).
@Suite("Dense synapse")
struct DenseTests {
  @Test("u[b, o, n] = Σ_i W[o, i]·a[b, i, n] over (C, H, W) flattened in C order")
  func forward() {
    let seed: UInt64 = 21
    let a = Tensor(shape: Shape(n: 2, c: 2, h: 2, w: 1, t: 5), scalars: TestData.uniform(40, -1, 1, seed: seed))
    let dense = Dense(outputs: 3, inputs: 4, weights: TestData.uniform(12, -1, 1, seed: seed &+ 1))
    let u = dense.forward(a)
    #expect(u.shape == Shape(n: 2, c: 3, t: 5))
    var naive = [Double]()
    for b in 0..<2 { for o in 0..<3 { for n in 0..<5 {
      naive.append((0..<4).reduce(0.0) { $0 + dense.weights[o * 4 + $1] * a.scalars[(b * 4 + $1) * 5 + n] })
    } } }
    expectClose(u.scalars, naive, atol: 1e-15, rtol: 1e-15, "dense forward", seed: seed)
  }

  @Test("pullback equals central differences of ⟨g, W·a⟩ (linear, so exact up to rounding)")
  func pullback() {
    let seed: UInt64 = 22
    let a = Tensor(shape: Shape(n: 2, c: 3, t: 4), scalars: TestData.uniform(24, -1, 1, seed: seed))
    let dense = Dense(outputs: 2, inputs: 3, weights: TestData.uniform(6, -1, 1, seed: seed &+ 1))
    let g = Tensor(shape: Shape(n: 2, c: 2, t: 4), scalars: TestData.uniform(16, -1, 1, seed: seed &+ 2))
    let (gA, gW) = dense.pullback(g, input: a)
    func objective(_ d: Dense<Double>, _ x: Tensor<Double>) -> Double {
      zip(d.forward(x).scalars, g.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let numericW = GradientCheck.differences(dense.weights, step: 1e-6) {
      objective(Dense(outputs: 2, inputs: 3, weights: $0), a)
    }
    let numericA = GradientCheck.differences(a.scalars, step: 1e-6) {
      objective(dense, Tensor(shape: a.shape, scalars: $0))
    }
    expectClose(gW, numericW, atol: 1e-9, rtol: 1e-9, "∂/∂W", seed: seed)
    expectClose(gA.scalars, numericA, atol: 1e-9, rtol: 1e-9, "∂/∂a", seed: seed)
  }
}

extension DenseTests {
  @Test("the event-driven forward and weight gradient give the same bits as the dense sums", arguments: [23 as UInt64, 24])
  func eventDrivenMatchesDense(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let t = 50, inputs = 30, outputs = 7, batch = 2
    let a = Tensor<Float>(shape: Shape(n: batch, c: inputs, t: t),
                          scalars: (0..<batch * inputs * t).map { _ in rng.uniform() < 0.1 ? Float(rng.uniform(-2, 5)) : 0 })
    let dense = Dense<Float>(outputs: outputs, inputs: inputs, weights: (0..<outputs * inputs).map { _ in Float(rng.uniform(-1, 1)) })
    let g = Tensor<Float>(shape: Shape(n: batch, c: outputs, t: t), scalars: (0..<batch * outputs * t).map { _ in Float(rng.uniform(-1, 1)) })
    var u = [Float](), gW = [Float]()
    for b in 0..<batch { for o in 0..<outputs { for n in 0..<t {
      var acc = 0.0
      for i in 0..<inputs { acc += Double(dense.weights[o * inputs + i]) * Double(a.scalars[(b * inputs + i) * t + n]) }
      u.append(Float(acc))
    } } }
    for o in 0..<outputs { for i in 0..<inputs {
      var acc = 0.0
      for b in 0..<batch { for n in 0..<t { acc += Double(g.scalars[(b * outputs + o) * t + n]) * Double(a.scalars[(b * inputs + i) * t + n]) } }
      gW.append(Float(acc))
    } }
    #expect(dense.forward(a).scalars.map(\.bitPattern) == u.map(\.bitPattern), "forward, seed \(seed)")
    #expect(dense.pullback(g, input: a).weights.map(\.bitPattern) == gW.map(\.bitPattern), "weight gradient, seed \(seed)")
  }
}
