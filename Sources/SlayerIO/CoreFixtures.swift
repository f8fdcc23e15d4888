// Fixture cases for the core ops (psp, dense, spike) and both losses. Each description says what
// the case exercises and why a backend may get it wrong.
import SlayerCore

enum CoreFixtures {
  static var all: [CaseDefinition] { [denseSpikeTime, denseNumSpikes, burstAndEdges] }

  static let poissonNeuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1,
                                              refKernelEpsilon: 1e-4)

  /// Seeded Poisson spikes of height 1/Ts, as a flat array of `shape`.
  static func spikes(_ shape: Shape, rateHz: Double, Ts: Double, seed: UInt64) -> [Float] {
    (RandomSpikes.poisson(shape, rateHz: rateHz, Ts: Ts, seed: seed) as Tensor<Float>).scalars
  }

  /// Seeded uniform weights in [lo, hi).
  static func weights(_ count: Int, _ lo: Double, _ hi: Double, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(rng.uniform(lo, hi)) }
  }

  static var denseSpikeTime: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.1, tSample: 20), t = sim.steps
    return CaseDefinition(
      name: "dense-2layer-spiketime",
      description: """
        Two dense SRM layers (20-8-2, batch 2) at Ts = 0.1 ms under the spikeTime loss: the paper's first \
        experiment in miniature. Exercises psp (conv with ε, ×Ts), dense per time sample, the spike loop with the \
        refractory kernel added in place (potentials saved after it), ρ on the post-refractory potential, and the \
        corr pullbacks. Seeds: input 101, W1 102, W2 103, target 104.
        """,
      neuron: poissonNeuron, simulation: sim,
      ops: [["op": .string("psp")], ["op": .string("dense"), "weights": .string("w1.npy")], ["op": .string("spike")],
            ["op": .string("psp")], ["op": .string("dense"), "weights": .string("w2.npy")], ["op": .string("spike")]],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      arrays: [
        "input.npy": ([2, 20, 1, 1, t], spikes(Shape(n: 2, c: 20, t: t), rateHz: 120, Ts: sim.Ts, seed: 101)),
        "w1.npy": ([8, 20], weights(160, -2, 6, seed: 102)),
        "w2.npy": ([2, 8], weights(16, -1, 9, seed: 103)),
        "target.npy": ([2, 2, 1, 1, t], spikes(Shape(n: 2, c: 2, t: t), rateHz: 150, Ts: sim.Ts, seed: 104)),
      ])
  }

  static var denseNumSpikes: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 60), t = sim.steps
    let neuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 0.1, scaleRho: 0.25)
    return CaseDefinition(
      name: "dense-2layer-numspikes-region",
      description: """
        A 2-layer classifier (16-10-3, batch 3) at Ts = 1 ms under the numSpikes loss with a target region \
        10–40 ms that does not cover the window: spikes outside the region get the spike-time error, the count \
        error is divided by the number of bins (30), and the count is detached. NMNIST-like settings (tauSr 1, \
        tauRho 0.1, scaleRho 0.25). Seeds: input 111, W1 112, W2 113.
        """,
      neuron: neuron, simulation: sim,
      ops: [["op": .string("dense"), "weights": .string("w1.npy")], ["op": .string("psp")], ["op": .string("spike")],
            ["op": .string("dense"), "weights": .string("w2.npy")], ["op": .string("psp")], ["op": .string("spike")]],
      loss: ["type": .string("numSpikes"), "labels": .string("labels.npy"),
             "tgtSpikeRegion": .object(["start": .number(10), "stop": .number(40)]),
             "tgtSpikeCount": .object(["true": .number(12), "false": .number(2)])],
      arrays: [
        "input.npy": ([3, 16, 1, 1, t], spikes(Shape(n: 3, c: 16, t: t), rateHz: 150, Ts: sim.Ts, seed: 111)),
        "w1.npy": ([10, 16], weights(160, -4, 7, seed: 112)),
        "w2.npy": ([3, 10], weights(30, -3, 9, seed: 113)),
        "labels.npy": ([3], [0, 2, 1]),
      ])
  }

  static var burstAndEdges: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 15), t = sim.steps
    var input = [Float](repeating: 0, count: 3 * t)
    for n in [0, 1, 2, 3] { input[n] = 2 }  // a dense burst at the very first samples
    input[t + t - 1] = 2  // a spike at the last sample
    for n in stride(from: 5, to: t, by: 4) { input[2 * t + n] = 2 }
    return CaseDefinition(
      name: "spike-burst-window-edges",
      description: """
        One strongly driven layer (3-2): a burst of input spikes from sample 0 drives consecutive output spikes \
        (u stays ≥ θ after ν[1], ν[2] are added), an input spike at the last sample, and refractory tails cut by \
        the window end. Backends that reset u, interpolate crossings, or run ν past T differ here.
        """,
      neuron: NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1),
      simulation: sim,
      ops: [["op": .string("psp")], ["op": .string("dense"), "weights": .string("w.npy")], ["op": .string("spike")]],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      arrays: [
        "input.npy": ([1, 3, 1, 1, t], input),
        "w.npy": ([2, 3], [30, 4, 9, 2, 25, 11]),
        "target.npy": ([1, 2, 1, 1, t], (0..<2 * t).map { $0 == 10 || $0 == t + 20 ? 2 : 0 }),
      ])
  }
}
