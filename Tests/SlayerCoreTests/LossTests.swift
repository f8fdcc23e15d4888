import SlayerCore
import Testing

/// The spike-time and spike-count losses and their pullbacks (`slayer.md` §3).
@Suite("Losses")
struct LossTests {
  static let sim = SimulationParameters(Ts: 0.5, tSample: 20)
  static let neuron = Neuron<Double>(NeuronParameters(tauSr: 1), sim)

  func spikes(_ samples: [Int], t: Int = 40) -> Tensor<Double> {
    var s = Tensor<Double>(zeros: Shape(n: 1, c: 1, t: t))
    for n in samples { s.scalars[n] = 1 / Self.sim.Ts }
    return s
  }

  @Test("spikeTime: E = ½·Ts·Σ (ε-trace of output − target)²; zero when they coincide")
  func spikeTime() {
    let eps = Self.neuron.srmKernel
    let loss = Loss.spikeTime(target: spikes([10]))
    #expect(loss.evaluate(spikes([10]), Self.neuron).loss == 0)
    // Output at 4, target at 10: e = ε shifted to 4 minus ε shifted to 10.
    var e = [Double](repeating: 0, count: 40)
    for k in eps.indices { if 4 + k < 40 { e[4 + k] += eps[k] }; if 10 + k < 40 { e[10 + k] -= eps[k] } }
    let expected = 0.5 * 0.5 * e.reduce(0) { $0 + $1 * $1 }
    expectClose([loss.evaluate(spikes([4]), Self.neuron).loss], [expected], atol: 0, rtol: 1e-14, "E")
  }

  @Test("spikeTime pullback equals central differences of E in the output (E is quadratic in s)")
  func spikeTimeGradient() {
    let seed: UInt64 = 31
    let s = Tensor(shape: Shape(n: 1, c: 2, t: 40), scalars: TestData.uniform(80, 0, 2, seed: seed))
    let target = Tensor(shape: s.shape, scalars: TestData.uniform(80, 0, 2, seed: seed &+ 1))
    let loss = Loss.spikeTime(target: target)
    let numeric = GradientCheck.differences(s.scalars, step: 1e-5) { loss.value(Tensor(shape: s.shape, scalars: $0), Self.neuron) }
    expectClose(loss.evaluate(s, Self.neuron).gradient.scalars, numeric, atol: 1e-9, rtol: 1e-8, "∂E/∂s", seed: seed)
  }

  @Test("numSpikes over the whole window: c = (N − N̂)/#bins, e = c inside, ∂E/∂s = Ts·c·Ts·Σ_{k<min(K, T−n)} ε[k]")
  func numSpikesFullWindow() {
    let loss = NumSpikesLoss(labels: [1], start: 0, stop: 20, trueCount: 5, falseCount: 1)
    var s = Tensor<Double>(zeros: Shape(n: 1, c: 2, t: 40))
    for n in [3, 9, 20] { s[0, 1, 0, 0, n] = 2 }  // 3 spikes on the true neuron
    for n in [5, 6] { s[0, 0, 0, 0, n] = 2 }  // 2 spikes on a false neuron
    let result = Loss.numSpikes(loss).evaluate(s, Self.neuron)
    let cFalse = (2.0 - 1) / 40, cTrue = (3.0 - 5) / 40
    #expect(result.error.scalars[0..<40].allSatisfy { $0 == cFalse })
    #expect(result.error.scalars[40..<80].allSatisfy { $0 == cTrue })
    expectClose([result.loss], [0.5 * 0.5 * 40 * (cFalse * cFalse + cTrue * cTrue)], atol: 0, rtol: 1e-14, "E")
    let eps = Self.neuron.srmKernel
    let expected = (0..<40).map { n in 0.5 * cTrue * 0.5 * eps.indices.filter { n + $0 < 40 }.reduce(0.0) { $0 + eps[$1] } }
    expectClose(Array(result.gradient.scalars[40..<80]), expected, atol: 1e-15, rtol: 1e-12, "∂E/∂s, true neuron")
  }

  @Test("numSpikes with a partial region: spikes outside it get the spike-time error; region uses rint(t/Ts)")
  func numSpikesPartialRegion() {
    let loss = NumSpikesLoss(labels: [0], start: 5, stop: 10.2, trueCount: 2, falseCount: 0)
    #expect(loss.region(Ts: 0.5) == 10..<20)
    let s = spikes([2, 12, 30])
    let e = Loss.numSpikes(loss).evaluate(s, Self.neuron).error.scalars
    let outside = PSP.forward(spikes([2, 30]), Self.neuron).scalars
    let c = (1.0 - 2) / 10
    let expected = (0..<40).map { (10..<20).contains($0) ? outside[$0] + c : outside[$0] }
    expectClose(e, expected, atol: 1e-15, rtol: 1e-15, "e")
  }

  @Test("numSpikes pullback equals central differences with the count and desired train held (detached)")
  func numSpikesGradient() {
    let seed: UInt64 = 32
    let s = Tensor(shape: Shape(n: 2, c: 3, t: 40), scalars: TestData.uniform(240, 0, 2, seed: seed))
    let loss = Loss<Double>.numSpikes(NumSpikesLoss(labels: [2, 0], start: 3, stop: 15, trueCount: 8, falseCount: 2))
    let numeric = GradientCheck.differences(s.scalars, step: 1e-5) {
      loss.value(Tensor(shape: s.shape, scalars: $0), Self.neuron, detachedAt: s)
    }
    expectClose(loss.evaluate(s, Self.neuron).gradient.scalars, numeric, atol: 1e-10, rtol: 1e-8, "∂E/∂s", seed: seed)
  }

  @Test("classifier: argmax of spike counts over the whole window, ties to the lowest index")
  func classifier() {
    var s = Tensor<Float>(zeros: Shape(n: 3, c: 3, t: 10))
    s[0, 2, 0, 0, 1] = 1; s[0, 2, 0, 0, 9] = 1; s[0, 1, 0, 0, 3] = 1
    s[1, 1, 0, 0, 0] = 1; s[1, 2, 0, 0, 5] = 1
    #expect(Classifier.predict(s, Ts: 1) == [2, 1, 0])
    #expect(Classifier.spikeCounts(s, Ts: 1)[2] == 2)
    #expect(Classifier.accuracy(predictions: [2, 1, 0], labels: [2, 0, 0]) == 2.0 / 3)
  }
}
