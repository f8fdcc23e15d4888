// Fixture cases for TSSL-BP (`tssl-bp.md` §2–§5, `Docs/TSSLBP.md`): the neuron alone, a dense
// network under the count loss with the N-MNIST neuron, a conv-pool network with dropout on
// analog input under the kernel loss, and the paper-era rule with both of its branches. Each
// passes the margin rule on the spike margin and on the warm-up margin min |a − 1/(4τs)|.
import SlayerCore

enum TSSLFixtures: FixtureSet {
  static var all: [CaseDefinition] { [lifKernel, denseCount, convPoolDropout, paperRule] }

  /// A TSSL-BP definition: Ts = 1, T = `steps`, the neuron object `{"type": "TSSLBP", …}`.
  static func definition(name: String, description: String, parameters p: TSSLParameters, rule: TSSLRule, steps: Int,
                         ops: [[String: JSON]], loss: [String: JSON], seeds: [UInt64],
                         arrays: @escaping @Sendable (UInt64) -> FixtureArrays) -> CaseDefinition {
    var d = CaseDefinition(
      name: name, description: description,
      // Unused: `neuronObject` replaces SRMALPHA's neuron in case.json.
      neuron: NeuronParameters(theta: p.theta, tauSr: 1, tauRef: 1, scaleRef: 1, tauRho: 1, scaleRho: 1),
      simulation: SimulationParameters(Ts: 1, tSample: Double(steps)), ops: ops, loss: loss, seeds: seeds, arrays: arrays)
    d.neuronObject = ["type": .string("TSSLBP"), "tauM": .number(p.tauM), "tauS": .number(p.tauS),
                      "theta": .number(p.theta), "rule": .string(rule.rawValue)]
    return d
  }

  /// Seeded 0/1 spikes, each entry firing with probability `p`.
  static func binary(_ count: Int, p: Double, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in rng.uniform() < p ? 1 : 0 }
  }

  static var lifKernel: CaseDefinition {
    let t = 10
    return definition(
      name: "tsslbp-lif-kernel",
      description: """
        The TSSL-BP neuron alone (τm 5, τs 3, V_th 1, final rule) on a random input current (batch 2, 5 neurons, \
        T = 10) under the kernel loss with the final pattern [0,1,0,1,0,1,0,1,0,1] filtered twice. Exercises the LIF \
        update with strict u > V_th and hard reset, the PSC with ε[0] = 1/τs (no delay), and every branch of the \
        backward rule: ρ = min(1/Δu, 8) at spikes, the reset-timing term (u/τm)·θ, the leak (1 − 1/τm)·θ, and the \
        σ′(u)·c override where a < 1/(4τs). Seeds: current = seed.
        """,
      parameters: TSSLParameters(tauM: 5, tauS: 3, theta: 1), rule: .final, steps: t,
      ops: [op("lif")], loss: ["type": .string("kernel"), "labels": .string("labels.npy"), "pattern": .string("final")],
      seeds: [601, 1601, 2601, 3601, 4601, 5601],
      arrays: { seed in [
        "input.npy": ([2, 5, 1, 1, t], uniform(2 * 5 * t, -0.3, 1.4, seed: seed)),
        "labels.npy": ([2], [1, 4]),
      ] })
  }

  static var denseCount: CaseDefinition {
    let t = 30
    return definition(
      name: "tsslbp-dense-count",
      description: """
        A dense TSSL-BP network on 0/1 input spikes (psc → dense 12→8 → lif → dense 8→3 → lif, batch 2, T = 30) with \
        the N-MNIST neuron (τm 8, τs 4) and the one-sided count loss 8/4 on the PSC sums: true-class over-firing and \
        false-class under-firing are not penalised (both occur here), Δ = (Σa − target)/T reaches every step. Exercises the input \
        encoding, the θ carry over long gaps and consecutive spikes, and the predictions by summed PSC. \
        Seeds: input = seed, W1 = seed + 1, W2 = seed + 2.
        """,
      parameters: TSSLParameters(tauM: 8, tauS: 4, theta: 1), rule: .final, steps: t,
      ops: [op("psc"), op("dense", ["weights": .string("w1.npy")]), op("lif"), op("dense", ["weights": .string("w2.npy")]), op("lif")],
      loss: ["type": .string("count"), "labels": .string("labels.npy"), "desired": .number(8), "undesired": .number(4)],
      seeds: [611, 1611, 2611, 3611, 4611, 5611],
      arrays: { seed in [
        "input.npy": ([2, 12, 1, 1, t], binary(2 * 12 * t, p: 0.3, seed: seed)),
        "w1.npy": ([8, 12], uniform(96, -0.6, 0.9, seed: seed + 1)),
        "w2.npy": ([3, 8], uniform(24, -0.6, 0.6, seed: seed + 2)),
        "labels.npy": ([2], [0, 2]),
      ] })
  }

  static var convPoolDropout: CaseDefinition {
    let t = 5
    return definition(
      name: "tsslbp-conv-pool-dropout",
      description: """
        A TSSL-BP CNN on a static analog image (direct encoding): replicateInTime → psc (the ramp \
        x·(1 − (1 − 1/τs)^{t+1})) → conv 2→3 k3 → lif → pscPool 2 (non-spiking sum with weight 1.1) → dropout \
        (the authors' (sample, channel, row) stripes) → dense 12→4 → lif, batch 2, T = 5, τm 5, τs 3, kernel loss \
        with the final pattern [0,1,1,1,1] filtered twice. Seeds: image = seed, conv = seed + 1, dense = seed + 2, \
        mask = seed + 3.
        """,
      parameters: TSSLParameters(tauM: 5, tauS: 3, theta: 1), rule: .final, steps: t,
      ops: [op("replicateInTime"), op("psc"), op("conv", ["weights": .string("conv.npy")]), op("lif"),
            op("pscPool", ["size": .number(2)]), op("dropout", ["mask": .string("mask.npy")]),
            op("dense", ["weights": .string("dense.npy")]), op("lif")],
      loss: ["type": .string("kernel"), "labels": .string("labels.npy"), "pattern": .string("final")],
      seeds: [621, 1621, 2621, 3621, 4621, 5621],
      arrays: { seed in
        let mask: Dropout<Float> = .stripes(Shape(n: 2, c: 3, h: 2, w: 2, t: 1), p: 0.25, seed: seed + 3)
        return [
          "input.npy": ([2, 2, 6, 6, 1], uniform(2 * 2 * 36, -0.5, 2, seed: seed)),
          "conv.npy": ([3, 2, 3, 3], uniform(54, -0.3, 0.7, seed: seed + 1)),
          "mask.npy": ([2, 3, 2, 2], mask.mask),
          "dense.npy": ([4, 12], uniform(48, -0.5, 1.5, seed: seed + 2)),
          "labels.npy": ([2], [3, 0]),
        ]
      })
  }

  static var paperRule: CaseDefinition {
    let t = 5
    return definition(
      name: "tsslbp-paper-rule",
      description: """
        The paper-era backward rule (camera-ready code, τs 2): psc → dense 10→6 → lif (firing well above 10 %: \
        s·clip(1/Δu, ±10)·corr_ε(g + D·g), D the consecutive-spike term) → dense 6→3 → lif (firing at most 10 %: the \
        whole layer takes σ′(u)·corr_ε(g + D·g)), batch 2, T = 5, kernel loss with the paper's pattern [0,1,0,1,1] \
        filtered once. report.json gives each layer's firing fraction. Seeds: input = seed, W1 = seed + 1, W2 = seed + 2.
        """,
      parameters: TSSLParameters(tauM: 5, tauS: 2, theta: 1), rule: .paper, steps: t,
      ops: [op("psc"), op("dense", ["weights": .string("w1.npy")]), op("lif"), op("dense", ["weights": .string("w2.npy")]), op("lif")],
      loss: ["type": .string("kernel"), "labels": .string("labels.npy"), "pattern": .string("paper")],
      seeds: [631, 1631, 2631, 3631, 4631, 5631],
      arrays: { seed in [
        "input.npy": ([2, 10, 1, 1, t], binary(2 * 10 * t, p: 0.5, seed: seed)),
        "w1.npy": ([6, 10], uniform(60, -0.2, 1.5, seed: seed + 1)),
        "w2.npy": ([3, 6], uniform(18, -0.4, 0.5, seed: seed + 2)),
        "labels.npy": ([2], [1, 2]),
      ] })
  }
}
