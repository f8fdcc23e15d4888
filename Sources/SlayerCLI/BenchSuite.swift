import Foundation
import SlayerCore
import SlayerIO

/// The fixed, seeded workloads of `slayer bench` (issue 5, `Docs/Performance.md`).
///
/// Each benchmark builds its data and network untimed, then times ``Workload/run`` (one run
/// processes ``Workload/samples`` samples, or one whole job for the whole-run benchmarks).
/// ``Workload/record`` computes one run again and returns the bits of everything it produced, so
/// that `--check` can compare the dense and the event-driven engine.
enum BenchSuite {
  /// A benchmark: its name, its configuration in words, its target and how to build it.
  struct Benchmark {
    var name: String
    var shape: String
    /// The target in seconds per sample (per run for whole-run benchmarks), if it sets one.
    var target: Double?
    /// Runs timed after the warm-up, unless `--repeats` says otherwise.
    var repeats: Int
    /// Builds the workload; throws ``Skip`` when its data is absent.
    var make: (_ quick: Bool) throws -> Workload
  }

  /// Why a benchmark did not run.
  struct Skip: Error, CustomStringConvertible {
    let description: String
  }

  /// A built benchmark.
  struct Workload {
    /// Samples one run processes (1 for a whole-run benchmark).
    var samples: Int
    /// "sample" or "run": what the figures are per.
    var unit: String
    /// One timed run.
    var run: () -> Void
    /// Untimed set-up before each run: what a run consumes and a training loop would already hold
    /// (a trainer whose weights are its own, not shared with the initial state it restarts from).
    var prepare: () -> Void = {}
    /// Spikes per sample at the input and at each spike op, in op order (untimed).
    var spikes: () -> [Double]
    /// For a training benchmark, one step taken op by op: each op's forward, the loss, each op's
    /// pullback and the optimizer, with the fastest of `repeats` times of each (for `--ops`).
    var ops: ((_ repeats: Int) -> [(name: String, seconds: Double)])? = nil
    /// The bits of every value one run computes (for `--check`).
    var record: () -> Record
  }

  /// Named bit patterns of everything a run computed; two records agree when every bit does.
  struct Record {
    var entries: [(name: String, bits: [UInt64])] = []

    mutating func add<S: SpikeScalar>(_ name: String, _ values: [S]) {
      entries.append((name, values.map { $0.double.bitPattern }))
    }
    mutating func add(_ name: String, _ value: Double) { entries.append((name, [value.bitPattern])) }

    /// A forward trace, a loss evaluation and the gradients.
    mutating func add<S>(_ prefix: String, trace: Network<S>.Trace, loss: Loss<S>.Evaluation?, gradients: Network<S>.Gradients?) {
      for (k, v) in trace.values.enumerated() { add("\(prefix)value\(k)", v.scalars) }
      for (k, p) in trace.potentials.enumerated() { if let p { add("\(prefix)potential\(k + 1)", p.scalars) } }
      if let loss {
        add("\(prefix)loss", loss.loss)
        add("\(prefix)lossError", loss.error.scalars)
        add("\(prefix)lossGradient", loss.gradient.scalars)
      }
      if let gradients {
        add("\(prefix)inputGradient", gradients.input.scalars)
        for (k, w) in gradients.weights.enumerated() { if let w { add("\(prefix)weightGradient.op\(k)", w) } }
      }
    }

    /// Total values recorded.
    var count: Int { entries.reduce(0) { $0 + $1.bits.count } }

    /// nil when `other` holds the same names and bits, else where they first differ.
    func difference(from other: Record) -> String? {
      guard entries.count == other.entries.count else {
        return "\(entries.count) recorded tensors vs \(other.entries.count)"
      }
      for (a, b) in zip(entries, other.entries) {
        guard a.name == b.name, a.bits.count == b.bits.count else {
          return "\(a.name) (\(a.bits.count) values) vs \(b.name) (\(b.bits.count) values)"
        }
        if let i = a.bits.indices.first(where: { a.bits[$0] != b.bits[$0] }) {
          let differing = a.bits.indices.filter { a.bits[$0] != b.bits[$0] }.count
          return "\(a.name)[\(i)]: \(Double(bitPattern: a.bits[i])) vs \(Double(bitPattern: b.bits[i])) "
            + "(\(differing) of \(a.bits.count) values differ)"
        }
      }
      return nil
    }
  }

  // MARK: The suite

  /// The N-MNIST neuron and loss of the issue: θ 10, tauSr 1, tauRef 1, scaleRef 2, tauRho 0.1,
  /// scaleRho 0.25; numSpikes 60/10 over the whole window.
  static let nmnistNeuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 0.1, scaleRho: 0.25)

  /// Weight scale of the MLP's dense layers (U(±scale/√fanIn)): large enough that the hidden layer
  /// fires several thousand spikes per sample on 4700 uniformly scattered input events.
  static let mlpWeightScale = 100.0

  /// Every benchmark, in the order they run.
  static func all() -> [Benchmark] {
    var list: [Benchmark] = [
      Benchmark(name: "nmnist-mlp-train", shape: "2312-512-10, T 300, batch 8, 4700 events", target: 1.8e-3, repeats: 15) { quick in
        try mlp(MLPConfiguration(batches: quick ? 1 : 2), train: true)
      },
      Benchmark(name: "nmnist-mlp-forward", shape: "2312-512-10, T 300, batch 8, 4700 events", target: nil, repeats: 15) { quick in
        try mlp(MLPConfiguration(batches: quick ? 1 : 2), train: false)
      },
      Benchmark(name: "nmnist-cnn-train", shape: "34x34x2-12c5-2a-64c5-2a-10o, T 300, batch 4", target: 30e-3, repeats: 3) { quick in
        try cnn(batches: 1, quick: quick)
      },
      Benchmark(name: "poisson-train", shape: "250-25-1, Ts 0.1, T 500", target: 1e-3, repeats: 5) { quick in
        poisson(epochs: quick ? 5 : 50)
      },
      Benchmark(name: "gradcheck-full", shape: "250-25-1 smooth twin, Double, 6275 weights", target: 10, repeats: 3) { quick in
        gradcheck(quick: quick)
      },
      Benchmark(name: "epoch-nmnistsmall", shape: "MLP, 1000 train + 100 test, batch 8", target: 2.5, repeats: 3) { quick in
        try epoch(quick: quick)
      },
    ]
    // The scaling sweep: each axis halved and doubled around nmnist-mlp-train (sweep-T300).
    let sweep: [(String, MLPConfiguration)] = [
      ("sweep-T150", MLPConfiguration(steps: 150, events: 2350)),
      ("sweep-T300", MLPConfiguration()),
      ("sweep-T600", MLPConfiguration(steps: 600, events: 9400)),
      ("sweep-hidden256", MLPConfiguration(hidden: 256)),
      ("sweep-hidden1024", MLPConfiguration(hidden: 1024)),
      ("sweep-events2350", MLPConfiguration(events: 2350)),
      ("sweep-events9400", MLPConfiguration(events: 9400)),
    ]
    for (name, c) in sweep {
      list.append(Benchmark(name: name, shape: "2312-\(c.hidden)-10, T \(c.steps), batch 8, \(c.events) events",
                            target: nil, repeats: 3) { _ in try mlp(c, train: true) })
    }
    return list
  }

  // MARK: N-MNIST-shaped MLP

  struct MLPConfiguration {
    var hidden = 512, steps = 300, events = 4700, batch = 8, batches = 1
  }

  /// `events` distinct uniformly scattered spikes in a `(1, 2, 34, 34, steps)` sample, as sorted flat
  /// offsets (Floyd's sampling without replacement, seeded).
  static func randomEvents(count: Int, steps: Int, seed: UInt64) -> [Int32] {
    let total = NMNISTDataset.sampleShape.neurons * steps
    precondition(count <= total, "randomEvents: \(count) events do not fit \(total) samples")
    var rng = SplitMix64(seed: seed)
    var chosen = Set<Int>()
    for j in (total - count)..<total {
      let r = Int(rng.next() % UInt64(j + 1))
      chosen.insert(chosen.contains(r) ? j : r)
    }
    return chosen.sorted().map { Int32($0) }
  }

  /// Where the workloads write their `(N, 2, 34, 34, T)` batches of spikes 1/Ts = 1, as
  /// `NMNISTDataset.batch` does: over the previous batch's storage.
  static func spikeBatches(steps: Int) -> SpikeBatches<Float> {
    var s = NMNISTDataset.sampleShape
    s.t = steps
    return SpikeBatches(sampleShape: s, height: 1)
  }

  static func numSpikes(_ labels: [Int], steps: Int) -> Loss<Float> {
    .numSpikes(NumSpikesLoss(labels: labels, start: 0, stop: Double(steps), trueCount: 60, falseCount: 10))
  }

  /// A training (or forward-only) workload over `c.batches` seeded batches.
  static func mlp(_ c: MLPConfiguration, train: Bool) throws -> Workload {
    let neuron = Neuron<Float>(nmnistNeuron, SimulationParameters(Ts: 1, tSample: Double(c.steps)))
    let network = Trainer.denseNetwork([NMNISTDataset.sampleShape.neurons, c.hidden, 10], neuron: neuron,
                                       weightScale: mlpWeightScale, seed: 1)
    return classifier(network: network, batch: c.batch, batches: c.batches, events: c.events, steps: c.steps, train: train)
  }

  /// A classifier on N-MNIST-shaped random input: training steps (Adam with AMSGrad, lr 0.01, as
  /// `slayer train nmnist`) or forward passes, each run starting from the same initial weights.
  static func classifier(network: Network<Float>, batch: Int, batches: Int, events: Int, steps: Int, train: Bool) -> Workload {
    let samples = batch * batches
    let inputs = (0..<samples).map { randomEvents(count: events, steps: steps, seed: 1000 &+ UInt64($0)) }
    var rng = SplitMix64(seed: 77)
    let labels = (0..<samples).map { _ in Int(rng.next() % 10) }
    let initial = Trainer(network: network, optimizer: Optimizer(.adam, learningRate: 0.01, amsgrad: true), seed: 1)
    let writer = spikeBatches(steps: steps)
    func input(_ k: Int) -> Tensor<Float> { writer.batch(Array(inputs[k * batch..<(k + 1) * batch])) }
    func loss(_ k: Int) -> Loss<Float> { numSpikes(Array(labels[k * batch..<(k + 1) * batch]), steps: steps) }
    // Each run trains a trainer whose weights are copies of the initial ones, made before the clock
    // starts: a training loop owns its weights, and sharing them with `initial` would time a copy
    // of 4.7 MB (on one thread) inside the first Adam step.
    let prepared = PreparedTrainer()
    return Workload(
      samples: samples, unit: "sample",
      run: {
        var trainer = prepared.take() ?? initial
        for k in 0..<batches {
          if train { _ = trainer.train(input(k), loss: loss(k)) } else { _ = trainer.network.forward(input(k)) }
        }
      },
      prepare: { if train { prepared.put(initial) } },
      spikes: { spikeCounts(network, input(0)) },
      ops: train ? { repeats in opTimes(initial, input(0), loss(0), repeats: repeats) } : nil,
      record: {
        var r = Record(), trainer = initial
        for k in 0..<batches {
          if train {
            let (trace, evaluation, gradients) = trainer.network.evaluate(input(k), loss: loss(k), inputGradient: false)
            r.add("batch\(k).", trace: trace, loss: evaluation, gradients: gradients)
            _ = trainer.train(input(k), loss: loss(k))
            for j in trainer.network.weightedLayers { r.add("batch\(k).updated.op\(j)", trainer.network.weights(of: j)!) }
          } else {
            r.add("batch\(k).", trace: trainer.network.forward(input(k)), loss: nil, gradients: nil)
          }
        }
        return r
      })
  }

  /// The least CPU time (all threads) of `repeats` runs of each step of one training step, op by
  /// op: CPU time rather than wall time, so that other processes on the machine distort it less.
  static func opTimes(_ trainer: Trainer, _ input: Tensor<Float>, _ loss: Loss<Float>, repeats: Int) -> [(name: String, seconds: Double)] {
    func fastest<T>(_ body: () -> T) -> (Double, T) {
      var best = Double.infinity, result: T? = nil
      for _ in 0..<max(1, repeats) {
        let start = BenchCommand.cpuSeconds()
        result = body()
        best = min(best, BenchCommand.cpuSeconds() - start)
      }
      return (best, result!)
    }
    let network = trainer.network
    var times: [(name: String, seconds: Double)] = []
    var x = input, traces: [Network<Float>.Trace] = []
    for (k, layer) in network.layers.enumerated() {
      let single = Network(neuron: network.neuron, layers: [layer])
      let (t, trace) = fastest { single.forward(x) }
      let nonzero = 100 * Double(x.scalars.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }) / Double(max(1, x.scalars.count))
      times.append(("forward op\(k) \(layer.name) \(x.shape) (\(fmt(nonzero, 1)) % non-zero)", t))
      traces.append(trace)
      x = trace.output
    }
    let (lossTime, evaluation) = fastest { loss.evaluate(x, network.neuron) }
    times.append(("loss", lossTime))
    var g = evaluation.gradient, gradients: [[Float]] = []
    let first = network.weightedLayers.first ?? 0
    for k in network.layers.indices.reversed() where k >= first {
      let single = Network(neuron: network.neuron, layers: [network.layers[k]])
      // The first weighted op as training runs it: its weight gradient alone, no input gradient.
      let (t, pulled) = fastest { () -> (input: Tensor<Float>?, weights: [[Float]?]) in
        if k == first { return (nil, single.weightGradients(traces[k], outputGradient: g)) }
        let all = single.backward(traces[k], outputGradient: g)
        return (all.input, all.weights)
      }
      let nonzero = 100 * Double(g.scalars.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }) / Double(max(1, g.scalars.count))
      times.append(("pullback op\(k) \(network.layers[k].name) (gradient \(fmt(nonzero, 1)) % non-zero)", t))
      if let input = pulled.input { g = input }
      if let w = pulled.weights[0] { gradients.insert(w, at: 0) }
    }
    let parameters = network.weightedLayers.map { network.weights(of: $0)! }
    let (optimizerTime, _) = fastest {
      var o = trainer.optimizer, p = parameters
      o.update(&p, gradients: gradients)
      return p.count
    }
    times.append(("optimizer step", optimizerTime))
    return times
  }

  /// Spikes per sample: the input's non-zero samples, then each spike op's output.
  static func spikeCounts<S>(_ network: Network<S>, _ input: Tensor<S>) -> [Double] {
    let trace = network.forward(input), n = Double(input.shape.n)
    func count(_ t: Tensor<S>) -> Double { Double(t.scalars.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }) / n }
    var counts = [count(input)]
    for (k, layer) in network.layers.enumerated() { if case .spike = layer { counts.append(count(trace.values[k + 1])) } }
    return counts
  }

  // MARK: CNN

  static func cnn(batches: Int, quick: Bool) throws -> Workload {
    var settings = TrainCommand.Settings()
    settings.net = "cnn"
    return classifier(network: TrainCommand.network(settings), batch: 4, batches: batches, events: 4700, steps: 300, train: true)
  }

  // MARK: The demo network

  /// `epochs` epochs of the demo (`slayer demo`), from its initial weights.
  static func poisson(epochs: Int) -> Workload {
    let initial = SpikeTrainExperiment()
    return Workload(
      samples: epochs, unit: "sample",
      run: {
        var e = initial
        for _ in 0..<epochs { _ = e.trainEpoch() }
      },
      spikes: { spikeCounts(initial.network, initial.input) },
      ops: { repeats in
        opTimes(Trainer(network: initial.network, optimizer: Optimizer(.adam, learningRate: 0.01, amsgrad: true), seed: 1),
                initial.input, .spikeTime(target: initial.target), repeats: repeats)
      },
      record: {
        var r = Record(), e = initial
        for k in 0..<epochs {
          let (trace, evaluation, gradients) = e.network.evaluate(e.input, loss: .spikeTime(target: e.target), inputGradient: false)
          r.add("epoch\(k).", trace: trace, loss: evaluation, gradients: gradients)
          _ = e.trainEpoch()
        }
        for j in e.network.weightedLayers { r.add("final.op\(j)", e.network.weights(of: j)!) }
        return r
      })
  }

  /// The whole gradient check of the demo network at its initial weights (quick: the output
  /// layer's 25 weights only, on a network without the hidden layer's 6250).
  static func gradcheck(quick: Bool) -> Workload {
    let e = SpikeTrainExperiment()
    var network = e.network
    if quick {
      // Keep the hidden layer but make it a constant input by checking a network that starts at it.
      let hidden = network.forward(e.input).values[3]
      network.layers = Array(network.layers[3...])
      return gradcheckWorkload(network, input: hidden, target: e.target)
    }
    return gradcheckWorkload(network, input: e.input, target: e.target)
  }

  static func gradcheckWorkload(_ network: Network<Float>, input: Tensor<Float>, target: Tensor<Float>) -> Workload {
    func check() -> [GradientCheck.Entry] { GradientCheck.run(network, input: input, loss: .spikeTime(target: target)) }
    return Workload(
      samples: 1, unit: "run",
      run: { _ = check() },
      spikes: { spikeCounts(network.converted(to: Double.self, mode: .smooth), input.converted(to: Double.self)) },
      record: {
        var r = Record()
        let twin = network.converted(to: Double.self, mode: .smooth)
        let (trace, evaluation, gradients) = twin.evaluate(input.converted(to: Double.self), loss: .spikeTime(target: target.converted(to: Double.self)))
        r.add("twin.", trace: trace, loss: evaluation, gradients: gradients)
        for entry in check() {
          r.add("\(entry.name).check", [entry.worstRelativeError, Double(entry.worstIndex), entry.analytic, entry.numeric,
                                        entry.scale, entry.normwiseError])
        }
        return r
      })
  }

  // MARK: One epoch on NMNISTsmall

  /// The data folder: `$SLAYER_DATA/NMNISTsmall`, `SLAYER_DATA` defaulting to `../shared/data`.
  static var nmnistSmall: URL {
    let data = ProcessInfo.processInfo.environment["SLAYER_DATA"] ?? "../shared/data"
    return URL(fileURLWithPath: data).appendingPathComponent("NMNISTsmall")
  }

  /// One epoch of `slayer train nmnist --net mlp` (1000 training samples, then the 100 test samples),
  /// with the files read and binned inside the timed run (quick: 16 training and 8 test samples).
  static func epoch(quick: Bool) throws -> Workload {
    let dir = nmnistSmall
    guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("train1K.txt").path) else {
      throw Skip(description: "no N-MNIST data at \(dir.path) (set SLAYER_DATA)")
    }
    let settings = TrainCommand.Settings()
    let initial = Trainer(network: TrainCommand.network(settings), optimizer: settings.optimizerValue, seed: settings.seed)
    let trainLimit: Int? = quick ? 16 : nil, testLimit: Int? = quick ? 8 : nil
    func loss(_ labels: [Int]) -> Loss<Float> {
      var l = settings.loss
      l.labels = labels
      return .numSpikes(l)
    }
    func epoch() -> (Trainer, Trainer.Statistics, Trainer.Statistics) {
      // A failure to read here is a bench bug: the files were found above.
      let train = try! NMNISTDataset.load(directory: dir, list: "train1K.txt", limit: trainLimit)
      let test = try! NMNISTDataset.load(directory: dir, list: "test100.txt", limit: testLimit)
      var trainer = initial
      let s = trainer.trainEpoch(count: train.count, batchSize: settings.batch, batch: train.batch, loss: loss)
      let t = trainer.test(count: test.count, batchSize: settings.batch, batch: test.batch, loss: loss)
      return (trainer, s, t)
    }
    let first = try NMNISTDataset.load(directory: dir, list: "train1K.txt", limit: settings.batch)
    return Workload(
      samples: 1, unit: "run",
      run: { _ = epoch() },
      spikes: { spikeCounts(initial.network, Trainer.batch((0..<first.count).map { first.input($0) })) },
      record: {
        var r = Record()
        let (trainer, s, t) = epoch()
        for j in trainer.network.weightedLayers { r.add("trained.op\(j)", trainer.network.weights(of: j)!) }
        r.add("train.loss", [s.lossSum, Double(s.correct)])
        r.add("test.loss", [t.lossSum, Double(t.correct)])
        return r
      })
  }
}

/// A trainer made ready before a timed run, with weights of its own.
final class PreparedTrainer: @unchecked Sendable {
  private var trainer: Trainer?

  /// Stores a copy of `initial` whose learnable tensors are fresh arrays.
  func put(_ initial: Trainer) {
    var t = initial
    for k in t.network.weightedLayers {
      t.network.setWeights(of: k, t.network.weights(of: k)!.withUnsafeBufferPointer { Array($0) })
    }
    trainer = t
  }

  /// The stored trainer, moved out (nil if none): the caller then holds its only reference.
  func take() -> Trainer? {
    defer { trainer = nil }
    return trainer
  }
}
