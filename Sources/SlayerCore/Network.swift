/// One operation of a feed-forward SLAYER network, in the order slayerPytorch composes them
/// (`spike(psp(dense(x)))` is `[.dense, .psp, .spike]`; `slayer.md` §2.4, §2.6, §5).
public enum Layer<Scalar: SpikeScalar>: Sendable {
  /// a = conv_ε(s), ``PSP``.
  case psp
  /// Learnable temporal filters in place of ε (`pspLayer`, `pspFilter`), ``PSPFilter``.
  case pspFilter(PSPFilter<Scalar>)
  /// u = W·a per time sample, ``Dense``.
  case dense(Dense<Scalar>)
  /// 2-D convolution per time sample, ``Conv2D``.
  case conv(Conv2D<Scalar>)
  /// Transposed 2-D convolution per time sample, ``ConvTranspose2D``.
  case convTranspose(ConvTranspose2D<Scalar>)
  /// Sum pooling with fixed weight 1.1·ϑ, ``Pool``.
  case pool(Pool)
  /// Unpooling with fixed weight 1.1·ϑ, ``Unpool``.
  case unpool(Unpool)
  /// Whole-neuron dropout with a fixed mask, ``Dropout``.
  case dropout(Dropout<Scalar>)
  /// Learnable axonal delays, ``Delay``.
  case delay(Delay<Scalar>)
  /// A fixed shift by the given number of ms, ``DelayShift``.
  case delayShift(Double)
  /// A static input `(N, C, H, W, 1)` copied to every time sample, ``ReplicateInTime``.
  case replicateInTime
  /// s = spike(u) with the refractory response, ``Spike``.
  case spike

  /// The op's name in the case format.
  public var name: String {
    switch self {
    case .psp: "psp"
    case .pspFilter: "pspFilter"
    case .dense: "dense"
    case .conv: "conv"
    case .convTranspose: "convTranspose"
    case .pool: "pool"
    case .unpool: "unpool"
    case .dropout: "dropout"
    case .delay: "delay"
    case .delayShift: "delayShift"
    case .replicateInTime: "replicateInTime"
    case .spike: "spike"
    }
  }

  /// The name of the op's learnable tensor (`weights`, `filters`, `delays`), or nil.
  public var parameterName: String? {
    switch self {
    case .dense, .conv, .convTranspose: "weights"
    case .pspFilter: "filters"
    case .delay: "delays"
    default: nil
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

  /// A network of `layers`, applied first to last, sharing `neuron`.
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
    /// For each dense and conv op k on the event-driven engine, the non-zero samples of its input,
    /// found once for the forward pass and the weight gradient.
    var inputEvents: [RowEvents?] = []
    /// The network's output, the last value.
    public var output: Tensor<Scalar> { values[values.count - 1] }
  }

  /// The gradients of a backward pass.
  public struct Gradients: Sendable {
    /// ∂E/∂(input).
    public var input: Tensor<Scalar>
    /// For each op k with a learnable tensor (weights, filters, delays), ∂E/∂(that tensor) in its
    /// layout; nil for other ops.
    public var weights: [[Scalar]?]
  }

  /// Runs every op on `input`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ input: Tensor<Scalar>) -> Trace {
    var values = [input]
    var potentials: [Tensor<Scalar>?] = [], inputEvents: [RowEvents?] = []
    for layer in layers {
      let x = values[values.count - 1]
      var potential: Tensor<Scalar>? = nil, events: RowEvents? = nil
      let y: Tensor<Scalar>
      switch layer {
      case .psp: y = PSP.forward(x, neuron)
      case .pspFilter(let f): y = f.forward(x, Ts: neuron.Ts)
      case .dense(let d):
        if !Engine.isDense && !d.prefersDenseLoops(x) { events = x.knownEvents ?? RowEvents(x.scalars, rows: x.shape.rows, t: x.shape.t) }
        y = d.forward(x, events: events)
      case .conv(let c):
        if !Engine.isDense { events = x.knownEvents ?? RowEvents(x.scalars, rows: x.shape.rows, t: x.shape.t) }
        y = c.forward(x, events: events)
      case .convTranspose(let c): y = c.forward(x)
      case .pool(let p): y = p.forward(x, theta: neuron.parameters.theta)
      case .unpool(let p): y = p.forward(x, theta: neuron.parameters.theta)
      case .dropout(let d): y = d.forward(x)
      case .delay(let d): y = d.forward(x, neuron)
      case .delayShift(let ms): y = DelayShift.forward(x, shift: ms, Ts: neuron.Ts)
      case .replicateInTime: y = ReplicateInTime.forward(x, steps: neuron.steps)
      case .spike:
        let out = Spike.forward(x, neuron)
        y = out.spikes
        potential = out.potential
      }
      values.append(y)
      potentials.append(potential)
      inputEvents.append(events)
    }
    return Trace(values: values, potentials: potentials, inputEvents: inputEvents)
  }

  /// Pulls `outputGradient` (∂E/∂output) back through every op.
  ///
  /// - Parameters:
  ///   - trace: the forward pass to differentiate, from ``forward(_:)``.
  ///   - outputGradient: ∂E/∂output, the shape of the trace's output.
  ///   - inputGradient: compute ∂E/∂input; when false (training), the ops before the first
  ///   weighted op are not pulled back at all and `Gradients.input` is zero.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func backward(_ trace: Trace, outputGradient: Tensor<Scalar>, inputGradient: Bool = true) -> Gradients {
    let (input, weights) = pullback(trace, outputGradient: outputGradient, inputGradient: inputGradient)
    return Gradients(input: input ?? Tensor(zeros: trace.values[0].shape), weights: weights)
  }

  /// The gradients of the learnable tensors alone, as training needs them: the `weights` of
  /// ``backward(_:outputGradient:inputGradient:)`` with `inputGradient` false, without forming its
  /// all-zero input gradient (22 MB for a batch of N-MNIST).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func weightGradients(_ trace: Trace, outputGradient: Tensor<Scalar>) -> [[Scalar]?] {
    pullback(trace, outputGradient: outputGradient, inputGradient: false).weights
  }

  /// ``backward(_:outputGradient:inputGradient:)`` without forming the zero input gradient that
  /// training discards: returns nil for ∂E/∂input when `inputGradient` is false.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func pullback(_ trace: Trace, outputGradient: Tensor<Scalar>, inputGradient: Bool) -> (input: Tensor<Scalar>?, weights: [[Scalar]?]) {
    precondition(outputGradient.shape == trace.output.shape,
                 "backward: gradient \(outputGradient.shape) vs output \(trace.output.shape)")
    var g = outputGradient
    var weights = [[Scalar]?](repeating: nil, count: layers.count)
    let first = inputGradient ? 0 : (weightedLayers.first ?? layers.count)
    for k in layers.indices.reversed() where k >= first {
      let x = trace.values[k], wantInput = inputGradient || k > first
      switch layers[k] {
      case .psp: g = PSP.pullback(g, neuron)
      case .pspFilter(let f): (g, weights[k]) = f.pullback(g, input: x, Ts: neuron.Ts)
      case .dense(let d):
        let events = trace.inputEvents.isEmpty ? nil : trace.inputEvents[k]
        if wantInput {
          (g, weights[k]) = d.pullback(g, input: x, inputGradient: true, events: events)
        } else {
          weights[k] = d.weightGradient(g, input: x, events: events)  // the first weighted op: g is not needed further
        }
      case .conv(let c):
        let events = trace.inputEvents.isEmpty ? nil : trace.inputEvents[k]
        if wantInput {
          (g, weights[k]) = (c.transposed(g, inputShape: x.shape), c.weightGradient(g, input: x, events: events))
        } else {
          weights[k] = c.weightGradient(g, input: x, events: events)  // the first weighted op: g is not needed further
        }
      case .convTranspose(let c): (g, weights[k]) = c.pullback(g, input: x, inputGradient: wantInput)
      case .pool(let p): g = p.pullback(g, inputShape: x.shape, theta: neuron.parameters.theta)
      case .unpool(let p): g = p.pullback(g, theta: neuron.parameters.theta)
      case .dropout(let d): g = d.pullback(g)
      case .delay(let d): (g, weights[k]) = d.pullback(g, input: x, output: trace.values[k + 1], neuron)
      case .delayShift(let ms): g = DelayShift.pullback(g, shift: ms, Ts: neuron.Ts)
      case .replicateInTime: g = ReplicateInTime.pullback(g)
      case .spike: g = Spike.pullback(g, potential: trace.potentials[k]!, neuron)
      }
    }
    return (inputGradient ? g : nil, weights)
  }

  /// One whole step without an update: forward, loss, backward.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func evaluate(_ input: Tensor<Scalar>, loss: Loss<Scalar>, inputGradient: Bool = true)
    -> (trace: Trace, loss: Loss<Scalar>.Evaluation, gradients: Gradients)
  {
    let trace = forward(input)
    let evaluation = loss.evaluate(trace.output, neuron)
    return (trace, evaluation, backward(trace, outputGradient: evaluation.gradient, inputGradient: inputGradient))
  }

  /// The learnable tensor of op k (weights, filters or delays), or nil when it has none.
  public func weights(of k: Int) -> [Scalar]? {
    switch layers[k] {
    case .dense(let d): d.weights
    case .conv(let c): c.weights
    case .convTranspose(let c): c.weights
    case .pspFilter(let f): f.filters
    case .delay(let d): d.delays
    default: nil
    }
  }

  /// The learnable tensor of op k, moved out (the op is left with none until
  /// ``replaceWeights(of:_:)`` puts one back), so that the caller holds the only reference and
  /// can update it in place instead of copying it.
  mutating func takeWeights(of k: Int) -> [Scalar] {
    var taken: [Scalar] = []
    switch layers[k] {
    case .dense(var d): swap(&taken, &d.weights); layers[k] = .dense(d)
    case .conv(var c): swap(&taken, &c.weights); layers[k] = .conv(c)
    case .convTranspose(var c): swap(&taken, &c.weights); layers[k] = .convTranspose(c)
    case .pspFilter(var f): swap(&taken, &f.filters); layers[k] = .pspFilter(f)
    case .delay(var d): swap(&taken, &d.delays); layers[k] = .delay(d)
    default: preconditionFailure("takeWeights: op \(k) (\(layers[k].name)) has no learnable tensor")
    }
    return taken
  }

  /// Replaces the learnable tensor of op k (same count).
  public mutating func setWeights(of k: Int, _ w: [Scalar]) {
    let old = weights(of: k)
    precondition(old != nil, "setWeights: op \(k) (\(layers[k].name)) has no learnable tensor")
    precondition(w.count == old!.count, "setWeights: op \(k) has \(old!.count) values, got \(w.count)")
    replaceWeights(of: k, w)
  }

  /// Puts `w` in as the learnable tensor of op k, unchecked (after ``takeWeights(of:)``).
  mutating func replaceWeights(of k: Int, _ w: [Scalar]) {
    switch layers[k] {
    case .dense(var d): d.weights = w; layers[k] = .dense(d)
    case .conv(var c): c.weights = w; layers[k] = .conv(c)
    case .convTranspose(var c): c.weights = w; layers[k] = .convTranspose(c)
    case .pspFilter(var f): f.filters = w; layers[k] = .pspFilter(f)
    case .delay(var d): d.delays = w; layers[k] = .delay(d)
    default: break
    }
  }

  /// The indices of the ops that carry a learnable tensor.
  public var weightedLayers: [Int] { layers.indices.filter { weights(of: $0) != nil } }

  /// Clamps every delay to ≥ 0 (after an optimizer step, as slayerPytorch asks).
  public mutating func clampDelays() {
    for k in layers.indices { if case .delay(var d) = layers[k] { d.clamp(); layers[k] = .delay(d) } }
  }

  /// The same network in another precision and, optionally, another spike mode.
  public func converted<Other: SpikeScalar>(to _: Other.Type, mode: SpikeMode? = nil) -> Network<Other> {
    func cast(_ v: [Scalar]) -> [Other] { v.map { Other($0.double) } }
    return Network<Other>(neuron: neuron.with(Other.self, mode: mode), layers: layers.map { layer in
      switch layer {
      case .psp: .psp
      case .spike: .spike
      case .replicateInTime: .replicateInTime
      case .pool(let p): .pool(p)
      case .unpool(let p): .unpool(p)
      case .delayShift(let ms): .delayShift(ms)
      case .dense(let d): .dense(Dense<Other>(outputs: d.outputs, inputs: d.inputs, weights: cast(d.weights)))
      case .conv(let c):
        .conv(Conv2D<Other>(outChannels: c.outChannels, inChannels: c.inChannels, kernelHeight: c.kernelHeight,
                            kernelWidth: c.kernelWidth, stride: c.stride, padding: c.padTop, dilation: c.dilation,
                            groups: c.groups, extraBottom: c.padBottom - c.padTop, extraRight: c.padRight - c.padLeft,
                            weights: cast(c.weights)))
      case .convTranspose(let t):
        .convTranspose(ConvTranspose2D<Other>(inChannels: t.adjointOf.outChannels, outChannels: t.adjointOf.inChannels,
                                              kernelHeight: t.adjointOf.kernelHeight, kernelWidth: t.adjointOf.kernelWidth,
                                              stride: t.adjointOf.stride, padding: t.adjointOf.padTop,
                                              dilation: t.adjointOf.dilation, groups: t.adjointOf.groups, weights: cast(t.weights)))
      case .pspFilter(let f): .pspFilter(PSPFilter<Other>(count: f.count, filters: cast(f.filters)))
      case .dropout(let d): .dropout(Dropout<Other>(mask: cast(d.mask)))
      case .delay(let d): .delay(Delay<Other>(delays: cast(d.delays), perChannel: d.perChannel, gradient: d.gradient))
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
