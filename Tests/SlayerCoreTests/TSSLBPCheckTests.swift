@testable import SlayerCore
import Testing

/// The final rule against finite differences of the auxiliary model (`tssl-bp.md` §5.6), per neuron
/// and for whole networks, in `Double`, to ≤ 1e-6 relative.
@Suite("TSSL-BP gradient check")
struct TSSLBPCheckTests {
  /// A dense network psc → dense → lif → dense → lif on spike input, with the N-MNIST neuron
  /// (τm 8, τs 4) and T = 30, under the count loss.
  static func denseCase(seed: UInt64) -> (TSSLNetwork<Double>, Tensor<Double>, TSSLLoss) {
    var rng = SplitMix64(seed: seed)
    let t = 30, inputs = 8, hidden = 6, outputs = 4
    let neuron = TSSLNeuron<Double>(TSSLParameters(tauM: 8, tauS: 4, theta: 1), steps: t)
    let x = Tensor<Double>(shape: Shape(n: 2, c: inputs, t: t), scalars: (0..<2 * inputs * t).map { _ in rng.uniform() < 0.3 ? 1 : 0 })
    let w1 = (0..<hidden * inputs).map { _ in rng.uniform(-0.6, 1.6) }
    let w2 = (0..<outputs * hidden).map { _ in rng.uniform(-0.4, 1.2) }
    let net = TSSLNetwork(neuron: neuron, layers: [
      .psc, .dense(Dense(outputs: hidden, inputs: inputs, weights: w1)), .lif,
      .dense(Dense(outputs: outputs, inputs: hidden, weights: w2)), .lif,
    ])
    return (net, x, .count(TSSLCountLoss(labels: [1, 3], desired: 15, undesired: 3)))
  }

  /// A conv-pool network on analog (direct) input: replicateInTime → psc → conv 2→3 k3 → lif →
  /// pscPool 2 → dropout → dense 12→4 → lif, T = 10, τm 5, τs 3, under the kernel loss.
  static func convCase(seed: UInt64, pattern: DesiredPattern = .final) -> (TSSLNetwork<Double>, Tensor<Double>, TSSLLoss) {
    var rng = SplitMix64(seed: seed)
    let t = 10
    let neuron = TSSLNeuron<Double>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: t)
    let x = Tensor<Double>(shape: Shape(n: 2, c: 2, h: 6, w: 6, t: 1), scalars: (0..<2 * 2 * 36).map { _ in rng.uniform(-0.5, 2) })
    let conv = Conv2D<Double>(outChannels: 3, inChannels: 2, kernelHeight: 3, kernelWidth: 3,
                              weights: (0..<3 * 2 * 9).map { _ in rng.uniform(-0.3, 0.7) })
    let pooled = Shape(n: 2, c: 3, h: 2, w: 2, t: t)
    let dense = Dense<Double>(outputs: 4, inputs: 12, weights: (0..<48).map { _ in rng.uniform(-0.5, 1.5) })
    let net = TSSLNetwork(neuron: neuron, layers: [
      .replicateInTime, .psc, .conv(conv), .lif, .pool(TSSLPool(size: 2)),
      .dropout(.stripes(pooled, p: 0.25, seed: seed &+ 1)), .dense(dense), .lif,
    ])
    return (net, x, .kernel(TSSLKernelLoss(labels: [2, 0], pattern: pattern)))
  }

  static func report(_ name: String, _ r: TSSLGradientCheck.Report) -> String {
    "\(name): coverage \(r.coverage)\n" + r.entries.map { "  \($0)" }.joined(separator: "\n")
  }

  @Test("dense network, count loss, T = 30: every weight and the input to ≤ 1e-6; all branches exercised",
        arguments: [UInt64(11), 12])
  func denseNetwork(seed: UInt64) {
    let (net, x, loss) = Self.denseCase(seed: seed)
    let r = TSSLGradientCheck.run(net, input: x, loss: loss, includeInput: true)
    print(Self.report("dense seed \(seed)", r))
    #expect(r.worstRelativeError <= 1e-6, "seed \(seed): \(Self.report("dense", r))")
    let c = r.coverage
    #expect(c.consecutivePairs > 0 && c.overrideStepsWithCarry > 0 && c.longestGap >= 6 && c.clampedRho > 0,
            "seed \(seed): the nominal point must exercise every branch: \(c)")
    #expect(loss.labels.count == 2)
    if case .count(let l) = loss {
      let out = net.forward(x).output
      #expect(l.activeRows(out).contains(true) && l.activeRows(out).contains(false), "seed \(seed): hinge both on and off")
    }
  }

  @Test("conv-pool network with dropout on analog input, kernel loss, both patterns: to ≤ 1e-6",
        arguments: [DesiredPattern.final, .paper])
  func convPoolNetwork(pattern: DesiredPattern) {
    let seed: UInt64 = 21
    let (net, x, loss) = Self.convCase(seed: seed, pattern: pattern)
    let r = TSSLGradientCheck.run(net, input: x, loss: loss, includeInput: true)
    print(Self.report("conv-pool seed \(seed), \(pattern)", r))
    #expect(r.worstRelativeError <= 1e-6, "seed \(seed): \(Self.report("conv-pool", r))")
    let c = r.coverage
    #expect(c.consecutivePairs > 0 && c.overrideStepsWithCarry > 0 && c.longestGap >= 3,
            "seed \(seed): the nominal point must exercise every branch: \(c)")
  }

  @Test("single neurons, T = 5, 12, 30: ∂(gᵀa_aux)/∂I equals the final rule to ≤ 1e-6", arguments: [5, 12, 30])
  func singleNeurons(steps: Int) {
    let seed = UInt64(100 + steps)
    var rng = SplitMix64(seed: seed)
    let neuron = TSSLNeuron<Double>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: steps)
    let shape = Shape(n: 1, c: 6, t: steps)
    let current = Tensor(shape: shape, scalars: (0..<shape.count).map { _ in rng.uniform(-0.4, 1.6) })
    let g = (0..<shape.count).map { _ in rng.uniform(-1, 1) }
    let state = TSSLBP.forward(current, neuron)
    let analytic = TSSLBP.pullback(Tensor(shape: shape, scalars: g), state, neuron).scalars
    let numeric = GradientCheck.differences(current.scalars, step: 1e-3) { v in
      let a = TSSLGradientCheck.auxiliaryPSC(current: Tensor(shape: shape, scalars: v), nominalCurrent: current,
                                             state: state, neuron: neuron)
      return zip(a.scalars, g).reduce(0) { $0 + $1.0 * $1.1 }
    }
    let entry = GradientCheck.compare(name: "I", analytic: analytic, numeric: numeric)
    print("single neurons, T = \(steps), seed \(seed): \(entry)")
    #expect(entry.worstRelativeError <= 1e-6, "seed \(seed), T = \(steps): \(entry)")
    var coverage = TSSLGradientCheck.Coverage()
    coverage.add(state, neuron)
    #expect(coverage.spikes > 0 && coverage.overrideSteps > 0, "seed \(seed): \(coverage)")
  }

  @Test("the auxiliary model equals the real network at the nominal weights")
  func auxiliaryAtNominal() {
    let (net, x, _) = Self.convCase(seed: 21)
    let trace = net.forward(x)
    let aux = TSSLGradientCheck.auxiliaryOutput(net, input: x, nominal: trace)
    #expect(aux.scalars == trace.output.scalars)
  }

  @Test("the check can fail: one weight gradient 0.1 % off is caught")
  func catchesError() {
    let (net, x, loss) = Self.denseCase(seed: 11)
    let r = TSSLGradientCheck.run(net, input: x, loss: loss)
    let e = r.entries[0]
    var wrong = net.evaluate(x, loss: loss).gradients.weights[1]!
    let i = wrong.indices.max { abs(wrong[$0]) < abs(wrong[$1]) }!
    wrong[i] *= 1.001
    var spread: [Double] = []
    let w0 = net.weights(of: 1)!
    var probeNet = net
    let base = net.forward(x)
    let numeric = GradientCheck.differences(w0, step: 1e-3, uncertainty: &spread) { w in
      probeNet.setWeights(of: 1, w)
      return (loss.value(TSSLGradientCheck.auxiliaryOutput(probeNet, input: x, nominal: base), net.neuron), true)
    }
    let bad = GradientCheck.compare(name: "op1 perturbed", analytic: wrong, numeric: numeric, uncertainty: spread)
    #expect(e.worstRelativeError <= 1e-6 && bad.worstRelativeError > 1e-4, "good \(e), perturbed \(bad)")
  }
}
