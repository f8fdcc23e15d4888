/// One operation of a feed-forward SLAYER network, in the order slayerPytorch composes them
/// (`spike(psp(dense(x)))` is `[.dense, .psp, .spike]`; `slayer.md` §2.4, §2.6).
public enum Layer<Scalar: SpikeScalar>: Sendable {
  /// a = conv_ε(s), ``PSP``.
  case psp
  /// u = W·a per time sample, ``Dense``.
  case dense(Dense<Scalar>)
  /// s = spike(u) with the refractory response, ``Spike``.
  case spike

  /// The op's name in the case format.
  public var name: String {
    switch self {
    case .psp: "psp"
    case .dense: "dense"
    case .spike: "spike"
    }
  }
}

/// A feed-forward network: a neuron model and a list of ops applied in order to one tensor.
///
/// Forward keeps every intermediate value (a ``Trace``); backward walks the ops in reverse, calling
/// each op's pullback, which stands beside its forward in the op's own file.
public struct Network<Scalar: SpikeScalar>: Sendable {
  /// The shared neuron parameters, time grid and kernels.
  public var neuron: Neuron<Scalar>
  /// The ops, applied first to last.
  public var layers: [Layer<Scalar>]

  public init(neuron: Neuron<Scalar>, layers: [Layer<Scalar>]) {
    self.neuron = neuron
    self.layers = layers
  }

  /// Every intermediate value of a forward pass.
  public struct Trace: Sendable {
    /// values[0] is the input; values[k + 1] is the output of op k.
    public var values: [Tensor<Scalar>]
    /// For each spike op k, the post-refractory potential u_post; nil for other ops.
    public var potentials: [Tensor<Scalar>?]
    /// The network's output, the last value.
    public var output: Tensor<Scalar> { values[values.count - 1] }
  }

  /// The gradients of a backward pass.
  public struct Gradients: Sendable {
    /// ∂E/∂(input).
    public var input: Tensor<Scalar>
    /// For each op k with weights, ∂E/∂W in the layout of its weights; nil for other ops.
    public var weights: [[Scalar]?]
  }

  /// Runs every op on `input`.
  public func forward(_ input: Tensor<Scalar>) -> Trace {
    var values = [input]
    var potentials: [Tensor<Scalar>?] = []
    for layer in layers {
      let x = values[values.count - 1]
      switch layer {
      case .psp:
        values.append(PSP.forward(x, neuron)); potentials.append(nil)
      case .dense(let dense):
        values.append(dense.forward(x)); potentials.append(nil)
      case .spike:
        let out = Spike.forward(x, neuron)
        values.append(out.spikes); potentials.append(out.potential)
      }
    }
    return Trace(values: values, potentials: potentials)
  }

  /// Pulls `outputGradient` (∂E/∂output) back through every op.
  ///
  /// - Parameter inputGradient: compute ∂E/∂input; when false (training), the ops before the first
  ///   weighted op are not pulled back at all and `Gradients.input` is zero.
  public func backward(_ trace: Trace, outputGradient: Tensor<Scalar>, inputGradient: Bool = true) -> Gradients {
    precondition(outputGradient.shape == trace.output.shape,
                 "backward: gradient \(outputGradient.shape) vs output \(trace.output.shape)")
    var g = outputGradient
    var weights = [[Scalar]?](repeating: nil, count: layers.count)
    let first = inputGradient ? 0 : (weightedLayers.first ?? layers.count)
    for k in layers.indices.reversed() where k >= first {
      switch layers[k] {
      case .psp:
        g = PSP.pullback(g, neuron)
      case .dense(let dense):
        let pulled = dense.pullback(g, input: trace.values[k], inputGradient: inputGradient || k > first)
        g = pulled.input
        weights[k] = pulled.weights
      case .spike:
        g = Spike.pullback(g, potential: trace.potentials[k]!, neuron)
      }
    }
    return Gradients(input: inputGradient ? g : Tensor(zeros: trace.values[0].shape), weights: weights)
  }

  /// One whole step without an update: forward, loss, backward.
  public func evaluate(_ input: Tensor<Scalar>, loss: Loss<Scalar>, inputGradient: Bool = true)
    -> (trace: Trace, loss: Loss<Scalar>.Evaluation, gradients: Gradients)
  {
    let trace = forward(input)
    let evaluation = loss.evaluate(trace.output, neuron)
    return (trace, evaluation, backward(trace, outputGradient: evaluation.gradient, inputGradient: inputGradient))
  }

  /// The weights of op k, or nil when it has none.
  public func weights(of k: Int) -> [Scalar]? {
    if case .dense(let d) = layers[k] { return d.weights }
    return nil
  }

  /// Replaces the weights of op k (same count).
  public mutating func setWeights(of k: Int, _ w: [Scalar]) {
    guard case .dense(var d) = layers[k] else { preconditionFailure("setWeights: op \(k) (\(layers[k].name)) has no weights") }
    precondition(w.count == d.weights.count, "setWeights: op \(k) has \(d.weights.count) weights, got \(w.count)")
    d.weights = w
    layers[k] = .dense(d)
  }

  /// The indices of the ops that carry weights.
  public var weightedLayers: [Int] { layers.indices.filter { weights(of: $0) != nil } }

  /// The same network in another precision and, optionally, another spike mode.
  public func converted<Other: SpikeScalar>(to _: Other.Type, mode: SpikeMode? = nil) -> Network<Other> {
    Network<Other>(neuron: neuron.with(Other.self, mode: mode), layers: layers.map { layer in
      switch layer {
      case .psp: .psp
      case .spike: .spike
      case .dense(let d): .dense(Dense<Other>(outputs: d.outputs, inputs: d.inputs, weights: d.weights.map { Other($0.double) }))
      }
    })
  }
}

extension Loss {
  /// The same loss in another precision.
  public func converted<Other: SpikeScalar>(to _: Other.Type) -> Loss<Other> {
    switch self {
    case .spikeTime(let target): .spikeTime(target: target.converted(to: Other.self))
    case .numSpikes(let l): .numSpikes(l)
    }
  }
}
