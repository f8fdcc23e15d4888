@testable import SlayerCore
import Testing

/// TSSL-BP training as the authors' `main.py` (`tssl-bp.md` §3.3): clip_grad_norm_, AdamW, clamp.
@Suite("TSSL-BP training")
struct TSSLBPTrainingTests {
  @Test("clip_grad_norm_: scaled by max/(‖g‖ + 1e-6) only when that is below 1")
  func clip() {
    var g: [[Float]] = [[3, 0], [4]]
    let norm = TSSLTrainer.clip(&g, maxNorm: 1)
    #expect(norm == 5)
    let c = 1 / (5 + 1e-6)
    #expect(g == [[Float(3 * c), 0], [Float(4 * c)]])
    var small: [[Float]] = [[0.3], [0.4]]
    TSSLTrainer.clip(&small, maxNorm: 1)
    #expect(small == [[0.3], [0.4]])
    var unclipped: [[Float]] = [[30]]
    #expect(TSSLTrainer.clip(&unclipped, maxNorm: nil) == 30 && unclipped == [[30]])
  }

  /// Two classes of 0/1 spike patterns on 12 inputs, T = 10: class 0 fires inputs 0–5, class 1
  /// inputs 6–11, each on alternate steps; 3 % noise.
  static func samples(seed: UInt64) -> [(input: Tensor<Float>, label: Int)] {
    var rng = SplitMix64(seed: seed)
    return (0..<16).map { i in
      let label = i % 2
      var x = [Float](repeating: 0, count: 12 * 10)
      for c in 0..<12 {
        for t in 0..<10 {
          let on = label == 0 ? (c < 6 && (c + t) % 2 == 0) : (c >= 6 && (c + t) % 2 == 1)
          if on || rng.uniform() < 0.03 { x[c * 10 + t] = 1 }
        }
      }
      return (Tensor(shape: Shape(n: 1, c: 12, t: 10), scalars: x), label)
    }
  }

  static func loss(_ labels: [Int]) -> TSSLLoss { .count(TSSLCountLoss(labels: labels, desired: 5, undesired: 1)) }

  @Test("one AdamW step: p ← p·(1 − lr·λ), then Adam's first step −lr·g/(|g| + eps), then the clamp at ±4")
  func adamWStep() {
    let neuron = TSSLNeuron<Float>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: 10)
    var net = TSSLTrainer.denseNetwork([12, 4, 2], neuron: neuron, seed: 3)
    var w = net.weights(of: 1)!
    w[0] = 4.0005  // beyond the clamp: the step cannot bring it back inside by itself
    net.setWeights(of: 1, w)
    var trainer = TSSLTrainer(network: net, learningRate: 0.01, maxGradientNorm: nil, seed: 3)
    let data = Self.samples(seed: 4)
    let input = Trainer.batch(data.prefix(4).map(\.input)), labels = data.prefix(4).map(\.label)
    let before = trainer.network
    let g = before.evaluate(input, loss: Self.loss(labels), inputGradient: false).gradients
    _ = trainer.train(input, loss: Self.loss(labels))
    for k in before.weightedLayers {
      let p0 = before.weights(of: k)!, gk = g.weights[k]!, p1 = trainer.network.weights(of: k)!
      for i in p0.indices {
        let decayed = Float(p0[i].double * (1 - 0.01 * 0.01))
        // Adam's first step in TrainingOptimizer's operation order (≈ −lr·g/(|g| + eps)).
        let m = (1 - 0.9) * gk[i].double, v = (1 - 0.999) * gk[i].double * gk[i].double
        let stepped = Float(decayed.double - (0.01 / (1 - 0.9)) * m / (v.squareRoot() / (1 - 0.999).squareRoot() + 1e-8))
        #expect(p1[i] == min(max(stepped, -4), 4), "op \(k) [\(i)]: p0 \(p0[i]), g \(gk[i]), p1 \(p1[i])")
      }
    }
    #expect(trainer.network.weights(of: 1)![0] <= 4)
  }

  @Test("a 12-8-2 network learns two spike patterns to 100 % within 15 epochs; same weights for 1 and 2 threads")
  func learns() {
    let data = Self.samples(seed: 4)
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    var finals: [[[Float]]] = []
    for threads in [1, 2] {
      Parallel.maxThreads = threads
      let neuron = TSSLNeuron<Float>(TSSLParameters(tauM: 5, tauS: 3, theta: 1), steps: 10)
      var trainer = TSSLTrainer(network: TSSLTrainer.denseNetwork([12, 8, 2], neuron: neuron, seed: 5), learningRate: 0.01, seed: 5)
      func test() -> Trainer.Statistics { trainer.test(count: data.count, batchSize: 4, sample: { data[$0] }, loss: Self.loss) }
      let before = test()
      while test().accuracy < 1 && trainer.epoch < 15 {
        _ = trainer.trainEpoch(count: data.count, batchSize: 4, sample: { data[$0] }, loss: Self.loss)
      }
      let after = test()
      #expect(after.accuracy == 1 && after.loss < before.loss,
              "seed 5, \(threads) thread(s): accuracy \(before.accuracy) → \(after.accuracy), loss \(before.loss) → \(after.loss) after \(trainer.epoch) epochs")
      finals.append(trainer.network.weightedLayers.map { trainer.network.weights(of: $0)! })
    }
    #expect(finals[0] == finals[1], "bit-identical weights for 1 and 2 threads")
  }

  @Test("denseNetwork: psc, then dense + lif per layer; kaiming-normal weights with std √(2/fanIn)")
  func initialisation() {
    let neuron = TSSLNeuron<Float>(TSSLParameters(tauM: 8, tauS: 4, theta: 1), steps: 30)
    let net = TSSLTrainer.denseNetwork([400, 300, 10], neuron: neuron, seed: 1)
    #expect(net.layers.map(\.name) == ["psc", "dense", "lif", "dense", "lif"])
    let w = net.weights(of: 1)!.map(\.double)
    let mean = w.reduce(0, +) / Double(w.count)
    let std = (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count)).squareRoot()
    #expect(abs(mean) < 0.002 && abs(std / (2.0 / 400).squareRoot() - 1) < 0.01, "mean \(mean), std \(std)")
  }
}
