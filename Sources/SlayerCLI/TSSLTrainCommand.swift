import Foundation
import SlayerCore
import SlayerIO

/// `slayer train nmnist --rule tsslbp`: TSSL-BP on N-MNIST with the paper's setting
/// (`tssl-bp.md` §2.3, §2.4, §3.3): 3 ms bins, 30 steps, τm 8, τs 4, V_th 1, count loss 15/3,
/// AdamW (λ 0.01) lr 5e-4, gradient-norm clip 1, weights clamped to ±4; here on the MLP
/// 2312-512-10 (the size of SLAYER's MLP example) with SLAYER's batch of 8, so that the two rules
/// compare on one network and one data set.
enum TSSLTrainCommand {
  static let options: Set<String> = ["data", "epochs", "batch", "lr", "seed", "out", "threads", "limit", "every", "hidden",
                                     "backward", "rule"]

  static func nmnist(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: options, flags: [])
    _ = try a.expectPositional([])
    guard let data = a.string("data") else { throw UsageError("train nmnist --rule tsslbp: --data DIR is required (the NMNISTsmall folder)") }
    let epochs = try a.int("epochs", default: 20, in: 1...100_000)
    // 8, as SLAYER's MLP run on the same 1000 samples; the authors' 50 (for 60 000 samples) would
    // give only 20 updates an epoch here.
    let batch = try a.int("batch", default: 8, in: 1...10_000)
    let hidden = try a.int("hidden", default: 512, in: 1...100_000)
    let seed = UInt64(try a.int("seed", default: 1, in: 0...Int.max))
    let limit = try a.int("limit", default: 0, in: 0...Int.max)
    let every = try a.int("every", default: 0, in: 0...1_000_000)
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    var learningRate = 5e-4
    if let lr = a.string("lr") {
      guard let v = Double(lr), v > 0, v.isFinite else { throw UsageError("option --lr expects a positive number, found '\(lr)'") }
      learningRate = v
    }
    let backward = a.string("backward") ?? "final"
    guard let rule = TSSLRule(rawValue: backward) else {
      throw UsageError("option --backward expects final or paper, found '\(backward)'")
    }
    let out = URL(fileURLWithPath: a.string("out") ?? "train-nmnist-tsslbp")
    let parameters = TSSLParameters(tauM: 8, tauS: 4, theta: 1)
    let countLoss = TSSLCountLoss(labels: [], desired: 15, undesired: 3)

    let clock = ContinuousClock(), loadStart = clock.now
    let dir = URL(fileURLWithPath: data)
    let train = try TSSLNMNISTDataset.load(directory: dir, list: "train1K.txt", limit: limit == 0 ? nil : limit)
    let test = try TSSLNMNISTDataset.load(directory: dir, list: "test100.txt")
    let meanSpikes = Double((0..<train.count).reduce(0) { $0 + train.spikeCount($1) }) / Double(max(1, train.count))
    TrainCommand.say("loaded \(train.count) training and \(test.count) test samples, 3 ms bins × 30 steps "
                       + "(\(fmt(meanSpikes, 0)) input spikes per sample on average) in \(fmt(seconds(clock.now - loadStart), 1)) s")

    let neuron = TSSLNeuron<Float>(parameters, steps: train.steps, rule: rule)
    let sizes = [train.shape.neurons, hidden, NMNISTDataset.classes]
    var trainer = TSSLTrainer(network: TSSLTrainer.denseNetwork(sizes, neuron: neuron, seed: seed),
                              learningRate: learningRate, seed: seed)
    let configuration: [String: String] = [
      "rule": "tsslbp", "backward": rule.rawValue, "net": sizes.map(String.init).joined(separator: "-"), "batch": "\(batch)",
      "learningRate": "\(learningRate)", "optimizer": "adamw", "weightDecay": "\(trainer.weightDecay)",
      "maxGradientNorm": "1", "weightLimit": "4", "seed": "\(seed)", "limit": "\(limit)", "tauM": "\(parameters.tauM)",
      "tauS": "\(parameters.tauS)", "theta": "\(parameters.theta)", "binMs": "3", "steps": "\(train.steps)",
      "desiredCount": "\(countLoss.desired)", "undesiredCount": "\(countLoss.undesired)",
    ]
    TrainCommand.say("""
      TSSL-BP N-MNIST MLP \(configuration["net"]!): ops \(trainer.network.layers.map(\.name).joined(separator: " ")); \
      \(trainer.network.weightedLayers.map { trainer.network.weights(of: $0)!.count }.reduce(0, +)) weights (kaiming normal)
      neuron tauM \(parameters.tauM), tauS \(parameters.tauS) (steps of 3 ms), theta \(parameters.theta); backward rule \(rule.rawValue); \
      count loss \(countLoss.desired) / \(countLoss.undesired)
      AdamW lr \(learningRate), weight decay \(trainer.weightDecay), clip 1, clamp ±4, batch \(batch), seed \(seed), \
      \(Parallel.threads) thread(s); \(epochs) epochs, writing \(out.path)/
      """)
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)

    func loss(_ labels: [Int]) -> TSSLLoss {
      var l = countLoss
      l.labels = labels
      return .count(l)
    }
    var history: [Trainer.EpochRecord] = []
    let runStart = clock.now
    while trainer.epoch < epochs {
      let epoch = trainer.epoch, start = clock.now
      let batches = (train.count + batch - 1) / batch, step = every > 0 ? every : max(1, batches / 5)
      let stats = trainer.trainEpoch(count: train.count, batchSize: batch, sample: { (train.input($0), train.entries[$0].label) },
                                     loss: loss) { p in
        guard p.batch % step == 0 || p.batch == p.batches else { return }
        let elapsed = seconds(clock.now - start), rate = Double(p.statistics.samples) / max(elapsed, 1e-9)
        TrainCommand.say("epoch \(pad(epoch, 3))  batch \(pad(p.batch, 4))/\(p.batches)  loss \(fmt(p.statistics.loss, 4))  "
                           + "acc \(fmt(100 * p.statistics.accuracy, 1)) %  \(fmt(rate, 1)) samples/s")
      }
      let trainSeconds = seconds(clock.now - start)
      let t = trainer.test(count: test.count, batchSize: batch, sample: { (test.input($0), test.entries[$0].label) }, loss: loss)
      let record = Trainer.EpochRecord(epoch: epoch, trainLoss: stats.loss, trainAccuracy: stats.accuracy, testLoss: t.loss,
                                       testAccuracy: t.accuracy, seconds: seconds(clock.now - start))
      history.append(record)
      TrainCommand.say("epoch \(pad(epoch, 3)) done: train loss \(fmt(stats.loss, 4)) acc \(fmt(100 * stats.accuracy, 1)) %  |  "
                         + "test loss \(fmt(t.loss, 4)) acc \(fmt(100 * t.accuracy, 1)) %  |  \(fmt(record.seconds, 1)) s "
                         + "(training \(fmt(trainSeconds, 1)) s, \(fmt(Double(train.count) / trainSeconds, 1)) samples/s)")
      try TrainCommand.writeHistory(history, task: "nmnist-mlp-tsslbp", configuration: configuration, to: out)
      try TrainCommand.trainingFigure(history, title: "TSSL-BP N-MNIST MLP \(configuration["net"]!)")
        .write(to: out.appendingPathComponent("training.svg"))
      try writeWeights(trainer.network, to: out.appendingPathComponent("weights"))
    }
    let wall = seconds(clock.now - runStart)
    if let best = history.max(by: { ($0.testAccuracy ?? 0) < ($1.testAccuracy ?? 0) }), let last = history.last {
      TrainCommand.say("finished \(history.count) epoch(s): final test accuracy \(fmt(100 * (last.testAccuracy ?? 0), 1)) %, best "
                         + "\(fmt(100 * (best.testAccuracy ?? 0), 1)) % (epoch \(best.epoch)); \(fmt(wall, 1)) s, "
                         + "\(fmt(wall / Double(history.count), 1)) s per epoch; wrote \(out.path)/")
    }
    return 0
  }

  /// `weights/op<k>.npy` for every dense op, replaced atomically.
  static func writeWeights(_ net: TSSLNetwork<Float>, to dir: URL) throws {
    try AtomicFile.replaceDirectory(at: dir) { temp in
      for k in net.weightedLayers {
        guard case .dense(let d) = net.layers[k] else { continue }
        try Npy.write(temp.appendingPathComponent("op\(k).npy"), shape: [d.outputs, d.inputs], float32: d.weights)
      }
    }
  }
}
