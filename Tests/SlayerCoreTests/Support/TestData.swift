import SlayerCore

/// Seeded random test data. Every test that draws from it names its seed in failure messages.
enum TestData {
  /// Uniform values in [lo, hi).
  static func uniform(_ count: Int, _ lo: Double, _ hi: Double, seed: UInt64) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.uniform(lo, hi) }
  }

  /// A small two-layer dense network `inputs-hidden-outputs` on a short grid (Ts 0.5 ms, T 40).
  static func twoLayer<S: SpikeScalar>(_: S.Type, inputs: Int = 6, hidden: Int = 4, outputs: Int = 2,
                                       seed: UInt64, neuron p: NeuronParameters? = nil,
                                       simulation: SimulationParameters = SimulationParameters(Ts: 0.5, tSample: 20))
    -> (network: Network<S>, input: Tensor<S>)
  {
    let p = p ?? NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)
    var rng = SplitMix64(seed: seed)
    let w1 = (0..<hidden * inputs).map { _ in S(rng.uniform(-1, 7)) }
    let w2 = (0..<outputs * hidden).map { _ in S(rng.uniform(-1, 7)) }
    let input: Tensor<S> = RandomSpikes.poisson(Shape(n: 2, c: inputs, t: simulation.steps), rateHz: 150,
                                                Ts: simulation.Ts, seed: seed &+ 1)
    return (Network(neuron: Neuron(p, simulation), layers: [
      .psp, .dense(Dense(outputs: hidden, inputs: inputs, weights: w1)), .spike,
      .psp, .dense(Dense(outputs: outputs, inputs: hidden, weights: w2)), .spike,
    ]), input)
  }
}
