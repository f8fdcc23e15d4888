// Fixture cases with one op alone (psp with spike as a pair), and each loss alone: the first cases
// a backend should pass, since a failure names the op. Each op-alone case carries a spikeTime loss
// only as a fixed vehicle for an output gradient, so that its pullback (grad.input and the
// parameter gradient) is checked too; the loss-alone cases put an identity op (delayShift 0) in
// front of the loss, so that loss.json and grad.input.npy are the loss and its pullback alone.
import SlayerCore

enum OpFixtures: FixtureSet {
  static var all: [CaseDefinition] {
    [pspSpike, dense, conv, convTranspose, pool, unpool, dropout, delay, delayShift, pspLayer, pspFilter,
     replicateInTime, spikeTimeLoss, numSpikesLoss]
  }

  static let neuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)

  /// A spikeTime loss with `target.npy`.
  static let spikeTimeLossJSON: [String: JSON] = ["type": .string("spikeTime"), "target": .string("target.npy")]

  static var pspSpike: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 20), t = sim.steps
    let shape = Shape(n: 2, c: 3, h: 2, w: 2, t: t)
    return CaseDefinition(
      name: "op-psp-spike",
      description: """
        psp then spike alone, batch 2, (C, H, W) = (3, 2, 2), Ts = 0.5 ms, θ = 2.5 and tauSr = 2 ms so that \
        two or three overlapping input PSPs cross θ. Exercises a = Ts·conv_ε(s) per neuron (ε sampled at \
        t = k·Ts with ε[0] = 0, truncated once below 0.01 after its peak), the spike loop with ν added in \
        place from the next sample on (u saved after it), spikes of height 1/Ts = 2, and in backward ρ(u) \
        times the psp pullback (a correlation, not a convolution). Seeds: input = seed, target = seed + 1.
        """,
      neuron: NeuronParameters(theta: 2.5, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1),
      simulation: sim, ops: [op("psp"), op("spike")], loss: spikeTimeLossJSON,
      seeds: [151, 1151, 2151, 3151],
      arrays: { seed in [
        "input.npy": (shape.dims, spikes(shape, rateHz: 300, Ts: sim.Ts, seed: seed)),
        "target.npy": (shape.dims, spikes(shape, rateHz: 60, Ts: sim.Ts, seed: seed + 1)),
      ] })
  }

  static var dense: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 12), t = sim.steps
    return CaseDefinition(
      name: "op-dense",
      description: """
        dense alone on a (2, 3, 2, 2, 12) spike input: u = W·x per time sample with the input flattened in \
        C-order of (C, H, W) (12 inputs → 5 outputs, output (N, 5, 1, 1, T)). A backend that flattens \
        (H, W, C) or transposes W differs in op0; grad.input = Wᵀ·g and grad.op0.weights = Σ_{b,n} g·xᵀ \
        (summed over the batch, not averaged). Seeds: input = seed, weights = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim, ops: [op("dense", ["weights": .string("w.npy")])], loss: spikeTimeLossJSON,
      seeds: [161],
      arrays: { seed in [
        "input.npy": ([2, 3, 2, 2, t], spikes(Shape(n: 2, c: 3, h: 2, w: 2, t: t), rateHz: 250, Ts: 1, seed: seed)),
        "w.npy": ([5, 12], uniform(60, -2, 3, seed: seed + 1)),
        "target.npy": ([2, 5, 1, 1, t], spikes(Shape(n: 2, c: 5, t: t), rateHz: 100, Ts: 1, seed: seed + 2)),
      ] })
  }

  static var conv: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 6), t = sim.steps
    return CaseDefinition(
      name: "op-conv",
      description: """
        conv alone with every non-default argument at once: 4 → 4 channels in 2 groups, 3×3 kernel, stride 2, \
        padding 1, dilation 2, on 7×7 (output 3×3), batch 2. A cross-correlation per time sample, as \
        PyTorch's conv2d (no kernel flip), no bias. Backends get the group slicing, the dilated padding \
        extent or the flip wrong. Seeds: input = seed, weights = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("conv", ["weights": .string("w.npy"), "stride": .number(2), "padding": .number(1),
                        "dilation": .number(2), "groups": .number(2)])],
      loss: spikeTimeLossJSON, seeds: [171],
      arrays: { seed in [
        "input.npy": ([2, 4, 7, 7, t], spikes(Shape(n: 2, c: 4, h: 7, w: 7, t: t), rateHz: 300, Ts: 1, seed: seed)),
        "w.npy": ([4, 2, 3, 3], uniform(72, -1, 2, seed: seed + 1)),
        "target.npy": ([2, 4, 3, 3, t], spikes(Shape(n: 2, c: 4, h: 3, w: 3, t: t), rateHz: 200, Ts: 1, seed: seed + 2)),
      ] })
  }

  static var convTranspose: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 3), t = sim.steps
    return CaseDefinition(
      name: "op-convTranspose",
      description: """
        convTranspose alone: 2 → 3 channels, 3×3 kernel, stride 2, padding 1 on 3×3, output extent \
        (H − 1)·s − 2p + d·(k − 1) + 1 = 5, weights (inC, outC/groups, kH, kW) as PyTorch's \
        conv_transpose2d, Ts = 0.5 ms. Backends get the weight layout (inC first) or the output extent \
        wrong. Seeds: input = seed, weights = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim,
      ops: [op("convTranspose", ["weights": .string("w.npy"), "stride": .number(2), "padding": .number(1)])],
      loss: spikeTimeLossJSON, seeds: [181],
      arrays: { seed in [
        "input.npy": ([1, 2, 3, 3, t], spikes(Shape(n: 1, c: 2, h: 3, w: 3, t: t), rateHz: 500, Ts: 0.5, seed: seed)),
        "w.npy": ([2, 3, 3, 3], uniform(54, -1, 2, seed: seed + 1)),
        "target.npy": ([1, 3, 5, 5, t], spikes(Shape(n: 1, c: 3, h: 5, w: 5, t: t), rateHz: 300, Ts: 0.5, seed: seed + 2)),
      ] })
  }

  static var pool: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 5), t = sim.steps
    return CaseDefinition(
      name: "op-pool",
      description: """
        pool alone, an odd size 3 on 8×8, 2 channels, batch 2: weight 1.1·θ = 11 per tap, and slayerPytorch's \
        odd-size rule appends H mod k = 2 zero rows and W mod k = 2 zero columns (bottom, right) before a \
        stride-3 window, output 3×3. Backends that pad symmetrically, use ceil_mode, average, or (as \
        slayerPytorch's merged C·H convolution does when H + H mod k is not a multiple of k) mix adjacent \
        channels differ (PAPER-DIFF, Docs/PaperVsCode.md). No weight gradient. Seeds: input = seed, target = \
        seed + 1.
        """,
      neuron: neuron, simulation: sim, ops: [op("pool", ["size": .number(3)])], loss: spikeTimeLossJSON,
      seeds: [191],
      arrays: { seed in [
        "input.npy": ([2, 2, 8, 8, t], spikes(Shape(n: 2, c: 2, h: 8, w: 8, t: t), rateHz: 200, Ts: 1, seed: seed)),
        "target.npy": ([2, 2, 3, 3, t], spikes(Shape(n: 2, c: 2, h: 3, w: 3, t: t), rateHz: 200, Ts: 1, seed: seed + 1)),
      ] })
  }

  static var unpool: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 5), t = sim.steps
    return CaseDefinition(
      name: "op-unpool",
      description: """
        unpool alone: size 2 on 3×3 → 6×6, 2 channels, each input copied to a 2×2 block times 1.1·θ = 11 \
        (a transposed depthwise convolution; not nearest-neighbour upsampling, which lacks the 1.1·θ). \
        The pullback sums each block. Seeds: input = seed, target = seed + 1.
        """,
      neuron: neuron, simulation: sim, ops: [op("unpool", ["size": .number(2)])], loss: spikeTimeLossJSON,
      seeds: [201],
      arrays: { seed in [
        "input.npy": ([1, 2, 3, 3, t], spikes(Shape(n: 1, c: 2, h: 3, w: 3, t: t), rateHz: 400, Ts: 1, seed: seed)),
        "target.npy": ([1, 2, 6, 6, t], spikes(Shape(n: 1, c: 2, h: 6, w: 6, t: t), rateHz: 200, Ts: 1, seed: seed + 1)),
      ] })
  }

  static var dropout: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 8), t = sim.steps
    return CaseDefinition(
      name: "op-dropout",
      description: """
        dropout alone with a fixed mask (p = 0.5: entries 0 or 2), batch 2: one mask entry per (n, c, h, w) \
        for every time sample (F.dropout3d on (N, C·H·W, 1, 1, T)), not a fresh mask per sample; the \
        pullback multiplies by the same mask. Seeds: input = seed, mask = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim, ops: [op("dropout", ["mask": .string("mask.npy")])], loss: spikeTimeLossJSON,
      seeds: [211],
      arrays: { seed in
        var rng = SplitMix64(seed: seed + 1)
        return [
          "input.npy": ([2, 3, 2, 2, t], spikes(Shape(n: 2, c: 3, h: 2, w: 2, t: t), rateHz: 300, Ts: 1, seed: seed)),
          "mask.npy": ([2, 3, 2, 2], (0..<24).map { _ in rng.uniform() < 0.5 ? 0 : 2 }),
          "target.npy": ([2, 3, 2, 2, t], spikes(Shape(n: 2, c: 3, h: 2, w: 2, t: t), rateHz: 200, Ts: 1, seed: seed + 2)),
        ]
      })
  }

  static var delay: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 15), t = sim.steps
    return CaseDefinition(
      name: "op-delay",
      description: """
        delay alone, one delay per neuron (C, H, W) = (2, 2, 2), batch 2, Ts = 1 ms, delays in [0, 5) ms: \
        y[n] = x[n − trunc(d/Ts)] (truncated, not rounded: 2.6 ms shifts by 2 samples), zero-filled. The \
        delay gradient is slayerPytorch's −Σ_{b,n} g_y[n]·(y[n] − y[n−1]) (a backward difference of the \
        shifted signal, = Ts × the exact derivative), not the exact one. Seeds: input = seed, delays = \
        seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim, ops: [op("delay", ["delays": .string("delays.npy")])], loss: spikeTimeLossJSON,
      seeds: [221],
      arrays: { seed in [
        "input.npy": ([2, 2, 2, 2, t], spikes(Shape(n: 2, c: 2, h: 2, w: 2, t: t), rateHz: 250, Ts: 1, seed: seed)),
        "delays.npy": ([2, 2, 2], uniform(8, 0, 5, seed: seed + 1)),
        "target.npy": ([2, 2, 2, 2, t], spikes(Shape(n: 2, c: 2, h: 2, w: 2, t: t), rateHz: 150, Ts: 1, seed: seed + 2)),
      ] })
  }

  static var delayShift: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 8), t = sim.steps
    return CaseDefinition(
      name: "op-delayShift",
      description: """
        delayShift alone, shift 1.75 ms at Ts = 0.5 ms: 3.5 samples, truncated to 3 (a backend that rounds \
        shifts by 4); the last 3 samples of each train leave the window; no gradient for the shift, and \
        grad.input is g shifted back. Seeds: input = seed, target = seed + 1.
        """,
      neuron: neuron, simulation: sim, ops: [op("delayShift", ["shift": .number(1.75)])], loss: spikeTimeLossJSON,
      seeds: [231],
      arrays: { seed in [
        "input.npy": ([2, 3, 1, 1, t], spikes(Shape(n: 2, c: 3, t: t), rateHz: 400, Ts: 0.5, seed: seed)),
        "target.npy": ([2, 3, 1, 1, t], spikes(Shape(n: 2, c: 3, t: t), rateHz: 200, Ts: 0.5, seed: seed + 1)),
      ] })
  }

  static var pspLayer: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 15), t = sim.steps
    return CaseDefinition(
      name: "op-pspLayer",
      description: """
        pspLayer alone: one learnable 6-tap filter h shared by every neuron, a = Ts·Σ_k h[k]·s[n − k] (the \
        tap k = 0 acts on the same sample), on (2, 2, 2, 1, 15). The filter gradient sums over batch and \
        neurons (grad.op0.filters.npy, shape (6,)). Seeds: input = seed, filter = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim, ops: [op("pspLayer", ["filter": .string("filter.npy")])], loss: spikeTimeLossJSON,
      seeds: [241],
      arrays: { seed in [
        "input.npy": ([2, 2, 2, 1, t], spikes(Shape(n: 2, c: 2, h: 2, w: 1, t: t), rateHz: 250, Ts: 1, seed: seed)),
        "filter.npy": ([6], uniform(6, -0.2, 1, seed: seed + 1)),
        "target.npy": ([2, 2, 2, 1, t], spikes(Shape(n: 2, c: 2, h: 2, w: 1, t: t), rateHz: 150, Ts: 1, seed: seed + 2)),
      ] })
  }

  static var pspFilter: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 6), t = sim.steps
    return CaseDefinition(
      name: "op-pspFilter",
      description: """
        pspFilter alone: a bank of 3 filters of 5 taps on 2 channels, output channel f·C + c (filter-major: \
        channel 1 is filter 0 on input channel 1, not filter 1 on channel 0), Ts = 0.5 ms. Seeds: input = \
        seed, filters = seed + 1, target = seed + 2.
        """,
      neuron: neuron, simulation: sim, ops: [op("pspFilter", ["filters": .string("filters.npy")])], loss: spikeTimeLossJSON,
      seeds: [251],
      arrays: { seed in [
        "input.npy": ([1, 2, 1, 2, t], spikes(Shape(n: 1, c: 2, h: 1, w: 2, t: t), rateHz: 400, Ts: 0.5, seed: seed)),
        "filters.npy": ([3, 5], uniform(15, -0.5, 1, seed: seed + 1)),
        "target.npy": ([1, 6, 1, 2, t], spikes(Shape(n: 1, c: 6, h: 1, w: 2, t: t), rateHz: 200, Ts: 0.5, seed: seed + 2)),
      ] })
  }

  static var replicateInTime: CaseDefinition {
    let sim = SimulationParameters(Ts: 1, tSample: 10), t = sim.steps
    return CaseDefinition(
      name: "op-replicateInTime",
      description: """
        replicateInTime alone: a static input (2, 3, 1, 2, 1) copied to all 10 samples; its pullback sums \
        the output gradient over time into grad.input.npy of shape (2, 3, 1, 2, 1). Seeds: input = seed, \
        target = seed + 1.
        """,
      neuron: neuron, simulation: sim, ops: [op("replicateInTime")], loss: spikeTimeLossJSON,
      seeds: [261],
      arrays: { seed in [
        "input.npy": ([2, 3, 1, 2, 1], uniform(12, 0, 1, seed: seed)),
        "target.npy": ([2, 3, 1, 2, t], spikes(Shape(n: 2, c: 3, h: 1, w: 2, t: t), rateHz: 150, Ts: 1, seed: seed + 1)),
      ] })
  }

  static var spikeTimeLoss: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.25, tSample: 10), t = sim.steps
    return CaseDefinition(
      name: "loss-spiketime",
      description: """
        The spikeTime loss alone, behind an identity op (delayShift 0), batch 2, Ts = 0.25 ms: \
        e = conv_ε(s − ŝ) with both trains of height 1/Ts = 4, E = ½·Ts·Σ e² summed (not averaged) over \
        batch, neurons and samples, and ∂E/∂s = corr_ε(Ts·e). Backends forget the Ts in E or in the \
        pullback, average over the batch, or convolve instead of correlate. Seeds: input = seed, target = \
        seed + 1.
        """,
      neuron: neuron, simulation: sim, ops: [op("delayShift", ["shift": .number(0)])], loss: spikeTimeLossJSON,
      seeds: [271],
      arrays: { seed in [
        "input.npy": ([2, 3, 1, 1, t], spikes(Shape(n: 2, c: 3, t: t), rateHz: 150, Ts: 0.25, seed: seed)),
        "target.npy": ([2, 3, 1, 1, t], spikes(Shape(n: 2, c: 3, t: t), rateHz: 150, Ts: 0.25, seed: seed + 1)),
      ] })
  }

  static var numSpikesLoss: CaseDefinition {
    let sim = SimulationParameters(Ts: 0.5, tSample: 20), t = sim.steps
    return CaseDefinition(
      name: "loss-numspikes",
      description: """
        The numSpikes loss alone, behind an identity op (delayShift 0), batch 3, 4 classes, Ts = 0.5 ms, a \
        region 5–15 ms (samples 10 … 29 of 40) that leaves spikes on both sides, counts 4 (true) and 1 \
        (false), numSpikesScale 0.5. Inside the region e = (Ts·Σ s − target)/20 bins·scale (per bin, not \
        per ms), outside e = conv_ε(s − mask·s) (the spike-time error of the outside spikes); the count \
        is detached. loss.json adds spikeCounts over the whole window and predictions. Seed: input = seed.
        """,
      neuron: neuron, simulation: sim, ops: [op("delayShift", ["shift": .number(0)])],
      loss: ["type": .string("numSpikes"), "labels": .string("labels.npy"),
             "tgtSpikeRegion": .object(["start": .number(5), "stop": .number(15)]),
             "tgtSpikeCount": .object(["true": .number(4), "false": .number(1)]), "numSpikesScale": .number(0.5)],
      seeds: [281],
      arrays: { seed in [
        "input.npy": ([3, 4, 1, 1, t], spikes(Shape(n: 3, c: 4, t: t), rateHz: 200, Ts: 0.5, seed: seed)),
        "labels.npy": ([3], [1, 3, 0]),
      ] })
  }
}
