// Tests for Training.swift (SlayerCore), Checkpoint.swift and NMNISTDataset.swift: a synthetic
// two-class problem learns, a resumed run equals an uninterrupted one bit for bit, the optimizer
// copy equals `Optimizer`, list files fail with clear messages, and N-MNIST loads when present.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("Training")
struct TrainingTests {
  // MARK: A synthetic problem

  /// Two classes, each a fixed random spike pattern on 16 inputs over 40 ms; each sample is its
  /// class's pattern with every spike dropped with probability 0.2 (seeded per sample).
  struct Synthetic {
    static let simulation = SimulationParameters(Ts: 1, tSample: 40)
    static let shape = Shape(n: 1, c: 16, t: 40)
    let samples: [(input: Tensor<Float>, label: Int)]

    init(count: Int, seed: UInt64) {
      let patterns: [Tensor<Float>] = (0..<2).map { RandomSpikes.poisson(Self.shape, rateHz: 150, Ts: 1, seed: seed &+ UInt64($0)) }
      samples = (0..<count).map { i in
        var rng = SplitMix64(seed: seed &+ 100 &+ UInt64(i))
        let label = i % 2
        return (Tensor(shape: Self.shape, scalars: patterns[label].scalars.map { rng.uniform() < 0.2 ? 0 : $0 }), label)
      }
    }

    static let neuron = Neuron<Float>(NeuronParameters(theta: 10, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1), simulation)

    static func loss(_ labels: [Int]) -> Loss<Float> {
      .numSpikes(NumSpikesLoss(labels: labels, start: 0, stop: 40, trueCount: 8, falseCount: 1))
    }

    func trainer(_ rule: Optimizer.Rule = .adam, seed: UInt64 = 7) -> Trainer {
      let network = Trainer.denseNetwork([16, 12, 2], neuron: Self.neuron, weightScale: 20, seed: seed)
      return Trainer(network: network, optimizer: Optimizer(rule, learningRate: 0.05, amsgrad: rule == .adam, momentum: rule == .sgd ? 0.9 : 0), seed: seed)
    }

    func epoch(_ trainer: inout Trainer) -> Trainer.Statistics {
      trainer.trainEpoch(count: samples.count, batchSize: 4, sample: { samples[$0] }, loss: Self.loss)
    }

    func test(_ trainer: Trainer) -> Trainer.Statistics {
      trainer.test(count: samples.count, batchSize: 4, sample: { samples[$0] }, loss: Self.loss)
    }
  }

  @Test("A 16-12-2 network learns two noisy spike patterns to 100 % training accuracy within 10 epochs")
  func learnsSynthetic() {
    let data = Synthetic(count: 16, seed: 3)
    var trainer = data.trainer()
    let before = data.test(trainer)
    var epochs = 0
    while data.test(trainer).accuracy < 1 && epochs < 10 {
      _ = data.epoch(&trainer)
      epochs += 1
    }
    let after = data.test(trainer)
    #expect(before.accuracy < 1, "the untrained network already separates the classes: the test shows nothing")
    #expect(after.accuracy == 1, "accuracy \(after.accuracy) after \(epochs) epochs (seed 3)")
    #expect(after.loss < before.loss, "loss \(before.loss) → \(after.loss)")
    #expect(trainer.epoch == epochs && trainer.optimizer.step == epochs * 4)
  }

  @Test("Checkpoint, read back, resume: bit-identical to an uninterrupted run", arguments: [Optimizer.Rule.adam, .nadam, .sgd])
  func resume(rule: Optimizer.Rule) throws {
    let data = Synthetic(count: 8, seed: 5)
    var whole = data.trainer(rule)
    for _ in 0..<3 { _ = data.epoch(&whole) }

    var first = data.trainer(rule)
    let stats = data.epoch(&first)
    let record = Trainer.EpochRecord(epoch: 0, trainLoss: stats.loss, trainAccuracy: stats.accuracy, testLoss: nil,
                                     testAccuracy: nil, seconds: 0.5)
    let saved = Checkpoint(trainer: first, configuration: ["net": "tiny"], history: [record])
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("TrainingTests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try saved.write(to: dir, network: first.network)
    let loaded = try Checkpoint.read(dir)
    #expect(loaded == saved)

    var resumed = data.trainer(rule, seed: 99)  // other initial weights and seed: all must come from the checkpoint
    try loaded.restore(into: &resumed)
    for _ in 0..<2 { _ = data.epoch(&resumed) }
    #expect(resumed.epoch == 3)
    for k in whole.network.weightedLayers {
      #expect(resumed.network.weights(of: k)! == whole.network.weights(of: k)!, "op \(k) (\(rule))")
    }
    #expect(resumed.optimizer == whole.optimizer)
  }

  @Test("TrainingOptimizer gives Optimizer's bits", arguments: [
    (Optimizer.Rule.adam, true, 0.0), (.adam, false, 0), (.nadam, true, 0), (.nadam, false, 0), (.sgd, false, 0), (.sgd, false, 0.9),
  ])
  func optimizerCopy(rule: Optimizer.Rule, amsgrad: Bool, momentum: Double) {
    var rng = SplitMix64(seed: 11)
    let reference = Optimizer(rule, learningRate: 0.01, amsgrad: amsgrad, momentum: momentum)
    var a = reference, b = TrainingOptimizer(reference)
    var p: [[Float]] = [(0..<50).map { _ in Float(rng.normal()) }, (0..<7).map { _ in Float(rng.normal()) }]
    var q = p
    for _ in 0..<6 {
      let g = p.map { $0.map { _ in Float(rng.normal() * 0.1) } }
      a.update(&p, gradients: g)
      b.update(&q, gradients: g)
    }
    #expect(p == q && a.step == b.step)
  }

  @Test("The shuffle is a permutation fixed by (seed, epoch)")
  func order() {
    let a = Trainer.order(count: 100, seed: 1, epoch: 0)
    #expect(a.sorted() == Array(0..<100))
    #expect(a == Trainer.order(count: 100, seed: 1, epoch: 0))
    #expect(a != Trainer.order(count: 100, seed: 1, epoch: 1))
    #expect(a != Array(0..<100))
  }

  @Test("A checkpoint for another network is refused, naming the op")
  func restoreMismatch() throws {
    let data = Synthetic(count: 4, seed: 1)
    let saved = Checkpoint(trainer: data.trainer(), configuration: [:], history: [])
    var other = Trainer(network: Trainer.denseNetwork([16, 5, 2], neuron: Synthetic.neuron, seed: 1),
                        optimizer: Optimizer(.adam, learningRate: 0.01), seed: 1)
    #expect { try saved.restore(into: &other) } throws: { error in
      "\(error)".contains("op 0 (dense): expected 80 values, found 192")
    }
  }

  @Test("Reading a checkpoint directory without state.json names the file")
  func missingState() {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("TrainingTests-missing-\(UUID().uuidString)")
    #expect { try Checkpoint.read(dir) } throws: { error in
      (error as? IOError)?.file == dir.appendingPathComponent("state.json").path
    }
  }

  // MARK: The N-MNIST list and samples

  @Test("List files: header, CRLF line ends, tabs, blank lines")
  func parseList() throws {
    let text = "#sample #class\r\n1\t5\r\n\r\n  2 0\r\n# a comment\n60001\t9\n"
    let entries = try NMNISTDataset.parseList(text, file: "list.txt")
    #expect(entries == [.init(sample: 1, label: 5), .init(sample: 2, label: 0), .init(sample: 60001, label: 9)])
  }

  @Test("Malformed list lines name the file, the line and what came", arguments: [
    ("#h\n1 5\n2 5 7\n", "line 3: expected '<sample> <class>' (two integers), found '2 5 7'"),
    ("1 5\nx 3\n", "line 2: expected '<sample> <class>' (two integers), found 'x 3'"),
    ("1 10\n", "line 1: expected a class in 0…9, found 10"),
    ("-4 1\n", "line 1: expected a sample number ≥ 0, found -4"),
    ("#sample #class\n\n", "expected at least one '<sample> <class>' line, found none"),
  ])
  func listErrors(text: String, message: String) {
    #expect { try NMNISTDataset.parseList(text, file: "train1K.txt") } throws: { error in
      error as? IOError == IOError(file: "train1K.txt", message: message)
    }
  }

  @Test("A missing list or sample file is an IOError naming its path")
  func missingFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("TrainingTests-list-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect { try NMNISTDataset.load(directory: dir, list: "train1K.txt") } throws: { error in
      (error as? IOError)?.file == dir.appendingPathComponent("train1K.txt").path
    }
    try Data("#sample #class\n7 3\n".utf8).write(to: dir.appendingPathComponent("train1K.txt"))
    #expect { try NMNISTDataset.load(directory: dir, list: "train1K.txt") } throws: { error in
      (error as? IOError)?.file == dir.appendingPathComponent("7.bs2").path
    }
  }

  @Test("Binning to offsets and batches written in place equal the dense tensors and their stacking", arguments: [91 as UInt64])
  func sparseBinningAndBatches(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    // Events with coincident ones, and some outside the sensor or the 0–300 ms window.
    func events() -> Events {
      let n = 3000
      return Events(x: (0..<n).map { _ in Int(rng.next() % 36) - 1 }, y: (0..<n).map { _ in Int(rng.next() % 35) },
                    channel: (0..<n).map { _ in Int(rng.next() % 2) }, timeMs: (0..<n).map { _ in rng.uniform(-2, 310).rounded() / 2 })
    }
    let samples = (0..<3).map { _ in events() }
    let data = NMNISTDataset(entries: (0..<3).map { NMNISTDataset.Entry(sample: $0, label: 7 - $0) }, spikeOffsets: samples.map(NMNISTDataset.bin))
    for (i, e) in samples.enumerated() {
      let dense: Tensor<Float> = SpikeBinning.toSpikeTensor(e, shape: NMNISTDataset.sampleShape, Ts: 1, mode: .or)
      #expect(data.input(i) == dense, "seed \(seed), sample \(i): the offsets do not rebuild toSpikeTensor's tensor")
      #expect(data.spikeCount(i) > 100 && data.spikeCount(i) < e.count, "seed \(seed), sample \(i): \(data.spikeCount(i)) spikes")
    }
    let (input, labels) = data.batch([2, 0, 2])
    #expect(input == Trainer.batch([2, 0, 2].map(data.input)), "seed \(seed): the batch differs from the stacked inputs")
    #expect(labels == [5, 7, 5])
  }

  @Test("NMNISTsmall: the first 3 training samples bin to (1, 2, 34, 34, 300) spikes of 1/Ts")
  func nmnistSamples() throws {
    guard let dir = sharedData("NMNISTsmall/train1K.txt")?.deletingLastPathComponent() else { return }
    let data = try NMNISTDataset.load(directory: dir, list: "train1K.txt", limit: 3)
    #expect(data.count == 3 && data.labels == [5, 0, 4])
    for i in 0..<3 {
      let x = data.input(i)
      let events = try EventFile.read2D(dir.appendingPathComponent("\(data.entries[i].sample).bs2"))
      let inWindow = events.timeMs.filter { $0.rounded(.toNearestOrEven) < 300 }.count
      #expect(x.shape == Shape(n: 1, c: 2, h: 34, w: 34, t: 300))
      #expect(x.scalars.allSatisfy { $0 == 0 || $0 == 1 })
      #expect(x.scalars.filter { $0 != 0 }.count == data.spikeCount(i))
      // OR binning merges coincident events, so there are at most as many spikes as events in 0–300 ms.
      #expect(data.spikeCount(i) > 1000 && data.spikeCount(i) <= inWindow, "sample \(i): \(data.spikeCount(i)) spikes, \(inWindow) events")
    }
  }
}
