import Foundation
import SlayerCore
import SlayerIO

/// Every worked number that `Docs/` cites, recomputed by the library functions (or the case
/// computation) behind the `slayer` command the article names.
///
/// A name is cited in the Markdown as `<!-- check: NAME -->` after the number (``Marker``). Each
/// entry returns the value(s) or a reason it cannot run here (missing data, a debug build too slow
/// for a training run), which the test prints.
enum WorkedNumbers {
  enum Outcome: Sendable {
    case values([Double])
    case skipped(String)
  }

  // MARK: Places

  /// The repository root (this file is `Tests/DocsTests/WorkedNumbers.swift`).
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func repo(_ path: String) -> URL { root.appendingPathComponent(path) }

  /// `$SLAYER_DATA/slayer-matlab-golden`, or nil when absent.
  static var golden: URL? {
    let data = ProcessInfo.processInfo.environment["SLAYER_DATA"] ?? root.deletingLastPathComponent().appendingPathComponent("shared/data").path
    let dir = URL(fileURLWithPath: data).appendingPathComponent("slayer-matlab-golden")
    return FileManager.default.fileExists(atPath: dir.appendingPathComponent("w1Initial.txt").path) ? dir : nil
  }

  // MARK: Shared set-ups

  /// The neuron of the paper's first experiment on its grid (Ts 0.1 ms, 50 ms), ν cut at `eps`.
  static func poisson(eps: Double = 0.01) -> (NeuronParameters, SimulationParameters) {
    (NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1, refKernelEpsilon: eps),
     SimulationParameters(Ts: 0.1, tSample: 50))
  }

  /// A case computed once, by `CaseRunner.compute` (what `slayer run` writes).
  nonisolated(unsafe) static var computed: [String: (SlayerCase, CaseResult)] = [:]
  static let lock = NSLock()

  static func run(_ path: String) throws -> (SlayerCase, CaseResult) {
    lock.lock(); defer { lock.unlock() }
    if let hit = computed[path] { return hit }
    let c = try SlayerCase.load(repo(path))
    let result = (c, CaseRunner.compute(c))
    computed[path] = result
    return result
  }

  /// Spike times (ms) of neuron `i` of sample 0 of a tensor.
  static func times(_ s: Tensor<Float>, neuron i: Int, Ts: Double) -> [Double] {
    let t = s.shape.t
    return (0..<t).filter { s.scalars[i * t + $0] != 0 }.map { Double($0) * Ts }
  }

  /// The gradient check of a case, as `slayer gradcheck CASE [--input]` runs it.
  static func gradcheck(_ path: String, input: Bool = false) throws -> [GradientCheck.Entry] {
    let c = try SlayerCase.load(repo(path))
    return GradientCheck.run(c.network, input: c.input, loss: c.loss!, includeInput: input)
  }

  /// The demo after `epochs` epochs of training, with the step of its last epoch.
  static func demo(epochs: Int) -> (SpikeTrainExperiment, SpikeTrainExperiment.Step) {
    var e = SpikeTrainExperiment()
    var step = e.trainEpoch()
    while e.epoch < epochs && !step.matches { step = e.trainEpoch() }
    return (e, step)
  }

  static var isDebug: Bool {
    #if DEBUG
      true
    #else
      false
    #endif
  }

  // MARK: The registry

  static let registry: [String: @Sendable () throws -> Outcome] = {
    var r: [String: @Sendable () throws -> Outcome] = [:]
    func add(_ name: String, _ f: @escaping @Sendable () throws -> [Double]) { r[name] = { .values(try f()) } }
    func addOutcome(_ name: String, _ f: @escaping @Sendable () throws -> Outcome) { r[name] = f }
    /// A computation that takes minutes in a debug build (a training run, a gradient check of a
    /// whole fixture): run in release builds (`.ci/run` runs this suite in release) or with
    /// SLAYER_DOCS_SLOW=1, skipped with that reason otherwise.
    func addSlow(_ name: String, _ f: @escaping @Sendable () throws -> [Double]) {
      r[name] = {
        guard !isDebug || ProcessInfo.processInfo.environment["SLAYER_DOCS_SLOW"] == "1" else {
          return .skipped("minutes in a debug build; `swift test -c release --filter DocsTests` (as .ci/run does) "
                            + "or SLAYER_DOCS_SLOW=1 runs it")
        }
        return .values(try f())
      }
    }

    // Kernels.md: ε and ν of the first experiment (τ 1 ms, Ts 0.1 ms, ϑ 10), and other grids.
    let (p, sim) = poisson()
    let eps = Kernels.srm(p, sim), nu = Kernels.refractory(p, sim)
    add("kernels.eps.count") { [Double(eps.count)] }
    add("kernels.eps.last-time") { [Double(eps.count - 1) * sim.Ts] }
    add("kernels.eps.last-value") { [eps[eps.count - 1]] }
    add("kernels.eps.cut-value") { [Kernels.alpha(tau: 1, mult: 1, epsilon: 0, simulation: sim)[eps.count]] }
    add("kernels.eps.first") { Array(eps[1...3]) }
    add("kernels.eps.peak") { [eps[10]] }
    add("kernels.eps.area") { [sim.Ts * eps.reduce(0, +)] }
    add("kernels.eps.area-continuous") { [Foundation.exp(1.0) * p.tauSr] }
    add("kernels.nu.count") { [Double(nu.count)] }
    add("kernels.nu.count-full") { [Double(Kernels.refractory(poisson(eps: 1e-4).0, sim).count)] }
    add("kernels.nu.first") { Array(nu[1...2]) }
    add("kernels.nu.peak") { [nu[10]] }
    add("kernels.ts1.eps") {
      let e = Kernels.srm(NeuronParameters(theta: 10, tauSr: 1, tauRef: 1), SimulationParameters(Ts: 1, tSample: 300))
      return [Double(e.count)] + Array(e[0...3])
    }
    add("kernels.ts1.tau10.count") {
      [Double(Kernels.srm(NeuronParameters(theta: 10, tauSr: 10), SimulationParameters(Ts: 1, tSample: 300)).count)]
    }
    add("kernels.ts1.nu") {
      let n = Kernels.refractory(NeuronParameters(theta: 10, tauSr: 1, tauRef: 1), SimulationParameters(Ts: 1, tSample: 300))
      return [Double(n.count)] + Array(n[1...2])
    }

    // SpikeFunction.md: the one-neuron example (`slayer run Docs/examples/one-neuron`).
    let one = "Docs/examples/one-neuron"
    add("one.spikes") { [Double(try run(one).1.spikeReports[0].spikes)] }
    add("one.n0.times") { let (c, r) = try run(one); return times(r.outputs[2], neuron: 0, Ts: c.simulation.Ts) }
    add("one.n1.times") { let (c, r) = try run(one); return times(r.outputs[2], neuron: 1, Ts: c.simulation.Ts) }
    add("one.n0.u-pre") { let r = try run(one).1; return [13, 14].map { Double(r.outputs[1].scalars[$0]) } }
    add("one.n0.u-pre-53") { [Double(try run(one).1.outputs[1].scalars[53])] }
    add("one.n0.u-post-15") { [Double(try run(one).1.potentials[2]!.scalars[15])] }
    add("one.n1.u-pre-11-12") { let r = try run(one).1; return [111, 112].map { Double(r.outputs[1].scalars[$0]) } }
    add("one.n1.u-post") { let r = try run(one).1; return (113...115).map { Double(r.potentials[2]!.scalars[$0]) } }
    add("one.n1.rho") {
      let r = try run(one).1
      return [Spike.rho(Double(r.potentials[2]!.scalars[113]), p)]
    }
    add("one.loss") { [try run(one).1.loss!] }
    add("one.arrays") { [Double(try run(one).1.arrays.count)] }
    add("fixtures.count") { [Double(FixtureLibrary.definitions.count)] }
    add("one.grad.weights") { (try run(one).1.weightGradients[1]!.values).map(Double.init) }
    add("one.grad.input-10") { [Double(try run(one).1.inputGradient!.scalars[10])] }
    add("one.grad.input-50") { [Double(try run(one).1.inputGradient!.scalars[50])] }
    add("one.gradcheck.weights") { [try gradcheck(one)[0].worstRelativeError] }
    add("one.gradcheck.input") { [try gradcheck(one, input: true)[1].worstRelativeError] }

    // TemporalCreditAssignment.md: an error impulse at n = 30 pulled back through ε.
    @Sendable func impulse(_ f: ([Double], [Double], Int, Double) -> [Double]) -> [Double] {
      var g = [Double](repeating: 0, count: 60)
      g[30] = 1
      return f(g, eps, 60, sim.Ts)
    }
    add("credit.corr") { let y = impulse { TemporalFilter.corr($0, kernel: $1, t: $2, Ts: $3) }; return [y[20], y[29], y[31]] }
    add("credit.conv") { let y = impulse { TemporalFilter.conv($0, kernel: $1, t: $2, Ts: $3) }; return [y[29], y[40]] }
    @Sendable func adjoint() -> (Double, Double) {
      var rng = SplitMix64(seed: 7)
      let x = (0..<500).map { _ in rng.uniform(-1, 1) }, y = (0..<500).map { _ in rng.uniform(-1, 1) }
      let cx = TemporalFilter.conv(x, kernel: eps, t: 500, Ts: 0.1), cy = TemporalFilter.corr(y, kernel: eps, t: 500, Ts: 0.1)
      return (zip(cx, y).reduce(0) { $0 + $1.0 * $1.1 }, zip(x, cy).reduce(0) { $0 + $1.0 * $1.1 })
    }
    add("credit.adjoint") { let (l, r) = adjoint(); return [l, r] }
    add("credit.adjoint-difference") { let (l, r) = adjoint(); return [abs(l - r)] }

    // Gradients.md: the delay example (`slayer run Docs/examples/delay`).
    let delay = "Docs/examples/delay"
    add("delay.shift") { let (c, r) = try run(delay); return [times(c.input, neuron: 0, Ts: 0.1)[0], times(r.outputs[0], neuron: 0, Ts: 0.1)[0]] }
    add("delay.output") { let (c, r) = try run(delay); return times(r.outputs[3], neuron: 0, Ts: c.simulation.Ts) }
    add("delay.loss") { [try run(delay).1.loss!] }
    add("delay.grad") { [Double(try run(delay).1.weightGradients[0]!.values[0])] }
    add("delay.grad-exact") {
      var c = try SlayerCase.load(repo(delay))
      guard case .delay(var d) = c.network.layers[0] else { return [] }
      d.gradient = .exact
      c.network.layers[0] = .delay(d)
      return [Double(CaseRunner.compute(c).weightGradients[0]!.values[0])]
    }
    add("delay.grad-weight") { [Double(try run(delay).1.weightGradients[2]!.values[0])] }
    add("delay.gradcheck") { try gradcheck(delay).map(\.worstRelativeError) }
    add("delay.trunc") { [Delay<Float>.samples(1.3, Ts: 0.1), Delay<Float>.samples(2.1, Ts: 0.1), Delay<Float>.samples(0.35, Ts: 0.1)].map(Double.init) }

    // Losses.md.
    @Sendable func spikeTime(output: [Int], target: [Int]) -> Double {
      let n = Neuron<Double>(p, sim)
      let s = RandomSpikes.train(times: output.map { Double($0) * 0.1 }, Ts: 0.1, steps: 500) as Tensor<Double>
      let t = RandomSpikes.train(times: target.map { Double($0) * 0.1 }, Ts: 0.1, steps: 500) as Tensor<Double>
      return Loss.spikeTime(target: t).value(s, n)
    }
    add("loss.spiketime.missing") { [spikeTime(output: [], target: [200])] }
    add("loss.spiketime.missing-continuous") { [Foundation.exp(2.0) / 8] }
    add("loss.spiketime.shift") { [spikeTime(output: [200], target: [205])] }
    add("loss.spiketime.extra") { [spikeTime(output: [200, 300], target: [200])] }
    @Sendable func numSpikes(_ counts: [Int], label: Int) -> Double {
      let simulation = SimulationParameters(Ts: 1, tSample: 300)
      let n = Neuron<Double>(NeuronParameters(theta: 10, tauSr: 1, tauRef: 1), simulation)
      var s = Tensor<Double>(zeros: Shape(n: 1, c: counts.count, t: 300))
      for (j, k) in counts.enumerated() { for i in 0..<k { s.scalars[j * 300 + i * 300 / max(k, 1)] = 1 } }
      return Loss<Double>.numSpikes(NumSpikesLoss(labels: [label], start: 0, stop: 300, trueCount: 60, falseCount: 10)).value(s, n)
    }
    add("loss.numspikes.one") { [numSpikes([45], label: 0)] }
    add("loss.numspikes.silent") { [numSpikes([Int](repeating: 0, count: 10), label: 3)] }
    add("loss.numspikes.target") { [numSpikes([10, 10, 10, 60, 10, 10, 10, 10, 10, 10], label: 3)] }
    addOutcome("loss.golden") {
      guard let g = golden else { return .skipped("golden data not found (set SLAYER_DATA)") }
      return .values([try goldenInitial(g).loss.loss])
    }
    addOutcome("gradients.golden.w2") {
      guard let g = golden else { return .skipped("golden data not found (set SLAYER_DATA)") }
      return .values(Array(try goldenInitial(g).gradients.weights[4]!.prefix(3)).map(Double.init))
    }

    // Layers.md.
    add("layers.pool.peak") {
      let n = Neuron<Float>(p, sim)
      var x = Tensor<Float>(zeros: Shape(n: 1, c: 1, h: 2, w: 2, t: sim.steps))
      x.scalars[10] = 10
      let u = Pool(size: 2).forward(PSP.forward(x, n), theta: p.theta)
      return [Double(u.scalars.max()!), Double(Spike.forward(u, n).spikes.scalars.filter { $0 != 0 }.count)]
    }
    add("layers.cnn.extents") {
      var s = Shape(n: 1, c: 2, h: 34, w: 34, t: 1), out: [Double] = []
      for (k, conv) in [(5, true), (2, false), (5, true), (2, false)] {
        let c: Conv2D<Float> = conv
          ? Conv2D(outChannels: 4, inChannels: s.c, kernelHeight: k, kernelWidth: k, weights: [Float](repeating: 0, count: 4 * s.c * k * k))
          : Pool(size: k).convolution(for: s, theta: 10)
        s = c.outputShape(s)
        out.append(Double(s.h))
      }
      return out
    }
    add("layers.dropout.scale") { [Double(Dropout<Float>(shape: Shape(n: 1, c: 1000, t: 1), p: 0.5, seed: 1).mask.max()!)] }
    add("layers.init.bound") { [10 / Foundation.sqrt(2312.0)] }
    add("layers.init.max") { let w: [Double] = RandomSpikes.weights(outputs: 512, inputs: 2312, scale: 10, seed: 1); return [w.map(abs).max()!] }

    // GradientCheck.md: the smooth twin at ϑ, and the checks of a two-layer fixture.
    add("gc.twin") {
      let n = Neuron<Double>(p, sim, mode: .smooth)
      let at = Tensor<Double>(shape: Shape(n: 1, c: 1, t: sim.steps), scalars: [Double](repeating: p.theta, count: sim.steps))
      let f = Spike.forward(at, n).spikes.scalars[0]
      let slope = Spike.pullback(Tensor(shape: at.shape, scalars: [Double](repeating: 1, count: sim.steps)), potential: at, n).scalars[0]
      return [f, slope]
    }
    add("gc.dense.counts") {  // the elements `slayer gradcheck` compares: every weight
      let c = try SlayerCase.load(repo("Fixtures/dense-2layer-spiketime"))
      return c.network.weightedLayers.map { Double(c.network.weights(of: $0)!.count) }
    }
    addSlow("gc.dense.worst") { [try gradcheck("Fixtures/dense-2layer-spiketime").map(\.worstRelativeError).max()!] }
    addSlow("gc.numspikes.worst") { [try gradcheck("Fixtures/dense-2layer-numspikes-region").map(\.worstRelativeError).max()!] }
    addSlow("gc.cnn.worst") { [try gradcheck("Fixtures/cnn-pool-delay-dropout").map(\.worstRelativeError).max()!] }

    // Precision.md: Float against Double on a fixture; thread counts.
    @Sendable func floatVersusDouble() throws -> (potential: Double, loss: Double, spikes: Double) {
      let c = try SlayerCase.load(repo("Fixtures/dense-2layer-spiketime"))
      let f = c.network.evaluate(c.input, loss: c.loss!)
      let d = c.network.converted(to: Double.self).evaluate(c.input.converted(to: Double.self), loss: c.loss!.converted(to: Double.self))
      var worstU = 0.0
      for k in f.trace.potentials.indices {
        if let u = f.trace.potentials[k], let v = d.trace.potentials[k] {
          worstU = max(worstU, zip(u.scalars, v.scalars).map { abs($0.double - $1) }.max()!)
        }
      }
      let spikesDiffer = zip(f.trace.output.scalars, d.trace.output.scalars).filter { $0.double != $1 }.count
      return (worstU, abs(f.loss.loss - d.loss.loss) / d.loss.loss, Double(spikesDiffer))
    }
    add("precision.float-vs-double.potential") { [try floatVersusDouble().potential] }
    add("precision.float-vs-double.loss") { [try floatVersusDouble().loss] }
    add("precision.float-vs-double.spikes") { [try floatVersusDouble().spikes] }
    add("precision.threads") {
      let c = try SlayerCase.load(repo("Fixtures/dense-2layer-spiketime"))
      let saved = Parallel.maxThreads
      defer { Parallel.maxThreads = saved }
      var bits: [[UInt32]] = []
      for threads in [1, 2] {
        Parallel.maxThreads = threads
        let e = c.network.evaluate(c.input, loss: c.loss!)
        bits.append(e.trace.values.flatMap { $0.scalars.map(\.bitPattern) } + e.gradients.weights.compactMap { $0 }.flatMap { $0.map(\.bitPattern) })
      }
      return [Double(zip(bits[0], bits[1]).filter { $0 != $1 }.count)]
    }

    // Tutorial.md: the demo (`slayer demo`): epoch 0 is cheap, convergence is a training run.
    add("demo.input-spikes") { [Double(SpikeTrainExperiment().input.scalars.filter { $0 != 0 }.count)] }
    add("demo.epoch0.loss") { [demo(epochs: 0).1.loss] }
    add("demo.epoch0.times") { demo(epochs: 0).1.outputTimes }
    add("demo.epoch0.hidden") { [Double(demo(epochs: 0).1.hiddenSpikes)] }
    addSlow("demo.epochs") {
      let (e, step) = demo(epochs: 2000)
      return [step.matches ? Double(e.epoch) : .nan]
    }

    // Notation.md, PaperVsCode.md.
    add("notation.rho.defaults") { let b = 1 / (1 * 10.0); return [1 * b, b] }
    add("notation.rho.matlab") { let q = NeuronParameters.poissonExample, b = 1 / (q.tauRho * q.theta); return [q.scaleRho * b, b] }
    add("paper.grid") { [Double(SimulationParameters(Ts: 0.1, tSample: 50).steps)] }
    return r
  }()

  /// The golden network at the original SLAYER's initial weights (`slayer.md` §10.4), evaluated as
  /// `GoldenTests` does.
  static func goldenInitial(_ dir: URL) throws -> (loss: Loss<Float>.Evaluation, gradients: Network<Float>.Gradients) {
    func numbers(_ name: String) throws -> [[Double]] {
      try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8).split(whereSeparator: \.isNewline).compactMap { line in
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.isEmpty || t.hasPrefix("#") ? nil : t.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }
      }
    }
    let simulation = SimulationParameters(Ts: 0.1, tSample: 50), steps = simulation.steps
    func spikes(_ name: String, _ neurons: Int) throws -> Tensor<Float> {
      var x = Tensor<Float>(zeros: Shape(n: 1, c: neurons, t: steps))
      for row in try numbers(name) {
        let n = Int((row[0] / 0.1).rounded(.toNearestOrEven)), id = Int(row[1]) - 1
        if n >= 0 && n < steps { x[0, id, 0, 0, n] = 10 }
      }
      return x
    }
    let w1 = try numbers("w1Initial.txt").flatMap { $0 }.map(Float.init), w2 = try numbers("w2Initial.txt").flatMap { $0 }.map(Float.init)
    let net = Network(neuron: Neuron<Float>(.poissonExample, simulation), layers: [
      .psp, .dense(Dense(outputs: 25, inputs: 250, weights: w1)), .spike,
      .psp, .dense(Dense(outputs: 1, inputs: 25, weights: w2)), .spike,
    ])
    let e = net.evaluate(try spikes("spikeIn.txt", 250), loss: .spikeTime(target: try spikes("spikeOut.txt", 1)))
    return (e.loss, e.gradients)
  }
}
