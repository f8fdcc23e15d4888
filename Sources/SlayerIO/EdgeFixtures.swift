// Fixture cases at the edges backends get wrong: delay quotients that float32 truncates one sample
// low, delays that push spikes out of the window, a silent input, a saturating input, and one
// deliberately borderline crossing that `compare` must excuse. Each description says why.
import SlayerCore

enum EdgeFixtures: FixtureSet {
  static var all: [CaseDefinition] { [delayTrunc, delayOutOfWindow, silentInput, saturatingInput, borderline] }

  static let neuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)

  /// A flat `(N, C, 1, 1, T)` train with spikes of height `1/Ts` at `times[b][c]` (sample indices).
  static func train(_ times: [[[Int]]], t: Int, Ts: Double) -> [Float] {
    var x: [Float] = []
    for sample in times {
      for neuron in sample {
        var row = [Float](repeating: 0, count: t)
        for n in neuron { row[n] = Float(1 / Ts) }
        x += row
      }
    }
    return x
  }

  static var delayTrunc: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.1, tSample: 4), t = sim.steps
    let input = [[[3, 11], [3, 11], [3, 11], [3, 11]], [[0, 17, 39], [0, 17, 39], [0, 17, 39], [0, 17, 39]]]
    // The target is the input shifted by the exact-arithmetic shifts 13, 21, 10, 7: the loss is the
    // cost of the float32 truncation alone (channels 2 and 3 match their targets).
    let exact = [13, 21, 10, 7]
    let target = input.map { sample in sample.enumerated().map { c, times in times.map { $0 + exact[c] }.filter { $0 < t } } }
    return CaseDefinition(
      name: "delay-float32-trunc",
      description: """
        delay alone at Ts = 0.1 ms with delays that are exact multiples of Ts: 1.3, 2.1, 1.0 and 0.7 ms \
        (one per channel, batch 2, hand-placed spikes of height 10). In exact arithmetic they are 13, 21, 10 \
        and 7 samples, but the shift is trunc(d/Ts) with the quotient in float32 (slayerPytorch's float32 \
        tensors): Float(1.3)/Float(0.1) = 12.999999 → 12 and Float(2.1)/Float(0.1) = 20.999998 → 20, while \
        1.0 → 10 and 0.7 → 7 are exact. A backend that divides in float64 (1.3/0.1 = 13.000000000000002 → \
        13, 2.1/0.1 → 21) or rounds is one sample late in channels 0 and 1. The spike at sample 39 leaves \
        the window. The target is the input shifted by the exact-arithmetic 13, 21, 10 and 7 samples, so the \
        loss is the cost of the float32 truncation alone. Built by hand (no seed).
        """,
      neuron: neuron, simulation: sim, ops: [op("delay", ["delays": .string("delays.npy")])],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      arrays: { _ in [
        "input.npy": ([2, 4, 1, 1, t], train(input, t: t, Ts: sim.Ts)),
        "delays.npy": ([4, 1, 1], [1.3, 2.1, 1.0, 0.7]),
        "target.npy": ([2, 4, 1, 1, t], train(target, t: t, Ts: sim.Ts)),
      ] })
  }

  static var delayOutOfWindow: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 20), t = sim.steps
    return CaseDefinition(
      name: "delay-out-of-window",
      description: """
        delay → psp → dense 6→3 → spike, batch 2, Ts = 1 ms, one delay per input channel: 0, 4.5, 12, 19, 20 \
        and 35 ms on a 20-sample window, every input channel spiking at samples 0 and 19 plus Poisson spikes. \
        Delay 12 pushes the later spikes out; 19 keeps only the spike at sample 0, moved to the last sample \
        (where ε[0] = 0 hides it from the psp); 20 (= T) and 35 (> T) push every spike out, so channels 4 \
        and 5 are silent; the delay gradients of channels 3, 4 and 5 are exactly 0. Backends that wrap around (a circular shift, \
        an FFT convolution), clamp to the last sample or index past T differ. Seeds: input = seed, dense = \
        seed + 1, target = seed + 2.
        """,
      neuron: NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1), simulation: sim,
      ops: [op("delay", ["delays": .string("delays.npy")]), op("psp"), op("dense", ["weights": .string("w.npy")]),
            op("spike")],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      seeds: [311, 1311, 2311, 3311, 4311],
      arrays: { seed in
        var x = spikes(Shape(n: 2, c: 6, t: t), rateHz: 150, Ts: 1, seed: seed)
        for row in 0..<12 { (x[row * t], x[row * t + t - 1]) = (1, 1) }
        return [
          "input.npy": ([2, 6, 1, 1, t], x),
          "delays.npy": ([6, 1, 1], [0, 4.5, 12, 19, 20, 35]),
          "w.npy": ([3, 6], uniform(18, -1, 7, seed: seed + 1)),
          "target.npy": ([2, 3, 1, 1, t], spikes(Shape(n: 2, c: 3, t: t), rateHz: 100, Ts: 1, seed: seed + 2)),
        ]
      })
  }

  static var silentInput: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 15), t = sim.steps
    return CaseDefinition(
      name: "silent-input",
      description: """
        A silent input (no spike at all) through psp → dense 5→4 → spike → psp → dense 4→3 → spike, batch 2, \
        Ts = 0.5 ms, numSpikes loss with region 2–12 ms. Every output and potential is 0 and the margin is θ, \
        yet the loss is positive (every count misses its target) and the gradients are defined: \
        grad.input is ρ(0)-weighted and non-zero, the weight gradients are exactly 0 (no presynaptic \
        activity). Backends that normalise by a spike count, skip empty tensors or take log(0) produce NaN \
        or nothing here. Seeds: W1 = seed, W2 = seed + 1.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("psp"), op("dense", ["weights": .string("w1.npy")]), op("spike"),
            op("psp"), op("dense", ["weights": .string("w2.npy")]), op("spike")],
      loss: ["type": .string("numSpikes"), "labels": .string("labels.npy"),
             "tgtSpikeRegion": .object(["start": .number(2), "stop": .number(12)]),
             "tgtSpikeCount": .object(["true": .number(3), "false": .number(1)])],
      seeds: [321],
      arrays: { seed in [
        "input.npy": ([2, 5, 1, 1, t], [Float](repeating: 0, count: 2 * 5 * t)),
        "w1.npy": ([4, 5], uniform(20, -2, 8, seed: seed)),
        "w2.npy": ([3, 4], uniform(12, -2, 8, seed: seed + 1)),
        "labels.npy": ([2], [0, 2]),
      ] })
  }

  static var saturatingInput: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 25), t = sim.steps
    // Sample 0: every input neuron fires at every sample. Sample 1: bursts of 6 on, 4 off.
    let input: [Float] = (0..<2 * 4 * t).map { i in i < 4 * t || (i % t) % 10 < 6 ? 1 : 0 }
    return CaseDefinition(
      name: "saturating-input",
      description: """
        A saturating input: in batch sample 0 every input neuron fires at every sample, in sample 1 in \
        bursts (6 on, 4 off), through psp → dense 4→5 → spike → psp → dense 5→2 → spike with positive \
        weights, Ts = 1 ms. Every hidden neuron fires in bursts as fast as ν allows: u stays far above θ, \
        many refractory responses overlap (each added in place, in Double), consecutive spikes abound, \
        and the loss and gradients are large, which tests the relative tolerances. Backends that reset u, \
        cap the rate, or accumulate ν in float32 in another order drift here. Seeds: W1 = seed, W2 = \
        seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("psp"), op("dense", ["weights": .string("w1.npy")]), op("spike"),
            op("psp"), op("dense", ["weights": .string("w2.npy")]), op("spike")],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      seeds: [331, 1331, 2331, 3331, 4331, 5331],
      arrays: { seed in [
        "input.npy": ([2, 4, 1, 1, t], input),
        "w1.npy": ([5, 4], uniform(20, 2, 6, seed: seed)),
        "w2.npy": ([2, 5], uniform(10, 1, 4, seed: seed + 1)),
        "target.npy": ([2, 2, 1, 1, t], spikes(Shape(n: 2, c: 2, t: t), rateHz: 100, Ts: 1, seed: seed + 2)),
      ] })
  }

  /// θ ± 5e-5 in float32: `Float(10.00005)` and `Float(9.99995)`.
  static let above = Float(10.00005), below = Float(9.99995)

  static var borderline: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 12), t = sim.steps
    // Batch sample 0: input 0 fires once, at T − 3, so its psp peaks (exactly 1) at the last sample.
    // Batch sample 1: input 1 fires at 0, 1 and 5, ordinary activity with wide margins.
    let input = train([[[t - 3], []], [[], [0, 1, 5]]], t: t, Ts: sim.Ts)
    return CaseDefinition(
      name: "borderline-crossing",
      description: """
        A deliberately borderline crossing, built by hand: psp → dense 2→2 → spike at Ts = 1 ms with \
        tauSr = 2 ms, so a single input spike gives a psp peak of exactly 1 two samples later (ε(τ) = 1). In \
        batch sample 0 that peak falls on the last sample and meets weights 10.00005 and 9.99995 (float32): \
        output 0 reaches θ + 5e-5 and fires, output 1 reaches θ − 5e-5 and does not. A float32 backend that \
        sums in another order may land on the other side of θ; `compare` excuses that spike because the \
        expected |u − θ| < 1e-3. Both sit on the last sample, so a flipped spike changes nothing else: ν \
        starts on the next sample and ε[0] = 0 keeps it out of the spikeTime error. Batch sample 1 is \
        ordinary activity with wide margins. Built by hand (no seed).
        """,
      neuron: NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1), simulation: sim,
      ops: [op("psp"), op("dense", ["weights": .string("w.npy")]), op("spike")],
      loss: ["type": .string("spikeTime"), "target": .string("target.npy")],
      borderline: true,
      arrays: { _ in [
        "input.npy": ([2, 2, 1, 1, t], input),
        "w.npy": ([2, 2], [above, 25, below, 18]),
        "target.npy": ([2, 2, 1, 1, t], train([[[6], []], [[4], [8]]], t: t, Ts: sim.Ts)),
      ] })
  }
}
