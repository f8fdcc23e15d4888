/// The two SLAYER losses and their shared energy and pullback (`slayer.md` §3).
///
/// Both build an error signal e[n] per output neuron and take its energy:
/// ```
/// continuous   E = ½ ∫₀ᵀ e(t)² dt
/// discrete     E = ½ · Ts · Σ_{b, neuron, n} e[n]²      (summed over the batch, not averaged)
/// ```
/// and both pull back the same way, because their targets are constants (detached):
/// ```
/// ∂E/∂s_out[m] = Σ_n Ts·e[n]·∂e[n]/∂s_out[m] = corr_ε(Ts·e)[m]
/// ```
public enum Loss<Scalar: SpikeScalar>: Sendable {
  /// The spike-time (van Rossum-like) loss against a target spike train, ``SpikeTimeLoss``.
  case spikeTime(target: Tensor<Scalar>)
  /// The spike-count loss for classification, ``NumSpikesLoss``.
  case numSpikes(NumSpikesLoss)

  /// The loss value, its error signal and the gradient at the output spikes.
  public struct Evaluation: Sendable {
    /// E, accumulated in `Double`.
    public var loss: Double
    /// The error signal e, shape of the output.
    public var error: Tensor<Scalar>
    /// ∂E/∂s_out, shape of the output.
    public var gradient: Tensor<Scalar>
  }

  /// Evaluates the loss at the output spikes `s` and pulls it back to ∂E/∂s.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func evaluate(_ s: Tensor<Scalar>, _ neuron: Neuron<Scalar>) -> Evaluation {
    let e = error(s, neuron)
    return Evaluation(loss: Self.energy(e, Ts: neuron.Ts), error: e, gradient: Self.pullback(e, neuron))
  }

  /// The loss value alone (no pullback).
  ///
  /// - Parameters:
  ///   - s: the output spikes.
  ///   - neuron: the neuron whose ε and Ts the loss uses.
  ///   - s0: the output at which the detached quantities (the count and desired
  ///   train of ``NumSpikesLoss``) are taken; `s` itself by default. A gradient check passes the
  ///   unperturbed output here, so that finite differences see those quantities as the constants
  ///   the pullback treats them as.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func value(_ s: Tensor<Scalar>, _ neuron: Neuron<Scalar>, detachedAt s0: Tensor<Scalar>? = nil) -> Double {
    Self.energy(error(s, neuron, detachedAt: s0), Ts: neuron.Ts)
  }

  /// The error signal e at the output spikes `s` (detached quantities taken at `s0`, default `s`).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func error(_ s: Tensor<Scalar>, _ neuron: Neuron<Scalar>, detachedAt s0: Tensor<Scalar>? = nil) -> Tensor<Scalar> {
    switch self {
    case .spikeTime(let target): SpikeTimeLoss.error(s, target: target, neuron)
    case .numSpikes(let loss): loss.error(s, neuron, detachedAt: s0 ?? s)
    }
  }

  /// E = ½·Ts·Σ e², summed in `Double` in storage order.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func energy(_ e: Tensor<Scalar>, Ts: Double) -> Double {
    var sum = 0.0
    for v in e.scalars { sum += v.double * v.double }
    return 0.5 * Ts * sum
  }

  /// ∂E/∂s_out = corr_ε(Ts·e).
  ///
  /// Chain-rule line: ∂E/∂e[n] = Ts·e[n], then the psp pullback (correlation with ε). Drops the
  /// dependence of the target on s_out (the detached count and desired train of ``NumSpikesLoss``).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public static func pullback(_ e: Tensor<Scalar>, _ neuron: Neuron<Scalar>) -> Tensor<Scalar> {
    let gE = Tensor(shape: e.shape, scalars: e.scalars.map { Scalar(neuron.Ts * $0.double) })
    return PSP.pullback(gE, neuron)
  }
}

/// The spike-time loss, slayerPytorch's `SpikeTime` (`slayer.md` §3.2).
///
/// ```
/// continuous   e(t) = (ε * (s_out − ŝ))(t) = a_out(t) − â(t)
/// discrete     e[n] = conv_ε(s_out − ŝ)[n],   both trains of height 1/Ts
/// ```
public enum SpikeTimeLoss {
  /// e = conv_ε(s − ŝ).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func error<S>(_ s: Tensor<S>, target: Tensor<S>, _ neuron: Neuron<S>) -> Tensor<S> {
    precondition(s.shape == target.shape, "spikeTime loss: output \(s.shape) vs target \(target.shape)")
    let diff = zip(s.scalars, target.scalars).map { S($0.double - $1.double) }
    return PSP.forward(Tensor(shape: s.shape, scalars: diff), neuron)
  }
}

/// The spike-count loss, slayerPytorch's `NumSpikes` (`slayer.md` §3.3).
///
/// ```
/// region       [startID, stopID),  startID = rint(start/Ts),  stopID = rint(stop/Ts)
/// count        N = Ts·Σ_{n ∈ region} s_out[n]                  (detached: a constant)
/// target       N̂ = tgtSpikeCount.true for the label's neuron, .false for the others
/// count error  c = (N − N̂) / (stopID − startID) · numSpikesScale
/// error        e[n] = conv_ε(s_out − mask·s_out)[n] + c·mask[n]
/// ```
/// The first term penalises spikes outside the region with the spike-time error (zero when the
/// region covers the window); inside the region e is the constant c.
///
/// PAPER-DIFF: the paper's count error is the difference of spike counts over the interval; the
/// code divides it by the number of **bins** in the region (not the duration in ms), detaches the
/// count and adds the outside-region term (`slayer.md` §9.7).
public struct NumSpikesLoss: Hashable, Sendable, Codable {
  /// The class of each sample, 0 ≤ label < C·H·W of the output.
  public var labels: [Int]
  /// Region start, in ms.
  public var start: Double
  /// Region stop (exclusive), in ms.
  public var stop: Double
  /// Target spike count of the neuron of the true class.
  public var trueCount: Double
  /// Target spike count of every other neuron.
  public var falseCount: Double
  /// slayerPytorch's `numSpikesScale` (1 by default).
  public var scale: Double

  /// A spike-count loss; `start` and `stop` in ms, counts in spikes.
  public init(labels: [Int], start: Double, stop: Double, trueCount: Double, falseCount: Double, scale: Double = 1) {
    self.labels = labels; self.start = start; self.stop = stop
    self.trueCount = trueCount; self.falseCount = falseCount; self.scale = scale
  }

  /// [startID, stopID) in samples.
  public func region(Ts: Double) -> Range<Int> {
    let lo = Int((start / Ts).rounded(.toNearestOrEven))
    let hi = Int((stop / Ts).rounded(.toNearestOrEven))
    return lo..<max(lo, hi)
  }

  /// The error signal e of the output spikes `s`, with the count and the desired train taken at
  /// `s0` (detached; `s0 = s` in training).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func error<S>(_ s: Tensor<S>, _ neuron: Neuron<S>, detachedAt s0: Tensor<S>) -> Tensor<S> {
    let region = region(Ts: neuron.Ts)
    let t = s.shape.t, neurons = s.shape.neurons
    precondition(s0.shape == s.shape, "numSpikes loss: detached output \(s0.shape) vs output \(s.shape)")
    precondition(labels.count == s.shape.n, "numSpikes loss: \(labels.count) labels for batch \(s.shape.n)")
    precondition(!region.isEmpty && region.lowerBound >= 0 && region.upperBound <= t,
                 "numSpikes loss: region \(region) is not a non-empty part of 0..<\(t)")
    var difference = s.scalars  // s_out − s_des, with s_des = mask·s0
    var c = [Double](repeating: 0, count: s.shape.rows)
    for row in 0..<s.shape.rows {
      var sum = 0.0
      for n in region {
        sum += s0.scalars[row * t + n].double
        difference[row * t + n] = S(s.scalars[row * t + n].double - s0.scalars[row * t + n].double)
      }
      let target = row % neurons == labels[row / neurons] ? trueCount : falseCount
      c[row] = (neuron.Ts * sum - target) / Double(region.count) * scale
    }
    var e = PSP.forward(Tensor(shape: s.shape, scalars: difference), neuron)
    e.scalars.withUnsafeMutableBufferPointer { e in  // one access to the property, not one per element
      for row in 0..<s.shape.rows {
        for n in region { e[row * t + n] = S(e[row * t + n].double + c[row]) }
      }
    }
    return e
  }
}
