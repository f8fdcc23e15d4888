// A small reusable trainer: minibatches, the loss sum, accuracy, the optimizer step and the delay
// clamp (`slayer.md` §2.6 step 4, §3.4, §6 `learningStats`). No I/O: samples come from a closure,
// so the same loop trains N-MNIST from files and a synthetic problem in the tests.
//
// Implementation goals, in order of priority:
//   1. Reproducible: the same seed gives the same weights bit for bit, for any thread count, and a
//      run resumed from a checkpoint equals an uninterrupted one (the shuffle of epoch e depends
//      only on (seed, e); the optimizer's whole state is visible in ``TrainingOptimizer``).
//   2. slayerPytorch's bookkeeping: the loss is summed over the batch and reported per sample,
//      accuracy = correct / samples, prediction = argmax of spike counts (``Classifier``).

/// An optimizer whose whole state (moments and step count) is public, so that a checkpoint can
/// save it and a resumed run continue bit for bit.
///
/// The arithmetic is ``Optimizer``'s, operation for operation (the tests check that both give the
/// same bits); ``Optimizer`` keeps its moments private, which is the only reason this type exists.
/// ```
/// SGD     b ← μ·b + g  (b = g at t = 1);            p ← p − lr·b            (μ = 0: p ← p − lr·g)
/// Adam    m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   v̂ ← max(v̂, v) with AMSGrad, else v
///         p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
/// Nadam   p ← p − (lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)) · (β₁·m + (1 − β₁)·g) / (√v̂ + eps)
/// ```
public struct TrainingOptimizer: Sendable, Equatable {
  /// The update rule.
  public var rule: Optimizer.Rule
  /// Learning rate.
  public var learningRate: Double
  /// β₁, β₂ (Adam, Nadam).
  public var beta1: Double, beta2: Double
  /// The eps added to the denominator (Adam, Nadam).
  public var epsilon: Double
  /// Use the running maximum of v (AMSGrad).
  public var amsgrad: Bool
  /// Momentum μ (SGD).
  public var momentum: Double
  /// Steps taken so far, t.
  public var step = 0
  /// First moments m (SGD: the momentum buffer b), one array per parameter tensor; empty before
  /// the first step.
  public var m: [[Double]] = []
  /// Second moments v; empty before the first step.
  public var v: [[Double]] = []
  /// Running maxima v̂ of v (AMSGrad); empty before the first step.
  public var vMax: [[Double]] = []

  /// The settings of a fresh `optimizer` (its step count must be 0).
  public init(_ optimizer: Optimizer) {
    precondition(optimizer.step == 0, "TrainingOptimizer: start from a fresh Optimizer, this one took \(optimizer.step) steps")
    rule = optimizer.rule; learningRate = optimizer.learningRate
    beta1 = optimizer.beta1; beta2 = optimizer.beta2; epsilon = optimizer.epsilon
    amsgrad = optimizer.amsgrad; momentum = optimizer.momentum
  }

  /// Updates every parameter tensor with its gradient (same order every call), as
  /// ``Optimizer/update(_:gradients:)``.
  public mutating func update<S: SpikeScalar>(_ parameters: inout [[S]], gradients: [[S]]) {
    Optimizer.update(&parameters, gradients: gradients, rule: rule, learningRate: learningRate, beta1: beta1, beta2: beta2,
                     epsilon: epsilon, amsgrad: amsgrad, momentum: momentum, step: &step, m: &m, v: &v, vMax: &vMax)
  }
}

/// A network, its optimizer and the epoch count: one update per minibatch, whole epochs over a
/// labelled sample set, and tests without updates.
///
/// Each update is slayerPytorch's training step (`slayer.md` §2.6): forward, loss (summed over the
/// batch), backward without the input gradient, one optimizer step on every learnable tensor in op
/// order, then delays clamped to ≥ 0.
public struct Trainer: Sendable {
  /// The network being trained.
  public var network: Network<Float>
  /// The optimizer with its state.
  public var optimizer: TrainingOptimizer
  /// Epochs completed; the next ``trainEpoch(count:batchSize:sample:loss:progress:)`` trains epoch
  /// number `epoch` (0-based).
  public var epoch = 0
  /// Seed of the per-epoch shuffle, ``order(count:seed:epoch:)``.
  public var seed: UInt64

  /// A trainer at epoch 0.
  public init(network: Network<Float>, optimizer: Optimizer, seed: UInt64) {
    self.network = network
    self.optimizer = TrainingOptimizer(optimizer)
    self.seed = seed
  }

  /// The loss and output of one batch.
  public struct Step: Sendable {
    /// E summed over the batch.
    public var loss: Double
    /// The output spikes `(N, C, H, W, T)`.
    public var output: Tensor<Float>
  }

  /// Running totals of an epoch, slayerPytorch's `learningStats` (`slayer.md` §6).
  public struct Statistics: Sendable, Equatable, Codable {
    /// Samples seen.
    public var samples = 0
    /// Σ E over the samples seen.
    public var lossSum = 0.0
    /// Samples classified correctly.
    public var correct = 0
    /// Empty totals.
    public init() {}
    /// Loss per sample, lossSum / samples (0 before any sample).
    public var loss: Double { samples == 0 ? 0 : lossSum / Double(samples) }
    /// correct / samples (0 before any sample).
    public var accuracy: Double { samples == 0 ? 0 : Double(correct) / Double(samples) }
  }

  /// Where an epoch stands after a batch.
  public struct Progress: Sendable {
    /// Batches done (1-based) and in the whole epoch.
    public var batch: Int, batches: Int
    /// Totals so far.
    public var statistics: Statistics
  }

  /// One epoch's figures, as `history.json` lists them.
  public struct EpochRecord: Sendable, Equatable, Codable {
    /// The epoch, 0-based.
    public var epoch: Int
    /// Training loss per sample and accuracy (0…1), accumulated during the epoch's updates.
    public var trainLoss: Double, trainAccuracy: Double
    /// Test loss per sample and accuracy (0…1) after the epoch; nil without a test set.
    public var testLoss: Double?, testAccuracy: Double?
    /// Wall time of the epoch (training and test), in seconds.
    public var seconds: Double
    /// A record from its fields.
    public init(epoch: Int, trainLoss: Double, trainAccuracy: Double, testLoss: Double?, testAccuracy: Double?, seconds: Double) {
      self.epoch = epoch; self.trainLoss = trainLoss; self.trainAccuracy = trainAccuracy
      self.testLoss = testLoss; self.testAccuracy = testAccuracy; self.seconds = seconds
    }
  }

  /// Forward, loss, backward, optimizer step on every learnable tensor, delay clamp.
  /// - Returns: the loss and output **before** the update.
  public mutating func train(_ input: Tensor<Float>, loss: Loss<Float>) -> Step {
    let trace = network.forward(input)
    let evaluation = loss.evaluate(trace.output, network.neuron)
    let gradients = network.weightGradients(trace, outputGradient: evaluation.gradient)
    let ops = network.weightedLayers
    var parameters = ops.map { network.takeWeights(of: $0) }  // moved out: updated in place, not copied
    optimizer.update(&parameters, gradients: ops.map { gradients[$0]! })
    for (j, k) in ops.enumerated() { network.replaceWeights(of: k, parameters[j]) }
    network.clampDelays()
    return Step(loss: evaluation.loss, output: trace.output)
  }

  /// Forward and loss only.
  public func evaluate(_ input: Tensor<Float>, loss: Loss<Float>) -> Step {
    let output = network.forward(input).output
    return Step(loss: loss.value(output, network.neuron), output: output)
  }

  /// The sample order of epoch `epoch`: a Fisher–Yates shuffle of 0..<count driven by
  /// SplitMix64(seed &+ epoch), swapping i with j = next() mod (i + 1) for i = count−1 … 1
  /// (spelled out rather than `shuffled(using:)`, whose algorithm the standard library may change).
  public static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var rng = SplitMix64(seed: seed &+ UInt64(epoch))
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
    }
    return order
  }

  /// Samples `(1, C, H, W, T)` stacked into one batch `(N, C, H, W, T)` (N is the outermost axis,
  /// so this is concatenation).
  public static func batch(_ samples: [Tensor<Float>]) -> Tensor<Float> {
    precondition(!samples.isEmpty, "batch: no samples")
    let s = samples[0].shape
    precondition(samples.allSatisfy { $0.shape == s } && s.n == 1, "batch: samples must all have shape (1, C, H, W, T), the first is \(s)")
    var scalars: [Float] = []
    scalars.reserveCapacity(samples.count * s.count)
    for sample in samples { scalars += sample.scalars }
    return Tensor(shape: Shape(n: samples.count, c: s.c, h: s.h, w: s.w, t: s.t), scalars: scalars)
  }

  /// Trains epoch number ``epoch`` on a labelled set and advances ``epoch``.
  ///
  /// - Parameters:
  ///   - count: samples in the set; the order is ``order(count:seed:epoch:)``, the last batch may
  ///     be short.
  ///   - batchSize: samples per update.
  ///   - sample: sample i as `(input (1, C, H, W, T), class)`.
  ///   - loss: the loss of a batch with these labels.
  ///   - progress: called after every batch.
  /// - Returns: the epoch's totals, taken on each batch before its update.
  public mutating func trainEpoch(
    count: Int, batchSize: Int, sample: (Int) -> (input: Tensor<Float>, label: Int),
    loss: ([Int]) -> Loss<Float>, progress: (Progress) -> Void = { _ in }
  ) -> Statistics {
    trainEpoch(count: count, batchSize: batchSize, batch: { Self.stack($0, sample) }, loss: loss, progress: progress)
  }

  /// ``trainEpoch(count:batchSize:sample:loss:progress:)`` for a set that forms its batches itself.
  ///
  /// - Parameters:
  ///   - count: samples in the set; the order is ``order(count:seed:epoch:)``, the last batch may
  ///     be short.
  ///   - batchSize: samples per update.
  ///   - batch: samples `indices` as one input `(N, C, H, W, T)` in that order, and their classes
  ///     (``Trainer/batch(_:)`` of the samples, for example, or a tensor written in place).
  ///   - loss: the loss of a batch with these labels.
  ///   - progress: called after every batch.
  /// - Returns: the epoch's totals, taken on each batch before its update.
  public mutating func trainEpoch(
    count: Int, batchSize: Int, batch: ([Int]) -> (input: Tensor<Float>, labels: [Int]),
    loss: ([Int]) -> Loss<Float>, progress: (Progress) -> Void = { _ in }
  ) -> Statistics {
    let order = Self.order(count: count, seed: seed, epoch: epoch)
    var stats = Statistics()
    Self.forEachBatch(order, batchSize: batchSize, batch: batch) { input, labels, batch, batches in
      let step = train(input, loss: loss(labels))
      stats.add(step, labels: labels, Ts: network.neuron.Ts)
      progress(Progress(batch: batch, batches: batches, statistics: stats))
    }
    epoch += 1
    return stats
  }

  /// Loss and accuracy on a labelled set, in order, without updates.
  public func test(
    count: Int, batchSize: Int, sample: (Int) -> (input: Tensor<Float>, label: Int),
    loss: ([Int]) -> Loss<Float>, progress: (Progress) -> Void = { _ in }
  ) -> Statistics {
    test(count: count, batchSize: batchSize, batch: { Self.stack($0, sample) }, loss: loss, progress: progress)
  }

  /// ``test(count:batchSize:sample:loss:progress:)`` for a set that forms its batches itself (see
  /// ``trainEpoch(count:batchSize:batch:loss:progress:)``).
  public func test(
    count: Int, batchSize: Int, batch: ([Int]) -> (input: Tensor<Float>, labels: [Int]),
    loss: ([Int]) -> Loss<Float>, progress: (Progress) -> Void = { _ in }
  ) -> Statistics {
    var stats = Statistics()
    Self.forEachBatch(Array(0..<count), batchSize: batchSize, batch: batch) { input, labels, batch, batches in
      stats.add(evaluate(input, loss: loss(labels)), labels: labels, Ts: network.neuron.Ts)
      progress(Progress(batch: batch, batches: batches, statistics: stats))
    }
    return stats
  }

  /// Calls `body(input, labels, batch number (1-based), batch count)` for consecutive slices of `order`.
  static func forEachBatch(
    _ order: [Int], batchSize: Int, batch: ([Int]) -> (input: Tensor<Float>, labels: [Int]),
    _ body: (Tensor<Float>, [Int], Int, Int) -> Void
  ) {
    precondition(batchSize > 0, "batch size \(batchSize) must be > 0")
    let batches = (order.count + batchSize - 1) / batchSize
    for b in 0..<batches {
      let (input, labels) = batch(Array(order[b * batchSize..<min(order.count, (b + 1) * batchSize)]))
      body(input, labels, b + 1, batches)
    }
  }

  /// Samples `indices` stacked by ``batch(_:)``, with their classes.
  static func stack(_ indices: [Int], _ sample: (Int) -> (input: Tensor<Float>, label: Int)) -> (input: Tensor<Float>, labels: [Int]) {
    let items = indices.map(sample)
    return (batch(items.map(\.input)), items.map(\.label))
  }

  /// A fully connected network `sizes[0]-sizes[1]-…`, each layer slayerPytorch's
  /// `spike(psp(dense(x)))`, i.e. ops `[.dense, .psp, .spike]` per layer (`slayer.md` §5).
  ///
  /// Layer j's weights are `RandomSpikes.weights(scale: weightScale, seed: seed &+ j)`, PyTorch's
  /// default U(±1/√fanIn) times slayerPytorch's `weightScale` (10 for `dense`).
  public static func denseNetwork(_ sizes: [Int], neuron: Neuron<Float>, weightScale: Double = 10, seed: UInt64) -> Network<Float> {
    precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "denseNetwork: sizes \(sizes) need ≥ 2 positive entries")
    var layers: [Layer<Float>] = []
    for j in 1..<sizes.count {
      let w: [Float] = RandomSpikes.weights(outputs: sizes[j], inputs: sizes[j - 1], scale: weightScale, seed: seed &+ UInt64(j - 1))
      layers += [.dense(Dense(outputs: sizes[j], inputs: sizes[j - 1], weights: w)), .psp, .spike]
    }
    return Network(neuron: neuron, layers: layers)
  }
}

extension Trainer.Statistics {
  /// Adds one batch: its summed loss, its size and its correct predictions (argmax of spike counts).
  mutating func add(_ step: Trainer.Step, labels: [Int], Ts: Double) {
    samples += labels.count
    lossSum += step.loss
    correct += zip(Classifier.predict(step.output, Ts: Ts), labels).filter { $0 == $1 }.count
  }
}
