// TSSL-BP's losses on the output PSC and its decision rule (`tssl-bp.md` §3.3, §4.1, §4.2).
//
// Both losses are sums over batch, neurons and steps (no mean), and both hand ∂E/∂a straight to
// the last neuron's pullback: unlike SLAYER's losses (``Loss``), which act on spikes and pull back
// through corr_ε, TSSL-BP's act on the PSC the network already outputs.

/// The desired spike train of the true class for the kernel loss (`tssl-bp.md` §4.1).
public enum DesiredPattern: String, Sendable, Codable, CaseIterable {
  /// The final code's (HEAD, since `1d46185`): `[0,1,1,1,1]` for T < 10, and the target is filtered
  /// twice, â = ε * (ε * d) (since `87a678f`, apparently by accident).
  case final
  /// The paper's and the camera-ready code's: `[0,1,0,1,1]` for T < 10, filtered once, â = ε * d.
  case paper

  /// d[0 … T−1]: for T ≥ 10 `[0,1,0,1,0,1,0,1,0,1]` repeated T/10 times (both eras), for T < 10
  /// the five-step pattern repeated T/5 times. T must be a multiple of 10, or 5.
  public func train(steps: Int) -> [Double] {
    precondition(Self.accepts(steps: steps),
                 "desired pattern: T = \(steps) must be a multiple of 10 (T ≥ 10) or equal 5 (T < 10)")
    let unit: [Double] = steps >= 10 ? [0, 1, 0, 1, 0, 1, 0, 1, 0, 1] : (self == .final ? [0, 1, 1, 1, 1] : [0, 1, 0, 1, 1])
    return (0..<steps).map { unit[$0 % unit.count] }
  }

  /// Whether a window of `steps` steps can hold the pattern (the authors' `repeat(T/10)` or
  /// `repeat(T/5)` must fill it exactly).
  public static func accepts(steps: Int) -> Bool { steps >= 10 ? steps % 10 == 0 : steps == 5 }

  /// How many times the target passes through ε: 2 (final), 1 (paper).
  public var filterPasses: Int { self == .final ? 2 : 1 }
}

/// The kernel (van Rossum-style) loss against the desired PSC of each class (`tssl-bp.md` §4.1).
///
/// ```
/// continuous   E = ½ Σ_i ∫ ((ε * d_i)(t) − (ε * s_i)(t))² dt
/// discrete     E = ½ Σ_{b, i, t} (a_i[t] − â_i[t])²,   â = ε * d (paper) or ε * (ε * d) (final)
///              d = the pattern for the label's neuron, 0 for every other neuron
/// ∂E/∂a_i[t] = a_i[t] − â_i[t]
/// ```
public struct TSSLKernelLoss: Hashable, Sendable, Codable {
  /// The class of each sample, 0 ≤ label < C·H·W of the output.
  public var labels: [Int]
  /// The desired pattern (and with it the number of filter passes).
  public var pattern: DesiredPattern

  /// The loss for a batch with these labels.
  public init(labels: [Int], pattern: DesiredPattern) {
    self.labels = labels; self.pattern = pattern
  }

  /// â for the true class: d filtered `pattern.filterPasses` times by conv_ε, each pass rounded
  /// to the storage scalar (as the authors' float32 `psp` does).
  public func target<S>(_ neuron: TSSLNeuron<S>) -> [S] {
    var x = pattern.train(steps: neuron.steps).map { S($0) }
    for _ in 0..<pattern.filterPasses { x = TemporalFilter.conv(x, kernel: neuron.kernel, t: neuron.steps, Ts: 1) }
    return x
  }
}

/// The one-sided count loss on the PSC sum (`tssl-bp.md` §4.2), `loss_count`.
///
/// ```
/// Ñ_i = Σ_t a_i[t]                     the PSC sum, ≈ the spike count less the truncated tails
/// N̂_i = desired for the label's neuron, undesired for the others
/// Δ_i = (Ñ_i − N̂_i) / T, then set to 0 where N̂_i ≠ undesired and Δ_i ≥ 0   (true class over-firing)
///                             and where N̂_i ≠ desired   and Δ_i ≤ 0   (false class under-firing)
/// E   = ½ Σ_{b, i, t} Δ_i²  (= ½·T·Σ Δ_i², Δ copied to every step),   ∂E/∂a_i[t] = Δ_i
/// ```
/// The hinge decides by comparing target values, as the authors' code does: with desired equal to
/// undesired neither condition holds and the loss is two-sided (§10.4).
public struct TSSLCountLoss: Hashable, Sendable, Codable {
  /// The class of each sample.
  public var labels: [Int]
  /// Target PSC sum of the true class (15 for N-MNIST at 30 steps).
  public var desired: Double
  /// Target PSC sum of every other class (3 for N-MNIST).
  public var undesired: Double

  /// The loss for a batch with these labels and PSC-sum targets.
  public init(labels: [Int], desired: Double, undesired: Double) {
    self.labels = labels; self.desired = desired; self.undesired = undesired
  }

  /// Δ per output row (`(N, C·H·W)` row-major), from PSC sums in `Double`, increasing t.
  public func delta<S>(_ a: Tensor<S>) -> [Double] {
    let t = a.shape.t, k = a.shape.neurons
    return (0..<a.shape.rows).map { row in
      var sum = 0.0
      for n in row * t..<(row + 1) * t { sum += a.scalars[n].double }
      let target = row % k == labels[row / k] ? desired : undesired
      var d = (sum - target) / Double(t)
      if target != undesired && d >= 0 { d = 0 }
      if target != desired && d <= 0 { d = 0 }
      return d
    }
  }

  /// Which rows the hinge leaves active (Δ ≠ 0): the loss is smooth while this set is unchanged.
  public func activeRows<S>(_ a: Tensor<S>) -> [Bool] { delta(a).map { $0 != 0 } }
}

/// A TSSL-BP loss on the output PSC a `(N, C, H, W, T)`.
public enum TSSLLoss: Hashable, Sendable {
  /// The kernel (van Rossum-style) loss, ``TSSLKernelLoss``.
  case kernel(TSSLKernelLoss)
  /// The one-sided count loss, ``TSSLCountLoss``.
  case count(TSSLCountLoss)

  /// The loss value and ∂E/∂a.
  public struct Evaluation<S: SpikeScalar>: Sendable {
    /// E, summed in `Double`.
    public var loss: Double
    /// ∂E/∂a, the output's shape.
    public var gradient: Tensor<S>
  }

  /// The class of each sample.
  public var labels: [Int] {
    switch self {
    case .kernel(let l): l.labels
    case .count(let l): l.labels
    }
  }

  /// E and ∂E/∂a at the output PSC `a`.
  public func evaluate<S>(_ a: Tensor<S>, _ neuron: TSSLNeuron<S>) -> Evaluation<S> {
    let (loss, error) = errorSignal(a, neuron)
    return Evaluation(loss: loss, gradient: Tensor(shape: a.shape, scalars: error.map { S($0) }))
  }

  /// E alone.
  public func value<S>(_ a: Tensor<S>, _ neuron: TSSLNeuron<S>) -> Double { errorSignal(a, neuron).loss }

  /// E = ½ Σ e² over storage order in `Double`, and e = ∂E/∂a in `Double`.
  func errorSignal<S>(_ a: Tensor<S>, _ neuron: TSSLNeuron<S>) -> (loss: Double, error: [Double]) {
    let shape = a.shape, t = shape.t, k = shape.neurons
    precondition(labels.count == shape.n, "tssl loss: \(labels.count) labels for batch \(shape.n)")
    precondition(labels.allSatisfy { (0..<k).contains($0) }, "tssl loss: labels \(labels) outside 0..<\(k)")
    precondition(t == neuron.steps, "tssl loss: output \(shape) vs \(neuron.steps) steps")
    var e = [Double](repeating: 0, count: shape.count)
    switch self {
    case .kernel(let l):
      let target = l.target(neuron)
      for row in 0..<shape.rows {
        let isTrue = row % k == l.labels[row / k]
        for n in 0..<t { e[row * t + n] = a.scalars[row * t + n].double - (isTrue ? target[n].double : 0) }
      }
    case .count(let l):
      let delta = l.delta(a)
      for row in 0..<shape.rows { for n in 0..<t { e[row * t + n] = delta[row] } }
    }
    var sum = 0.0
    for v in e { sum += v * v }
    return (0.5 * sum, e)
  }
}

/// TSSL-BP's decision (`tssl-bp.md` §3.3): the output neuron with the largest time-summed PSC.
///
/// ```
/// class(b) = argmax_i Σ_t a[b, i, t]     a spike at t counts 1 − (1 − 1/τs)^{T−t}: late spikes less
/// ```
/// Ties go to the lowest index.
public enum TSSLClassifier {
  /// Σ_t a[b, i, t], `(N, C·H·W)` row-major, in `Double`, increasing t.
  public static func pscSums<S>(_ a: Tensor<S>) -> [Double] {
    let t = a.shape.t
    return (0..<a.shape.rows).map { row in
      var sum = 0.0
      for n in row * t..<(row + 1) * t { sum += a.scalars[n].double }
      return sum
    }
  }

  /// The predicted class of every sample.
  public static func predict<S>(_ a: Tensor<S>) -> [Int] {
    let sums = pscSums(a), k = a.shape.neurons
    return (0..<a.shape.n).map { b in
      var best = 0
      for j in 1..<max(1, k) where sums[b * k + j] > sums[b * k + best] { best = j }
      return best
    }
  }
}
