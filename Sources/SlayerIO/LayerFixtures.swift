// Fixture cases for the layer ops: conv, pool, delay, dropout, convTranspose, unpool, pspFilter,
// pspLayer, delayShift and replicateInTime, each inside a small spiking network with a loss.
import SlayerCore

enum LayerFixtures: FixtureSet {
  static var all: [CaseDefinition] { [cnnDelaysDropout, transposedAndFilters, staticInputShift] }

  static var cnnDelaysDropout: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 30), t = sim.steps
    let neuron = NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)
    return CaseDefinition(
      name: "cnn-pool-delay-dropout",
      description: """
        A small CNN (2×9×9 → conv 4c3 → spike → delay per channel → dropout → pool 2 on an odd 7×7 \
        (one zero row and column appended) → spike → dense 3 → spike), batch 2, numSpikes loss. Exercises \
        conv per time sample, the 1.1·θ pool with slayerPytorch's odd-size padding, delays of 0.7, 1.0, 2.5 and \
        3.0 ms (trunc: 0, 1, 2, 3 samples; 1.0 and 3.0 are exact multiples of Ts), a fixed dropout mask, and \
        slayerPytorch's delay gradient. Seeds: input = seed, conv = seed + 1, dense = seed + 2, mask = seed + 4.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("psp"), op("conv", ["weights": .string("conv.npy")]), op("spike"), op("psp"),
            op("delay", ["delays": .string("delays.npy")]), op("dropout", ["mask": .string("mask.npy")]),
            op("pool", ["size": .number(2)]), op("spike"), op("psp"), op("dense", ["weights": .string("dense.npy")]), op("spike")],
      loss: ["type": .string("numSpikes"), "labels": .string("labels.npy"),
             "tgtSpikeRegion": .object(["start": .number(0), "stop": .number(30)]),
             "tgtSpikeCount": .object(["true": .number(6), "false": .number(1)])],
      seeds: [121, 1121, 2121],
      arrays: { seed in
        var rng = SplitMix64(seed: seed + 4)
        let mask: [Float] = (0..<2 * 4 * 4 * 4).map { _ in rng.uniform() < 0.25 ? 0 : Float(1 / 0.75) }
        return [
          "input.npy": ([2, 2, 9, 9, t], spikes(Shape(n: 2, c: 2, h: 9, w: 9, t: t), rateHz: 120, Ts: 1, seed: seed)),
          "conv.npy": ([4, 2, 3, 3], uniform(72, -1, 5, seed: seed + 1)),
          "delays.npy": ([4, 1, 1], [0.7, 1.0, 2.5, 3.0]),
          "mask.npy": ([2, 4, 7, 7], (0..<2 * 4 * 49).map { mask[$0 % mask.count] }),
          "dense.npy": ([3, 64], uniform(192, -2, 6, seed: seed + 2)),
          "labels.npy": ([2], [2, 0]),
        ]
      })
  }

  static var transposedAndFilters: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 12), t = sim.steps
    let neuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)
    return CaseDefinition(
      name: "convtranspose-unpool-pspfilter",
      description: """
        Learnable temporal filters (pspFilter, 2 filters of 6 taps: output channel f·C + c) → convTranspose \
        4→2 k3 stride 2 padding 1 → spike → psp → unpool 2 (1.1·θ) → spike, at Ts = 0.5 ms, spikeTime loss. \
        Exercises the filter-major channel order, the transposed convolution's output extent \
        (H − 1)·s − 2p + k, and the filter gradient. Seeds: input = seed, filters = seed + 1, weights = seed + 2, target = seed + 3.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("pspFilter", ["filters": .string("filters.npy")]),
            op("convTranspose", ["weights": .string("wt.npy"), "stride": .number(2), "padding": .number(1)]), op("spike"),
            op("psp"), op("unpool", ["size": .number(2)]), op("spike")],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      seeds: [131, 1131, 2131],
      arrays: { seed in [
        "input.npy": ([1, 2, 3, 3, t], spikes(Shape(n: 1, c: 2, h: 3, w: 3, t: t), rateHz: 200, Ts: 0.5, seed: seed)),
        "filters.npy": ([2, 6], uniform(12, 0, 1.2, seed: seed + 1)),
        "wt.npy": ([4, 2, 3, 3], uniform(72, -1, 6, seed: seed + 2)),
        "target.npy": ([1, 2, 10, 10, t], spikes(Shape(n: 1, c: 2, h: 10, w: 10, t: t), rateHz: 100, Ts: 0.5, seed: seed + 3)),
      ] })
  }

  static var staticInputShift: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 25), t = sim.steps
    let neuron = NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)
    return CaseDefinition(
      name: "replicate-pspLayer-delayshift",
      description: """
        A static input (N, C, H, W, 1) replicated over 25 samples → pspLayer (one learnable filter, here a \
        hand-made 5-tap kernel) → dense 5→3 → delayShift 2 ms → spike, spikeTime loss. Exercises \
        replicateInTime (its pullback sums over time), a shared learnable filter and a fixed shift that \
        pushes the last samples out of the window. Seeds: input = seed, weights = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("replicateInTime"), op("pspLayer", ["filter": .string("filter.npy")]),
            op("dense", ["weights": .string("w.npy")]), op("delayShift", ["shift": .number(2)]), op("spike")],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      seeds: [141, 1141, 2141],
      arrays: { seed in [
        "input.npy": ([2, 5, 1, 1, 1], uniform(10, 0, 1, seed: seed)),
        "filter.npy": ([5], [0, 0.6, 1, 0.7, 0.3]),
        "w.npy": ([3, 5], uniform(15, -1, 6, seed: seed + 1)),
        "target.npy": ([2, 3, 1, 1, t], spikes(Shape(n: 2, c: 3, t: t), rateHz: 80, Ts: 1, seed: seed + 2)),
      ] })
  }
}
