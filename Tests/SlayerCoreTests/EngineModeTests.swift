@testable import SlayerCore
import Testing

/// The event-driven engine against the plain dense loops (``Engine/Mode``): the same bits for every
/// op, forward and backward, in `Float` and `Double` (`DEVELOPERS.md`: skip exact zeros, keep the
/// order of the remaining terms). Speed is `slayer bench`'s business; this suite only checks bits.
@Suite("Engine modes", .serialized)
struct EngineModeTests {
  /// `body` under the dense engine, then under the event-driven one.
  func underBothEngines<T>(_ body: () -> T) -> (dense: T, sparse: T) {
    let saved = Engine.mode
    defer { Engine.mode = saved }
    Engine.mode = .dense
    let dense = body()
    Engine.mode = .sparse
    return (dense, body())
  }

  /// Every value, potential, loss and gradient of a step, as bit patterns.
  func bits<S>(_ step: (trace: Network<S>.Trace, loss: Loss<S>.Evaluation, gradients: Network<S>.Gradients)) -> [(String, [UInt64])] {
    var out: [(String, [UInt64])] = []
    for (k, v) in step.trace.values.enumerated() { out.append(("value \(k)", v.scalars.map(\.double.bitPattern))) }
    for (k, p) in step.trace.potentials.enumerated() { if let p { out.append(("potential \(k + 1)", p.scalars.map(\.double.bitPattern))) } }
    out.append(("loss", [step.loss.loss.bitPattern]))
    out.append(("loss gradient", step.loss.gradient.scalars.map(\.double.bitPattern)))
    out.append(("input gradient", step.gradients.input.scalars.map(\.double.bitPattern)))
    for (k, w) in step.gradients.weights.enumerated() { if let w { out.append(("weight gradient op\(k)", w.map(\.double.bitPattern))) } }
    return out
  }

  func expectSameBits(_ a: [(String, [UInt64])], _ b: [(String, [UInt64])], _ what: String, seed: UInt64,
                      sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(what) (seed \(seed)): \(a.count) vs \(b.count) tensors", sourceLocation: sourceLocation)
    for ((name, x), (_, y)) in zip(a, b) {
      guard let i = x.indices.first(where: { x[$0] != y[$0] }) ?? (x.count == y.count ? nil : min(x.count, y.count)) else { continue }
      let differing = zip(x, y).filter { $0 != $1 }.count
      Issue.record(Comment(rawValue: "\(what) (seed \(seed)), \(name): \(differing) of \(x.count) values differ; first at [\(i)]: "
                             + "dense \(i < x.count ? Double(bitPattern: x[i]) : .nan), event-driven \(i < y.count ? Double(bitPattern: y[i]) : .nan)"),
                   sourceLocation: sourceLocation)
      return
    }
  }

  @Test("every layer op, forward and backward: the same bits on both engines", arguments: [(61 as UInt64, 0.03), (62, 0.25), (63, 0.7)])
  func layerOps(seed: UInt64, density: Double) {
    var rng = SplitMix64(seed: seed)
    // Weights with some exact zeros, which the event-driven kernels skip.
    func w(_ count: Int) -> [Float] { (0..<count).map { _ in rng.uniform() < 0.1 ? 0 : Float(rng.uniform(-1, 5)) } }
    let t = 23  // not a multiple of the vector width
    let net = Network(neuron: Neuron<Float>(NeuronParameters(theta: 10, tauSr: 1, tauRho: 1), SimulationParameters(Ts: 1, tSample: Double(t))), layers: [
      .pspFilter(PSPFilter(count: 2, filters: w(8))),
      .conv(Conv2D(outChannels: 3, inChannels: 4, kernelHeight: 3, kernelWidth: 3, padding: 1, weights: w(108))), .spike, .psp,
      .delay(Delay(delays: [0.5, 1.5, 2.5], perChannel: true)), .dropout(Dropout(shape: Shape(n: 2, c: 3, h: 5, w: 5, t: t), p: 0.2, seed: seed)),
      .pool(Pool(size: 2)), .spike, .psp,
      .convTranspose(ConvTranspose2D(inChannels: 3, outChannels: 2, kernelHeight: 2, kernelWidth: 2, stride: 2, weights: w(24))),
      .unpool(Unpool(size: 2)), .delayShift(1), .spike, .psp,
      .dense(Dense(outputs: 11, inputs: 288, weights: w(11 * 288))), .spike, .psp,
      .dense(Dense(outputs: 3, inputs: 11, weights: w(33))), .spike,
    ])
    let input = Tensor<Float>(shape: Shape(n: 2, c: 2, h: 5, w: 5, t: t),
                              scalars: (0..<2 * 2 * 25 * t).map { _ in rng.uniform() < density ? 1 : 0 })
    let loss = Loss<Float>.numSpikes(NumSpikesLoss(labels: [1, 2], start: 0, stop: Double(t), trueCount: 5, falseCount: 1))
    let (dense, sparse) = underBothEngines { net.evaluate(input, loss: loss) }
    expectSameBits(bits(dense), bits(sparse), "layer ops, input density \(density)", seed: seed)
    #expect(dense.trace.values.map { $0.scalars.filter { $0 != 0 }.count }.reduce(0, +) > 100, "seed \(seed): too few non-zero values to test")
  }

  @Test("dense networks under both losses, in Float and in Double: the same bits on both engines", arguments: [64 as UInt64, 65])
  func denseNetworks(seed: UInt64) {
    let (netF, inputF) = TestData.twoLayer(Float.self, inputs: 37, hidden: 19, outputs: 3, seed: seed)
    let (netD, inputD) = TestData.twoLayer(Double.self, inputs: 37, hidden: 19, outputs: 3, seed: seed)
    let counts = NumSpikesLoss(labels: [2, 0], start: 2, stop: 15, trueCount: 6, falseCount: 1)
    var rng = SplitMix64(seed: seed &+ 3)
    let target = Tensor<Float>(shape: Shape(n: 2, c: 3, t: inputF.shape.t), scalars: (0..<6 * inputF.shape.t).map { _ in rng.uniform() < 0.1 ? 2 : 0 })
    let float = underBothEngines { (netF.evaluate(inputF, loss: .numSpikes(counts)), netF.evaluate(inputF, loss: .spikeTime(target: target))) }
    let double = underBothEngines { (netD.evaluate(inputD, loss: .numSpikes(counts)), netD.evaluate(inputD, loss: .spikeTime(target: target.converted(to: Double.self)))) }
    expectSameBits(bits(float.dense.0), bits(float.sparse.0), "Float, numSpikes", seed: seed)
    expectSameBits(bits(float.dense.1), bits(float.sparse.1), "Float, spikeTime", seed: seed)
    expectSameBits(bits(double.dense.0), bits(double.sparse.0), "Double, numSpikes", seed: seed)
    expectSameBits(bits(double.dense.1), bits(double.sparse.1), "Double, spikeTime", seed: seed)
  }

  @Test("conv and corr on empty, sparse and dense rows, with zero taps: the same bits on both engines", arguments: [66 as UInt64, 67])
  func temporalFilters(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let t = 41, rows = 60
    // Row r has density r/rows: empty rows, a few events (the scatter path), many (the vector path).
    let x: [Float] = (0..<rows * t).map { i in rng.uniform() < Double(i / t) / Double(rows) ? Float(rng.uniform(-3, 3)) : 0 }
    for kernel in [[0, 1, 0.5, 0, 0.25, -0.125] as [Float], (0..<50).map { _ in Float(rng.uniform(-1, 1)) }] {
      let conv = underBothEngines { TemporalFilter.conv(x, kernel: kernel, t: t, Ts: 0.5) }
      let corr = underBothEngines { TemporalFilter.corr(x, kernel: kernel, t: t, Ts: 0.5) }
      #expect(conv.dense.map(\.bitPattern) == conv.sparse.map(\.bitPattern), "conv, kernel of \(kernel.count), seed \(seed)")
      #expect(corr.dense.map(\.bitPattern) == corr.sparse.map(\.bitPattern), "corr, kernel of \(kernel.count), seed \(seed)")
    }
  }

  @Test("the gradient check's row probe gives the full forward pass's bits", arguments: [70 as UInt64, 71])
  func rowProbe(seed: UInt64) {
    let (net, input) = TestData.twoLayer(Double.self, inputs: 23, hidden: 9, outputs: 2, seed: seed)
    let twin = net.converted(to: Double.self, mode: .smooth)
    let base = twin.forward(input).values
    var rng = SplitMix64(seed: seed &+ 5)
    for k in twin.weightedLayers {
      let v = base[k]
      let events = RowEvents(v.scalars, rows: v.shape.rows, t: v.shape.t).byTime(rowsPerBlock: v.shape.neurons, t: v.shape.t)
      for _ in 0..<5 {
        var w = twin.weights(of: k)!
        let i = Int(rng.next() % UInt64(w.count))
        w[i] += rng.uniform(-0.5, 0.5)
        var probed = twin
        probed.setWeights(of: k, w)
        let full = probed.forward(input).values.map { $0.scalars.map(\.bitPattern) }
        for mode in Engine.Mode.allCases {
          let saved = Engine.mode
          Engine.mode = mode
          let fast = GradientCheck.rowProbe(probed, k, weight: i, base: base, events: events)?.map { $0.scalars.map(\.bitPattern) }
          Engine.mode = saved
          #expect(fast == full, "op\(k) weight \(i), \(mode) engine (seed \(seed))")
        }
      }
    }
  }

  @Test("a batch built from spike offsets knows the events a scan finds, and trains to the same bits", arguments: [72 as UInt64, 73])
  func knownEvents(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let sampleShape = Shape(n: 1, c: 2, h: 3, w: 4, t: 17)
    // Three samples, one without spikes; offsets strictly ascending.
    let samples: [[Int32]] = [0.2, 0, 0.05].map { density in
      (0..<Int32(sampleShape.count)).filter { _ in rng.uniform() < density }
    }
    let known = Tensor<Float>(spikesAt: samples, sampleShape: sampleShape, height: 2)
    let plain = Tensor<Float>(shape: known.shape, scalars: known.scalars)
    #expect(known == plain && plain.knownEvents == nil)
    expectCarriesScannedEvents(known, atLeast: 20, "seed \(seed): the batch")
    // Any change to the scalars drops the cache.
    var changed = known
    changed.scalars[0] += 1
    #expect(changed.knownEvents == nil)
    // A network fed the batch gives the same trace and gradients as one fed the plain tensor.
    var wrng = SplitMix64(seed: seed &+ 1)
    let net = Network(neuron: Neuron<Float>(NeuronParameters(theta: 5, tauSr: 1, tauRho: 1), SimulationParameters(Ts: 1, tSample: 17)), layers: [
      .dense(Dense(outputs: 9, inputs: 24, weights: (0..<9 * 24).map { _ in Float(wrng.uniform(-1, 8)) })), .psp, .spike,
    ])
    let loss = Loss<Float>.numSpikes(NumSpikesLoss(labels: [1, 2, 0], start: 0, stop: 17, trueCount: 4, falseCount: 1))
    let a = net.evaluate(known, loss: loss), b = net.evaluate(plain, loss: loss)
    expectSameBits(bits(a), bits(b), "known against scanned events", seed: seed)
  }

  @Test("batches written over the previous batch's storage equal fresh ones, also while a batch is held", arguments: [74 as UInt64, 75])
  func reusedBatches(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let sampleShape = Shape(n: 1, c: 2, h: 3, w: 2, t: 11)
    func sample() -> [Int32] { (0..<Int32(sampleShape.count)).filter { _ in rng.uniform() < 0.15 } }
    let writer = SpikeBatches<Float>(sampleShape: sampleShape, height: 0.5)
    var held: [(Tensor<Float>, Tensor<Float>)] = []
    // Batches of 3, 3, 3 (the middle one still held when the third is made), 2, then 3 again.
    for (k, size) in [3, 3, 3, 2, 3].enumerated() {
      let samples = (0..<size).map { _ in sample() }
      let reused = writer.batch(samples)
      let fresh = Tensor<Float>(spikesAt: samples, sampleShape: sampleShape, height: 0.5)
      #expect(reused == fresh, "seed \(seed): batch \(k) of \(size) differs from a fresh one")
      expectCarriesScannedEvents(reused, atLeast: size, "seed \(seed): batch \(k)")
      if k == 1 { held.append((reused, fresh)) }
    }
    // The batch held across the next one was not written over.
    for (reused, fresh) in held { #expect(reused == fresh, "seed \(seed): a held batch changed") }
  }

  @Test("the spike op lists its spikes as a scan of its output finds them, on any number of threads", arguments: [76 as UInt64, 77])
  func spikeEvents(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    // 400 rows of 500 samples: enough work for the loop to be split into chunks on 2 and 3 threads.
    let shape = Shape(n: 4, c: 100, t: 500)
    // Potentials around θ = 5 (some rows silent, some firing often), Ts = 0.5 (spikes of height 2).
    let u = Tensor<Float>(shape: shape, scalars: (0..<shape.count).map { i in Float(rng.uniform(-4, i % 5 == 0 ? 2 : 9)) })
    let neuron = Neuron<Float>(NeuronParameters(theta: 5, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1), SimulationParameters(Ts: 0.5, tSample: 250))
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    for threads in [1, 2, 3] {
      Parallel.maxThreads = threads
      expectCarriesScannedEvents(Spike.forward(u, neuron).spikes, atLeast: 10_000, "seed \(seed), \(threads) thread(s): the spikes")
    }
  }

  @Test("a dense layer chooses its loops from the known event count as it would from a scan", arguments: [78 as UInt64])
  func knownCountChoosesAsScan(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var both = [0, 0]  // how often each choice came up, so that both are tested
    for outputs in [1, 3, 5, 7, 10, 25] {
      let dense = Dense<Float>(outputs: outputs, inputs: 6, weights: [Float](repeating: 1, count: outputs * 6))
      for density in [0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 1] {
        let x = Tensor(shape: Shape(n: 2, c: 6, t: 300), scalars: (0..<6 * 2 * 300).map { _ in rng.uniform() < density ? Float(1) : 0 })
        var carrying = x
        carrying.knownEvents = RowEvents(x.scalars, rows: x.shape.rows, t: x.shape.t)
        let scanned = dense.prefersDenseLoops(x), known = dense.prefersDenseLoops(carrying)
        #expect(scanned == known, "seed \(seed), \(outputs) outputs, \(carrying.knownEvents!.count) non-zeros: scan \(scanned), count \(known)")
        both[scanned ? 1 : 0] += 1
      }
    }
    #expect(both[0] > 0 && both[1] > 0, "seed \(seed): choices \(both), one never came up")
  }
}

/// Expects `x` to carry the events (``RowEvents``) that a scan of its scalars finds, bit for bit, and
/// at least `atLeast` of them (so that the comparison tests something).
private func expectCarriesScannedEvents<S: SpikeScalar>(_ x: Tensor<S>, atLeast: Int, _ what: String,
                                                        sourceLocation: SourceLocation = #_sourceLocation) {
  let scanned = RowEvents(x.scalars, rows: x.shape.rows, t: x.shape.t)
  guard let carried = x.knownEvents else {
    Issue.record("\(what) carries no events", sourceLocation: sourceLocation)
    return
  }
  #expect(carried.start == scanned.start && carried.time == scanned.time && carried.value == scanned.value,
          "\(what): \(carried.count) carried events against \(scanned.count) found by a scan", sourceLocation: sourceLocation)
  #expect(scanned.count >= atLeast, "\(what): \(scanned.count) events, too few to test", sourceLocation: sourceLocation)
}
