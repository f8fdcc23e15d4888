// Training with TSSL-BP as the authors' `main.py` does (`tssl-bp.md` §3.3): per minibatch the loss
// summed over the batch, backward, the gradient clipped to global norm 1, one AdamW step, then the
// weights clamped to [−4, 4]; prediction by the time-summed output PSC.
//
// Implementation goals, in order of priority:
//   1. PyTorch's arithmetic for AdamW (decoupled decay p ← p·(1 − lr·λ) first, then Adam with bias
//      correction, eps outside the square root) and `clip_grad_norm_` (coefficient
//      max/(‖g‖ + 1e-6), applied only when below 1), in `Double`, each parameter rounded to `Float`
//      after the decay and after the step, as PyTorch's float32 in-place updates round.
//   2. Reproducible: the sample order of epoch e is ``Trainer/order(count:seed:epoch:)``, the same
//      shuffle as SLAYER's trainer; the same seed gives the same weights for any thread count.

/// A TSSL-BP network, its optimizer state and the epoch count.
public struct TSSLTrainer: Sendable {
  /// The network being trained.
  public var network: TSSLNetwork<Float>
  /// The Adam part of AdamW (β₁ 0.9, β₂ 0.999, eps 1e-8, no AMSGrad: PyTorch's defaults).
  public var optimizer: TrainingOptimizer
  /// AdamW's decoupled weight decay λ (PyTorch's default 0.01).
  public var weightDecay: Double
  /// The global gradient norm is clipped to this (the authors' 1); nil: no clipping.
  public var maxGradientNorm: Double?
  /// Weights are clamped to ±this after every step (the authors' 4); nil: no clamp.
  public var weightLimit: Double?
  /// Epochs completed.
  public var epoch = 0
  /// Seed of the per-epoch shuffle.
  public var seed: UInt64

  /// A trainer with the authors' settings: AdamW(lr, λ = 0.01), clip 1, clamp ±4.
  public init(network: TSSLNetwork<Float>, learningRate: Double, weightDecay: Double = 0.01, maxGradientNorm: Double? = 1,
              weightLimit: Double? = 4, seed: UInt64) {
    self.network = network
    optimizer = TrainingOptimizer(Optimizer(.adam, learningRate: learningRate))
    self.weightDecay = weightDecay; self.maxGradientNorm = maxGradientNorm; self.weightLimit = weightLimit
    self.seed = seed
  }

  /// The loss, output and gradient norm of one batch.
  public struct Step: Sendable {
    /// E summed over the batch.
    public var loss: Double
    /// The output PSC `(N, C, H, W, T)`.
    public var output: Tensor<Float>
    /// ‖∂E/∂W‖₂ over every weight tensor, before clipping (nil when only evaluated).
    public var gradientNorm: Double?
  }

  /// Forward, loss, backward, clip, AdamW, clamp. Returns the loss and output **before** the update.
  public mutating func train(_ input: Tensor<Float>, loss: TSSLLoss) -> Step {
    let (trace, evaluation, gradients) = network.evaluate(input, loss: loss, inputGradient: false)
    let ops = network.weightedLayers
    var grads = ops.map { gradients.weights[$0]! }
    let norm = Self.clip(&grads, maxNorm: maxGradientNorm)
    var parameters = ops.map { network.weights(of: $0)! }
    let decay = 1 - optimizer.learningRate * weightDecay
    for j in parameters.indices { parameters[j] = parameters[j].map { Float($0.double * decay) } }
    optimizer.update(&parameters, gradients: grads)
    if let limit = weightLimit {
      let l = Float(limit)
      for j in parameters.indices { parameters[j] = parameters[j].map { min(max($0, -l), l) } }
    }
    for (j, k) in ops.enumerated() { network.setWeights(of: k, parameters[j]) }
    return Step(loss: evaluation.loss, output: trace.output, gradientNorm: norm)
  }

  /// Forward and loss only.
  public func evaluate(_ input: Tensor<Float>, loss: TSSLLoss) -> Step {
    let output = network.forward(input).output
    return Step(loss: loss.value(output, network.neuron), output: output, gradientNorm: nil)
  }

  /// PyTorch's `clip_grad_norm_`: ‖g‖₂ over all tensors (squares summed in `Double`, tensor by
  /// tensor, in storage order); when c = maxNorm/(‖g‖ + 1e-6) < 1 every element becomes g·c.
  /// - Returns: ‖g‖₂ before clipping.
  @discardableResult
  public static func clip(_ gradients: inout [[Float]], maxNorm: Double?) -> Double {
    var sum = 0.0
    for g in gradients { for v in g { sum += v.double * v.double } }
    let norm = sum.squareRoot()
    if let maxNorm {
      let c = maxNorm / (norm + 1e-6)
      if c < 1 { gradients = gradients.map { $0.map { Float($0.double * c) } } }
    }
    return norm
  }

  /// Trains epoch ``epoch`` on a labelled set (order ``Trainer/order(count:seed:epoch:)``) and
  /// advances ``epoch``. `loss(labels)` builds the batch's loss; the statistics are taken on each
  /// batch before its update, the prediction by ``TSSLClassifier/predict(_:)``.
  public mutating func trainEpoch(
    count: Int, batchSize: Int, sample: (Int) -> (input: Tensor<Float>, label: Int),
    loss: ([Int]) -> TSSLLoss, progress: (Trainer.Progress) -> Void = { _ in }
  ) -> Trainer.Statistics {
    let order = Trainer.order(count: count, seed: seed, epoch: epoch)
    var stats = Trainer.Statistics()
    Trainer.forEachBatch(order, batchSize: batchSize, batch: { Trainer.stack($0, sample) }) { input, labels, batch, batches in
      stats.add(train(input, loss: loss(labels)), labels: labels)
      progress(Trainer.Progress(batch: batch, batches: batches, statistics: stats))
    }
    epoch += 1
    return stats
  }

  /// Loss and accuracy on a labelled set, in order, without updates.
  public func test(
    count: Int, batchSize: Int, sample: (Int) -> (input: Tensor<Float>, label: Int), loss: ([Int]) -> TSSLLoss
  ) -> Trainer.Statistics {
    var stats = Trainer.Statistics()
    Trainer.forEachBatch(Array(0..<count), batchSize: batchSize, batch: { Trainer.stack($0, sample) }) { input, labels, _, _ in
      stats.add(evaluate(input, loss: loss(labels)), labels: labels)
    }
    return stats
  }

  /// A fully connected network `sizes[0]-sizes[1]-…` on spike input: `psc`, then `dense`, `lif` per
  /// layer. Layer j's weights are the authors' `kaiming_normal_` (normal, std √(2/fanIn)) times
  /// `weightScale`, drawn from SplitMix64(seed + j) by ``SplitMix64/normal()``.
  public static func denseNetwork(_ sizes: [Int], neuron: TSSLNeuron<Float>, weightScale: Double = 1, seed: UInt64)
    -> TSSLNetwork<Float>
  {
    precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "denseNetwork: sizes \(sizes) need ≥ 2 positive entries")
    var layers: [TSSLLayer<Float>] = [.psc]
    for j in 1..<sizes.count {
      var rng = SplitMix64(seed: seed &+ UInt64(j - 1))
      let std = weightScale * (2 / Double(sizes[j - 1])).squareRoot()
      let w = (0..<sizes[j] * sizes[j - 1]).map { _ in Float(std * rng.normal()) }
      layers += [.dense(Dense(outputs: sizes[j], inputs: sizes[j - 1], weights: w)), .lif]
    }
    return TSSLNetwork(neuron: neuron, layers: layers)
  }
}

extension Trainer.Statistics {
  /// Adds one TSSL-BP batch: its summed loss, its size and its correct predictions (argmax of PSC sums).
  mutating func add(_ step: TSSLTrainer.Step, labels: [Int]) {
    samples += labels.count
    lossSum += step.loss
    correct += zip(TSSLClassifier.predict(step.output), labels).filter { $0 == $1 }.count
  }
}
