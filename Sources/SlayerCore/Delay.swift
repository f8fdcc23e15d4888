/// Axonal delays: a learnable shift in time per neuron or per channel (`slayer.md` §2.5, §4.3–§4.5,
/// §9.6, §13.3), slayerPytorch's `delay`, and the fixed `delayShift`.
///
/// ```
/// continuous   a_d(t) = a(t − d)                                 (the paper: ε_d(t) = ε(t − d))
/// discrete     y[n] = x[n − D],  D = trunc(d/Ts), the quotient computed in float32;  0 outside [0, T)
/// gradient     ∂E/∂d = −∫ ȧ(t)·e(t) dt
///   slayerPytorch:  g_d = −Σ_{b, n} g_y[n]·(y[n] − y[n−1]),   y[−1] = 0      (= Ts × the exact value)
///   exact:          g_d = −Σ_{b, n} g_y[n]·(y[n] − y[n−1]) / Ts
/// ```
/// With one delay per channel the sum also runs over H and W (order: b, h, w, n).
///
/// The smooth twin (``SpikeMode/smooth``) shifts by linear interpolation, which is differentiable in
/// d, and pulls back its exact derivative:
/// ```
/// q = d/Ts,  D = ⌊q⌋,  φ = q − D:   y[n] = (1 − φ)·x[n − D] + φ·x[n − D − 1]
/// ∂E/∂d = Σ_n g_y[n]·(x[n − D − 1] − x[n − D]) / Ts
/// ```
///
/// PAPER-DIFF: the paper's delay is continuous; the code shifts by a whole number of samples
/// (truncated) and differentiates with a backward difference of the shifted signal, a
/// straight-through mismatch between forward and backward, scaled by an extra Ts (§9.6). At exact
/// multiples of Ts the float32 quotient may land one sample low (1.3/0.1 → 12.999999 → 12).
public struct Delay<Scalar: SpikeScalar>: Equatable, Sendable {
  /// The delays in ms, shape `(C, H, W)` (one per neuron) or `(C, 1, 1)` (one per channel).
  public var delays: [Scalar]
  /// True when there is one delay per channel, shared over H and W.
  public let perChannel: Bool
  /// The delay derivative returned by the pullback.
  public var gradient: DelayGradient

  /// A delay layer with the given delays in ms (`(C, H, W)` or `(C, 1, 1)`, C order).
  public init(delays: [Scalar], perChannel: Bool, gradient: DelayGradient = .slayerPytorch) {
    self.delays = delays; self.perChannel = perChannel; self.gradient = gradient
  }

  /// Delays drawn U[0, 1) ms, slayerPytorch's initialisation.
  public init(neurons count: Int, perChannel: Bool, seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    self.init(delays: (0..<count).map { _ in Scalar(rng.uniform()) }, perChannel: perChannel)
  }

  /// Clamps every delay to ≥ 0, as slayerPytorch asks its users to after each optimizer step.
  public mutating func clamp() { delays = delays.map { max(0, $0) } }

  /// The whole-sample shift trunc(d/Ts), with d and Ts as float32 and the quotient rounded toward zero.
  public static func samples(_ d: Double, Ts: Double) -> Int {
    let q = (Float(d) / Float(Ts)).rounded(.towardZero)
    return q.isFinite ? Int(max(-1e9, min(1e9, q))) : 0
  }

  /// The delay index of neuron `neuron` (0 ..< C·H·W) of a tensor of shape `s`.
  func index(_ neuron: Int, _ s: Shape) -> Int {
    perChannel ? neuron / (s.h * s.w) : neuron
  }

  func check(_ s: Shape) {
    precondition(delays.count == (perChannel ? s.c : s.neurons),
                 "delay: \(delays.count) delays for input \(s) (\(perChannel ? "one per channel" : "one per neuron"))")
  }

  /// y[n] = x[n − D] (or the interpolated twin).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ x: Tensor<Scalar>, _ neuron: Neuron<Scalar>) -> Tensor<Scalar> {
    check(x.shape)
    let t = x.shape.t, s = x.shape, xs = x.scalars, d = delays, smooth = neuron.mode == .smooth, Ts = neuron.Ts
    var y = [Scalar](repeating: 0, count: s.count)
    Parallel.forEach(s.rows, writing: &y) { row, out in
      let delay = d[index(row % s.neurons, s)].double
      let base = row * t
      if smooth {
        let q = delay / Ts, whole = Int(q.rounded(.down)), phi = q - Double(whole)
        for n in 0..<t {
          let m = n - whole
          let x0 = (0..<t).contains(m) ? xs[base + m].double : 0, x1 = (0..<t).contains(m - 1) ? xs[base + m - 1].double : 0
          out[base + n] = Scalar((1 - phi) * x0 + phi * x1)
        }
      } else {
        let shift = Self.samples(delay, Ts: Ts)
        for n in max(0, shift)..<max(max(0, shift), min(t, t + shift)) { out[base + n] = xs[base + n - shift] }
      }
    }
    return Tensor(shape: s, scalars: y)
  }

  /// The pullback: g_x (the shift back by −d) and g_d.
  ///
  /// Chain-rule lines: ∂E/∂x[m] = ∂E/∂y[m + D]; ∂E/∂d as in the type's doc comment (slayerPytorch's
  /// backward difference, or the exact one; in the twin, the interpolation's exact derivative).
  /// Dropped: nothing beyond the straight-through treatment of trunc.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pullback(_ gY: Tensor<Scalar>, input x: Tensor<Scalar>, output y: Tensor<Scalar>, _ neuron: Neuron<Scalar>)
    -> (input: Tensor<Scalar>, delays: [Scalar])
  {
    check(x.shape)
    let s = x.shape, t = s.t, g = gY.scalars, xs = x.scalars, ys = y.scalars, d = delays
    let smooth = neuron.mode == .smooth, Ts = neuron.Ts, exact = gradient == .exact
    var gX = [Scalar](repeating: 0, count: s.count)
    Parallel.forEach(s.rows, writing: &gX) { row, out in
      let delay = d[index(row % s.neurons, s)].double
      let base = row * t
      if smooth {
        let q = delay / Ts, whole = Int(q.rounded(.down)), phi = q - Double(whole)
        for m in 0..<t {
          let g0 = (0..<t).contains(m + whole) ? g[base + m + whole].double : 0
          let g1 = (0..<t).contains(m + whole + 1) ? g[base + m + whole + 1].double : 0
          out[base + m] = Scalar((1 - phi) * g0 + phi * g1)
        }
      } else {
        let shift = Self.samples(delay, Ts: Ts)
        for m in 0..<t where (0..<t).contains(m + shift) { out[base + m] = g[base + m + shift] }
      }
    }
    // One delay gradient per delay: sum over b, then the neurons sharing it (h, w), then n.
    var gD = [Scalar](repeating: 0, count: d.count)
    let share = perChannel ? s.h * s.w : 1
    Parallel.forEach(d.count, writing: &gD) { j, out in
      var acc = 0.0
      let q = d[j].double / Ts, whole = Int(q.rounded(.down))
      for b in 0..<s.n {
        for k in 0..<share {
          let base = (b * s.neurons + j * share + k) * t
          for n in 0..<t {
            let gn = g[base + n].double
            if gn == 0 { continue }
            if smooth {
              let m = n - whole
              let x0 = (0..<t).contains(m) ? xs[base + m].double : 0, x1 = (0..<t).contains(m - 1) ? xs[base + m - 1].double : 0
              acc += gn * (x1 - x0)
            } else {
              acc -= gn * (ys[base + n].double - (n > 0 ? ys[base + n - 1].double : 0))
            }
          }
        }
      }
      out[j] = Scalar(smooth || exact ? acc / Ts : acc)
    }
    return (Tensor(shape: s, scalars: gX), gD)
  }
}

/// Which delay derivative ``Delay`` pulls back.
public enum DelayGradient: String, Sendable, Codable {
  /// slayerPytorch's: Ts times the exact derivative (the default; what backends reproduce).
  case slayerPytorch
  /// The exact derivative of E with respect to a continuous delay.
  case exact
}

/// A fixed shift by `shift` ms, slayerPytorch's `delayShift` (no gradient for the shift; used as
/// the one-sample axon delay of Loihi): y[n] = x[n − trunc(shift/Ts)].
public enum DelayShift {
  /// y[n] = x[n − trunc(shift/Ts)], zero where that index is outside the window (`shift` in ms).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func forward<S>(_ x: Tensor<S>, shift: Double, Ts: Double) -> Tensor<S> {
    let k = Delay<S>.samples(shift, Ts: Ts), t = x.shape.t
    var y = Tensor<S>(zeros: x.shape)
    for row in 0..<x.shape.rows { for n in 0..<t where (0..<t).contains(n - k) { y.scalars[row * t + n] = x.scalars[row * t + n - k] } }
    return y
  }

  /// g_x[m] = g_y[m + trunc(shift/Ts)]. Exact.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func pullback<S>(_ gY: Tensor<S>, shift: Double, Ts: Double) -> Tensor<S> {
    let k = Delay<S>.samples(shift, Ts: Ts), t = gY.shape.t
    var g = Tensor<S>(zeros: gY.shape)
    for row in 0..<gY.shape.rows { for m in 0..<t where (0..<t).contains(m + k) { g.scalars[row * t + m] = gY.scalars[row * t + m + k] } }
    return g
  }
}
