// Whole training epochs are bit-identical for any thread count and on every repetition (issue 8,
// `DEVELOPERS.md`: parallelism splits outputs, never a sum). DeterminismTests.swift checks each op
// once; this checks what a user sees after training: every weight, every optimizer moment and the
// epoch's loss sum, after two epochs of minibatches with a short last batch, the shuffle, the
// optimizer steps and the delay clamp; and every op of `Layer` in one network (replicateInTime
// and unpool included, which DeterminismTests leaves out), run twice on the same thread count.
import SlayerCore
import Testing

@Suite("Training determinism", .serialized)
struct TrainingDeterminismTests {
  /// conv 2→4 (3×3, padding 1), pool 2, learnable per-channel delays, dense 36 → 3, each followed by
  /// psp and spike, on (1, 2, 6, 6, 30) inputs: every parallel kernel of training is on the path.
  static func trainer(seed: UInt64) -> Trainer {
    let neuron = Neuron<Float>(NeuronParameters(theta: 5, tauSr: 2, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1),
                               SimulationParameters(Ts: 1, tSample: 30))
    let w = { (count: Int, seed: UInt64) in TestData.uniform(count, -0.5, 2.5, seed: seed).map { Float($0) } }
    let network = Network(neuron: neuron, layers: [
      .conv(Conv2D(outChannels: 4, inChannels: 2, kernelHeight: 3, kernelWidth: 3, padding: 1, weights: w(72, seed))),
      .psp, .spike,
      .pool(Pool(size: 2)), .psp, .spike,
      .delay(Delay(delays: [0.5, 1.5, 2.5, 0], perChannel: true)),
      .dense(Dense(outputs: 3, inputs: 36, weights: w(108, seed + 1))), .psp, .spike,
    ])
    return Trainer(network: network, optimizer: Optimizer(.adam, learningRate: 0.05, amsgrad: true), seed: seed)
  }

  /// Seven samples of three classes: seeded Poisson spikes on (1, 2, 6, 6, 30).
  static let samples: [(input: Tensor<Float>, label: Int)] = (0..<7).map { i in
    (RandomSpikes.poisson(Shape(n: 1, c: 2, h: 6, w: 6, t: 30), rateHz: 120, Ts: 1, seed: 400 + UInt64(i)), i % 3)
  }

  static func loss(_ labels: [Int]) -> Loss<Float> {
    .numSpikes(NumSpikesLoss(labels: labels, start: 0, stop: 30, trueCount: 6, falseCount: 1))
  }

  /// Two epochs in batches of 3 (3, 3, 1), then every bit a user could see.
  static func train(threads: Int) -> [UInt64] {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    Parallel.maxThreads = threads
    var trainer = trainer(seed: 11)
    var bits: [UInt64] = []
    for _ in 0..<2 {
      let stats = trainer.trainEpoch(count: samples.count, batchSize: 3, sample: { samples[$0] }, loss: loss)
      bits += [UInt64(stats.samples), UInt64(stats.correct), stats.lossSum.bitPattern]
    }
    for k in trainer.network.weightedLayers { bits += trainer.network.weights(of: k)!.map { UInt64($0.bitPattern) } }
    let o = trainer.optimizer
    bits += [UInt64(o.step), UInt64(trainer.epoch)]
    for moments in [o.m, o.v, o.vMax] { bits += moments.flatMap { $0.map(\.bitPattern) } }
    return bits
  }

  @Test("two epochs: 1, 2, 7 and 16 threads and a repeated run give the same bits, and training moved the weights")
  func epochsAcrossThreadCounts() {
    let runs = [1, 2, 7, 16, 2].map { Self.train(threads: $0) }
    for (i, threads) in [2, 7, 16].enumerated() {
      let differ = zip(runs[0], runs[i + 1]).enumerated().first { $0.element.0 != $0.element.1 }
      #expect(runs[i + 1] == runs[0], "\(threads) threads differ from 1 thread first at bit word \(differ?.offset ?? -1)")
    }
    #expect(runs[4] == runs[1], "a second run on 2 threads differs from the first")

    // The comparison means something only if the network spiked and learned.
    let initial = Self.trainer(seed: 11).network
    let trained = Self.train(threads: 1)
    let stepWords = 6  // samples, correct, lossSum per epoch
    let initialWeights = initial.weightedLayers.flatMap { initial.weights(of: $0)!.map { UInt64($0.bitPattern) } }
    #expect(Array(trained[stepWords..<(stepWords + initialWeights.count)]) != initialWeights, "no weight changed")
    #expect(trained[2] != 0 && trained[2] != trained[5], "the loss sums \(trained[2]), \(trained[5]) show no learning")
  }

  /// Every op of `Layer`, forward and backward (input gradient too), on (2, 2, 4, 4, 1) inputs
  /// replicated over 20 samples.
  static func allOps(threads: Int) -> [UInt32] {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    Parallel.maxThreads = threads
    let w = { (count: Int, seed: UInt64) in TestData.uniform(count, -1, 5, seed: seed).map { Float($0) } }
    let neuron = Neuron<Float>(NeuronParameters(theta: 5, tauSr: 1, tauRho: 1), SimulationParameters(Ts: 1, tSample: 20))
    let net = Network(neuron: neuron, layers: [
      .replicateInTime, .pspFilter(PSPFilter(count: 2, filters: w(10, 21))),
      .conv(Conv2D(outChannels: 3, inChannels: 4, kernelHeight: 3, kernelWidth: 3, padding: 1, weights: w(108, 22))), .spike,
      .pool(Pool(size: 2)), .psp, .unpool(Unpool(size: 2)),
      .delay(Delay(delays: TestData.uniform(48, 0, 3, seed: 23).map { Float($0) }, perChannel: false)), .delayShift(1.5),
      .dropout(Dropout(shape: Shape(n: 2, c: 3, h: 4, w: 4, t: 20), p: 0.25, seed: 24)),
      .convTranspose(ConvTranspose2D(inChannels: 3, outChannels: 2, kernelHeight: 2, kernelWidth: 2, stride: 2, weights: w(24, 25))),
      .spike, .psp, .dense(Dense(outputs: 3, inputs: 128, weights: w(384, 26))), .spike,
    ])
    var rng = SplitMix64(seed: 27)
    let input = Tensor<Float>(shape: Shape(n: 2, c: 2, h: 4, w: 4, t: 1), scalars: (0..<64).map { _ in rng.uniform() < 0.5 ? 1 : 0 })
    let loss = Loss<Float>.numSpikes(NumSpikesLoss(labels: [0, 2], start: 0, stop: 20, trueCount: 5, falseCount: 1))
    let (trace, evaluation, grads) = net.evaluate(input, loss: loss)
    var bits = trace.values.flatMap { $0.scalars.map(\.bitPattern) }
    bits += trace.potentials.compactMap { $0 }.flatMap { $0.scalars.map(\.bitPattern) }
    bits += grads.weights.compactMap { $0 }.flatMap { $0.map(\.bitPattern) } + grads.input.scalars.map(\.bitPattern)
    bits += [UInt32(truncatingIfNeeded: evaluation.loss.bitPattern), UInt32(truncatingIfNeeded: evaluation.loss.bitPattern >> 32)]
    return bits
  }

  @Test("every op, replicateInTime to dense: 1, 2 and 16 threads and a repeated run give the same bits")
  func everyOpAcrossThreadCounts() {
    let runs = [1, 2, 16, 16].map { Self.allOps(threads: $0) }
    #expect(runs[1] == runs[0], "2 threads differ from 1")
    #expect(runs[2] == runs[0], "16 threads differ from 1")
    #expect(runs[3] == runs[2], "a second run on 16 threads differs from the first")
    #expect(runs[0].count > 5000 && runs[0].contains { $0 != 0 && $0 != Float(1).bitPattern })
  }
}
