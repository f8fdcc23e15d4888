import SlayerCore
import Testing

/// conv_h and its adjoint corr_h (`slayer.md` §1, §10.6).
@Suite("Temporal filter: conv and corr")
struct TemporalFilterTests {
  static let kernel = TestData.uniform(13, -1, 1, seed: 11)

  @Test("⟨conv x, y⟩ = ⟨x, corr y⟩ in Double", arguments: [1 as UInt64, 2, 3])
  func adjoint(seed: UInt64) {
    let t = 50, rows = 3
    let x = TestData.uniform(rows * t, -1, 1, seed: seed), y = TestData.uniform(rows * t, -1, 1, seed: seed &+ 100)
    let cx = TemporalFilter.conv(x, kernel: Self.kernel, t: t, Ts: 0.25)
    let cy = TemporalFilter.corr(y, kernel: Self.kernel, t: t, Ts: 0.25)
    let lhs = zip(cx, y).reduce(0) { $0 + $1.0 * $1.1 }, rhs = zip(x, cy).reduce(0) { $0 + $1.0 * $1.1 }
    expectClose([lhs], [rhs], atol: 1e-13, rtol: 1e-13, "⟨conv x, y⟩ vs ⟨x, corr y⟩", seed: seed)
  }

  @Test("conv and corr equal their defining sums, Ts·Σ h[k]·x[n∓k] with the window cut")
  func definition() {
    let t = 20, x = TestData.uniform(t, -1, 1, seed: 5), h = Self.kernel, Ts = 0.5
    let conv = TemporalFilter.conv(x, kernel: h, t: t, Ts: Ts), corr = TemporalFilter.corr(x, kernel: h, t: t, Ts: Ts)
    let naiveConv = (0..<t).map { n in Ts * h.indices.filter { n - $0 >= 0 }.reduce(0.0) { $0 + h[$1] * x[n - $1] } }
    let naiveCorr = (0..<t).map { n in Ts * h.indices.filter { n + $0 < t }.reduce(0.0) { $0 + h[$1] * x[n + $1] } }
    expectClose(conv, naiveConv, atol: 1e-14, rtol: 1e-14, "conv")
    expectClose(corr, naiveCorr, atol: 1e-14, rtol: 1e-14, "corr")
  }

  @Test("one input spike of height 1/Ts at n₀ gives a[n₀ + k] = ε[k] exactly")
  func singleSpike() {
    let sim = SimulationParameters(Ts: 0.1, tSample: 20)
    let neuron = Neuron<Float>(NeuronParameters(tauSr: 1), sim)
    var s = Tensor<Float>(zeros: Shape(n: 1, c: 1, t: sim.steps))
    s.scalars[30] = 10
    let a = PSP.forward(s, neuron)
    #expect(a.scalars[..<30].allSatisfy { $0 == 0 })
    expectClose(Array(a.scalars[30..<(30 + neuron.srmKernel.count)]), neuron.srmKernel, atol: 0, rtol: 2e-7, "a after one spike")
  }
}

extension TemporalFilterTests {
  @Test("the event-driven conv gives the same bits as the dense sum in increasing k", arguments: [61 as UInt64, 62])
  func eventDrivenMatchesDense(seed: UInt64) {
    let t = 300, rows = 4, Ts = 0.1
    var rng = SplitMix64(seed: seed)
    let x: [Float] = (0..<rows * t).map { _ in rng.uniform() < 0.05 ? Float(rng.uniform(-3, 10)) : 0 }
    let h = Kernels.srm(NeuronParameters(tauSr: 1), SimulationParameters(Ts: Ts, tSample: 30)).map { Float($0) }
    let fast = TemporalFilter.conv(x, kernel: h, t: t, Ts: Ts)
    var dense = [Float](repeating: 0, count: x.count)
    for row in 0..<rows {
      for n in 0..<t {
        var acc = 0.0
        for k in 0..<min(h.count, n + 1) { acc += Double(h[k]) * Double(x[row * t + n - k]) }
        dense[row * t + n] = Float(acc * Ts)
      }
    }
    #expect(fast.map(\.bitPattern) == dense.map(\.bitPattern), "seed \(seed)")
  }
}
