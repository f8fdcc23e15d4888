// Fixture cases for the core ops (psp, dense, spike) and both losses. Each description says what
// the case exercises and why a backend may get it wrong.
import SlayerCore

enum CoreFixtures: FixtureSet {
  static var all: [CaseDefinition] { [denseSpikeTime, denseNumSpikes, burstAndEdges] }

  static let poissonNeuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1,
                                              refKernelEpsilon: 1e-4)

  static var denseSpikeTime: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.1, tSample: 20), t = sim.steps
    return CaseDefinition(
      name: "dense-2layer-spiketime",
      description: """
        Two dense SRM layers (20-8-2, batch 2) at Ts = 0.1 ms under the spikeTime loss: the paper's first \
        experiment in miniature. Exercises psp (conv with ε, ×Ts), dense per time sample, the spike loop with the \
        refractory kernel added in place (potentials saved after it), ρ on the post-refractory potential, and the \
        corr pullbacks. Seeds: input = seed, W1 = seed + 1, W2 = seed + 2, target = seed + 3.
        """,
      neuron: poissonNeuron, simulation: sim,
      ops: [["op": .string("psp")], ["op": .string("dense"), "weights": .string("w1.npy")], ["op": .string("spike")],
            ["op": .string("psp")], ["op": .string("dense"), "weights": .string("w2.npy")], ["op": .string("spike")]],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      seeds: [101, 1101, 2101],
      arrays: { seed in [
        "input.npy": ([2, 20, 1, 1, t], spikes(Shape(n: 2, c: 20, t: t), rateHz: 120, Ts: sim.Ts, seed: seed)),
        "w1.npy": ([8, 20], uniform(160, -2, 6, seed: seed + 1)),
        "w2.npy": ([2, 8], uniform(16, -1, 9, seed: seed + 2)),
        "target.npy": ([2, 2, 1, 1, t], spikes(Shape(n: 2, c: 2, t: t), rateHz: 150, Ts: sim.Ts, seed: seed + 3)),
      ] })
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
        tauRho 0.1, scaleRho 0.25). Seeds: input = seed, W1 = seed + 1, W2 = seed + 2.
        """,
      neuron: neuron, simulation: sim,
      ops: [["op": .string("dense"), "weights": .string("w1.npy")], ["op": .string("psp")], ["op": .string("spike")],
            ["op": .string("dense"), "weights": .string("w2.npy")], ["op": .string("psp")], ["op": .string("spike")]],
      loss: ["type": .string("numSpikes"), "labels": .string("labels.npy"),
             "tgtSpikeRegion": .object(["start": .number(10), "stop": .number(40)]),
             "tgtSpikeCount": .object(["true": .number(12), "false": .number(2)])],
      seeds: [111, 1111, 2111],
      arrays: { seed in [
        "input.npy": ([3, 16, 1, 1, t], spikes(Shape(n: 3, c: 16, t: t), rateHz: 150, Ts: sim.Ts, seed: seed)),
        "w1.npy": ([10, 16], uniform(160, -4, 7, seed: seed + 1)),
        "w2.npy": ([3, 10], uniform(30, -3, 9, seed: seed + 2)),
        "labels.npy": ([3], [0, 2, 1]),
      ] })
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
        the window end. Backends that reset u, interpolate crossings, or run ν past T differ here. Built by hand \
        (no seed).
        """,
      neuron: NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1),
      simulation: sim,
      ops: [["op": .string("psp")], ["op": .string("dense"), "weights": .string("w.npy")], ["op": .string("spike")]],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      arrays: { [input] _ in [
        "input.npy": ([1, 3, 1, 1, t], input),
        "w.npy": ([2, 3], [30, 4, 9, 2, 25, 11]),
        "target.npy": ([1, 2, 1, 1, t], (0..<2 * t).map { $0 == 10 || $0 == t + 20 ? 2 : 0 }),
      ] })
  }
}
