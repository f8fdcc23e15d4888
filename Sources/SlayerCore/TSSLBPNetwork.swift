// A TSSL-BP network (`tssl-bp.md` §3.1): ops applied in order to one tensor, every synapse op
// followed by the LIF neuron whose PSC is the next op's input. The synapse ops, the input encoding
// and dropout are SLAYER's own (``Dense``, ``Conv2D``, ``TemporalFilter``, ``ReplicateInTime``,
// ``Dropout``); only the neuron (``TSSLBP``) and the PSC sum-pool are TSSL-BP's.

/// TSSL-BP's pooling: a non-spiking sum of PSCs with fixed weight 1.1 per tap, per channel, no
/// neuron after it (`tssl-bp.md` §3.1, §10.3).
///
/// ```
/// y[b, c, oy, ox, t] = 1.1 · Σ_{ky, kx < k} a[b, c, oy·s + ky, ox·s + kx, t]
/// ```
/// Output extent ⌊(H − k)/s⌋ + 1 (rows that do not fill a window are dropped, PyTorch's rule). The
/// weight is not learned: no weight gradient.
///
/// PAPER-DIFF: the authors' `PoolLayer` takes its weight from a `theta` key (default 1.1; the
/// configs' `threshold` under pooling layers is never read) and pools a merged channel-and-row
/// axis, which equals per-channel pooling only when H is a multiple of the stride and equal to the
/// kernel size; the oracle pools each channel (§10.3).
public struct TSSLPool: Hashable, Sendable, Codable {
  /// Window size k and stride s (default k).
  public var size: Int, stride: Int
  /// The fixed tap weight, 1.1.
  public static let weight = 1.1

  /// A pool of window `size` and `stride` (default `size`), both ≥ 1.
  public init(size: Int, stride: Int? = nil) {
    precondition(size > 0 && (stride ?? size) > 0, "TSSLPool: size \(size), stride \(String(describing: stride))")
    self.size = size; self.stride = stride ?? size
  }

  /// The depthwise convolution with weight 1.1 that the pool is, for `channels` channels.
  public func convolution<S: SpikeScalar>(channels: Int) -> Conv2D<S> {
    Conv2D(outChannels: channels, inChannels: channels, kernelHeight: size, kernelWidth: size, stride: stride,
           groups: channels, weights: [S](repeating: S(Self.weight), count: channels * size * size))
  }

  /// y = 1.1·(window sums).
  public func forward<S>(_ a: Tensor<S>) -> Tensor<S> { convolution(channels: a.shape.c).forward(a) }

  /// g_a = 1.1·(window sums)ᵀ g_y. Chain-rule line as ``Conv2D/transposed(_:inputShape:)``; exact.
  public func pullback<S>(_ gY: Tensor<S>, inputShape: Shape) -> Tensor<S> {
    convolution(channels: inputShape.c).transposed(gY, inputShape: inputShape)
  }
}

/// One op of a TSSL-BP network.
public enum TSSLLayer<Scalar: SpikeScalar>: Sendable {
  /// A static input `(N, C, H, W, 1)` copied to every step, ``ReplicateInTime`` (direct encoding).
  case replicateInTime
  /// The input encoding a = conv_ε(x) of spikes or analog values (`tssl-bp.md` §2.3).
  case psc
  /// I = W·a per step, ``Dense`` (no bias).
  case dense(Dense<Scalar>)
  /// 2-D convolution per step, ``Conv2D`` (no bias).
  case conv(Conv2D<Scalar>)
  /// The LIF neuron and its synapse, current in, PSC out, ``TSSLBP``.
  case lif
  /// Sum of PSCs with weight 1.1, ``TSSLPool``.
  case pool(TSSLPool)
  /// A fixed mask, broadcast over time, ``Dropout``.
  case dropout(Dropout<Scalar>)

  /// The op's name in the case format.
  public var name: String {
    switch self {
    case .replicateInTime: "replicateInTime"
    case .psc: "psc"
    case .dense: "dense"
    case .conv: "conv"
    case .lif: "lif"
    case .pool: "pscPool"
    case .dropout: "dropout"
    }
  }
}

/// A feed-forward TSSL-BP network: one neuron model (shared τm, τs, V_th, rule) and its ops.
public struct TSSLNetwork<Scalar: SpikeScalar>: Sendable {
  /// The neuron every `lif` op uses; its kernel also encodes the input (`psc`).
  public var neuron: TSSLNeuron<Scalar>
  /// The ops, first to last.
  public var layers: [TSSLLayer<Scalar>]

  /// A network of `layers` sharing `neuron`.
  public init(neuron: TSSLNeuron<Scalar>, layers: [TSSLLayer<Scalar>]) {
    self.neuron = neuron
    self.layers = layers
  }

  /// Every intermediate value of a forward pass.
  public struct Trace: Sendable {
    /// values[0] is the input; values[k + 1] the output of op k.
    public var values: [Tensor<Scalar>]
    /// For each `lif` op k, what its pullback needs; nil for other ops.
    public var states: [TSSLState<Scalar>?]
    /// The network's output (a PSC), the last value.
    public var output: Tensor<Scalar> { values[values.count - 1] }
  }

  /// The gradients of a backward pass.
  public struct Gradients: Sendable {
    /// ∂E/∂(input).
    public var input: Tensor<Scalar>
    /// For each `dense` or `conv` op k, ∂E/∂W in the weights' layout; nil for other ops.
    public var weights: [[Scalar]?]
  }

  /// Runs every op on `input`.
  public func forward(_ input: Tensor<Scalar>) -> Trace {
    var values = [input], states: [TSSLState<Scalar>?] = []
    for layer in layers {
      let x = values[values.count - 1]
      var state: TSSLState<Scalar>? = nil
      let y: Tensor<Scalar>
      switch layer {
      case .replicateInTime: y = ReplicateInTime.forward(x, steps: neuron.steps)
      case .psc: y = Self.psc(x, neuron)
      case .dense(let d): y = d.forward(x)
      case .conv(let c): y = c.forward(x)
      case .lif:
        let s = TSSLBP.forward(x, neuron)
        y = s.psc
        state = s
      case .pool(let p): y = p.forward(x)
      case .dropout(let d): y = d.forward(x)
      }
      values.append(y)
      states.append(state)
    }
    return Trace(values: values, states: states)
  }

  /// Pulls ∂E/∂output back through every op.
  ///
  /// - Parameters:
  ///   - trace: the forward pass.
  ///   - outputGradient: ∂E/∂output, the output's shape.
  ///   - inputGradient: compute ∂E/∂input; when false (training), the ops before the first
  ///     weighted op are skipped and `Gradients.input` is zero.
  public func backward(_ trace: Trace, outputGradient: Tensor<Scalar>, inputGradient: Bool = true) -> Gradients {
    precondition(outputGradient.shape == trace.output.shape,
                 "tssl backward: gradient \(outputGradient.shape) vs output \(trace.output.shape)")
    var g = outputGradient
    var weights = [[Scalar]?](repeating: nil, count: layers.count)
    let first = inputGradient ? 0 : (weightedLayers.first ?? layers.count)
    for k in layers.indices.reversed() where k >= first {
      let x = trace.values[k], wantInput = inputGradient || k > first
      switch layers[k] {
      case .replicateInTime: g = ReplicateInTime.pullback(g)
      case .psc: g = Self.pscPullback(g, neuron)
      case .dense(let d): (g, weights[k]) = d.pullback(g, input: x, inputGradient: wantInput)
      case .conv(let c): (g, weights[k]) = c.pullback(g, input: x, inputGradient: wantInput)
      case .lif: g = TSSLBP.pullback(g, trace.states[k]!, neuron)
      case .pool(let p): g = p.pullback(g, inputShape: x.shape)
      case .dropout(let d): g = d.pullback(g)
      }
    }
    return Gradients(input: inputGradient ? g : Tensor(zeros: trace.values[0].shape), weights: weights)
  }

  /// Forward, loss and backward.
  public func evaluate(_ input: Tensor<Scalar>, loss: TSSLLoss, inputGradient: Bool = true)
    -> (trace: Trace, loss: TSSLLoss.Evaluation<Scalar>, gradients: Gradients)
  {
    let trace = forward(input)
    let evaluation = loss.evaluate(trace.output, neuron)
    return (trace, evaluation, backward(trace, outputGradient: evaluation.gradient, inputGradient: inputGradient))
  }

  /// The input encoding a = conv_ε(x), Ts = 1 (`tssl-bp.md` §2.3): spikes become PSCs, a constant
  /// analog x becomes the ramp x·(1 − (1 − 1/τs)^{t+1}).
  public static func psc(_ x: Tensor<Scalar>, _ neuron: TSSLNeuron<Scalar>) -> Tensor<Scalar> {
    precondition(x.shape.t == neuron.steps, "psc: input \(x.shape) has T = \(x.shape.t), the neuron has \(neuron.steps) steps")
    return Tensor(shape: x.shape, scalars: TemporalFilter.conv(x.scalars, kernel: neuron.kernel, t: x.shape.t, Ts: 1))
  }

  /// g_x = corr_ε(g_a). Chain-rule line: ∂E/∂x[m] = Σ_n ∂E/∂a[n]·ε[n − m]. Exact.
  public static func pscPullback(_ gA: Tensor<Scalar>, _ neuron: TSSLNeuron<Scalar>) -> Tensor<Scalar> {
    precondition(gA.shape.t == neuron.steps, "psc pullback: \(gA.shape) vs \(neuron.steps) steps")
    return Tensor(shape: gA.shape, scalars: TemporalFilter.corr(gA.scalars, kernel: neuron.kernel, t: gA.shape.t, Ts: 1))
  }

  /// The weights of op k (`dense`, `conv`), or nil.
  public func weights(of k: Int) -> [Scalar]? {
    switch layers[k] {
    case .dense(let d): d.weights
    case .conv(let c): c.weights
    default: nil
    }
  }

  /// Replaces the weights of op k (same count).
  public mutating func setWeights(of k: Int, _ w: [Scalar]) {
    let old = weights(of: k)
    precondition(old != nil && old!.count == w.count,
                 "setWeights: op \(k) (\(layers[k].name)) has \(old?.count ?? 0) weights, got \(w.count)")
    switch layers[k] {
    case .dense(var d): d.weights = w; layers[k] = .dense(d)
    case .conv(var c): c.weights = w; layers[k] = .conv(c)
    default: break
    }
  }

  /// The indices of the ops with weights.
  public var weightedLayers: [Int] { layers.indices.filter { weights(of: $0) != nil } }

  /// The same network in another precision (and optionally with another rule).
  public func converted<Other: SpikeScalar>(to _: Other.Type, rule: TSSLRule? = nil) -> TSSLNetwork<Other> {
    func cast(_ v: [Scalar]) -> [Other] { v.map { Other($0.double) } }
    return TSSLNetwork<Other>(neuron: neuron.with(Other.self, rule: rule), layers: layers.map { layer in
      switch layer {
      case .replicateInTime: .replicateInTime
      case .psc: .psc
      case .lif: .lif
      case .pool(let p): .pool(p)
      case .dense(let d): .dense(Dense<Other>(outputs: d.outputs, inputs: d.inputs, weights: cast(d.weights)))
      case .conv(let c):
        .conv(Conv2D<Other>(outChannels: c.outChannels, inChannels: c.inChannels, kernelHeight: c.kernelHeight,
                            kernelWidth: c.kernelWidth, stride: c.stride, padding: c.padTop, dilation: c.dilation,
                            groups: c.groups, extraBottom: c.padBottom - c.padTop, extraRight: c.padRight - c.padLeft,
                            weights: cast(c.weights)))
      case .dropout(let d): .dropout(Dropout<Other>(mask: cast(d.mask)))
      }
    })
  }
}

extension Dropout {
  /// The authors' dropout mask (`tssl-bp.md` §3.1, §10.5): `F.dropout3d` on `(N, C·H, W, 1, 1, T)`
  /// drops whole (sample, channel, row) stripes, shared across columns and all steps, and scales
  /// the survivors by 1/(1 − p). Returned as the `(N, C, H, W)` mask ``Dropout`` broadcasts.
  /// For a layer without spatial extent (H = W = 1) it is whole-neuron dropout.
  public static func stripes(_ shape: Shape, p: Double, seed: UInt64) -> Dropout {
    precondition(p >= 0 && p < 1, "Dropout.stripes: p = \(p) must be in [0, 1)")
    var rng = SplitMix64(seed: seed)
    let keep = Scalar(1 / (1 - p))
    var mask: [Scalar] = []
    mask.reserveCapacity(shape.rows)
    for _ in 0..<(shape.n * shape.c * shape.h) {
      let value = rng.uniform() < p ? 0 : keep
      mask += [Scalar](repeating: value, count: shape.w)
    }
    return Dropout(mask: mask)
  }
}
