/// Finite-difference checks of the backward pass (`slayer.md` §10.6).
///
/// The spike function has no derivative, so the check runs on the network's **smooth twin**: the
/// same network in `Double`, with the spike replaced by the smooth F(u) whose derivative is exactly
/// ρ/Ts and with ν = 0 (``SpikeMode/smooth``). On the twin the backward pass is the exact gradient,
/// so central differences of the loss must agree with it up to the finite-difference error. The
/// differences use the fourth-order central stencil, whose truncation error is O(h⁴):
/// ```
/// ∂E/∂w ≈ [8·(E(w + h) − E(w − h)) − (E(w + 2h) − E(w − 2h))] / 12h,    h = step·max(1, |w|)
/// ```
/// Each element is judged by the relative error
/// ```
/// r = |g_fd − g_bp| / max(|g_fd|, |g_bp|, 1e-4·max_i |g_bp,i|, 10⁶·u),   u = max(|D(h) − D(2h)|, 8·ε·|E|/h)
/// ```
/// The floors keep an element from being judged on the finite difference's own error: u, the
/// disagreement between the stencil at h and at 2h, estimates it (rounding of E, which grows as
/// |E|/h, and truncation), so an element can be checked to 1e-6 relative only if it is at least
/// 10⁶·u; and elements ten thousand times smaller than the tensor's largest gradient do not decide
/// the verdict. The norm-wise error ‖g_fd − g_bp‖/‖g_bp‖ is reported beside it.
/// Quantities the code detaches from the graph (the count and desired train of the `numSpikes`
/// loss) are held at their unperturbed values, so the differences see the same function the
/// pullback differentiates.
public enum GradientCheck {
  /// The verdict on one parameter tensor.
  public struct Entry: Sendable, CustomStringConvertible {
    /// The tensor's name, `op<k>.weights` or `input`.
    public var name: String
    /// Elements compared.
    public var count: Int
    /// The worst relative error r.
    public var worstRelativeError: Double
    /// The flat index of the worst element.
    public var worstIndex: Int
    /// The backprop value g_bp at the worst element.
    public var analytic: Double
    /// The finite-difference value g_fd at the worst element.
    public var numeric: Double
    /// Largest |g_bp| in the tensor.
    public var scale: Double
    /// ‖g_fd − g_bp‖₂ / ‖g_bp‖₂.
    public var normwiseError: Double

    public var description: String {
      "\(name): \(count) elements, worst relative error \(worstRelativeError) at [\(worstIndex)] "
        + "(backprop \(analytic), finite difference \(numeric)), norm-wise \(normwiseError)"
    }
  }

  /// Compares backprop with central differences for every weight of `network` (and the input, if
  /// `includeInput`), on the smooth twin in `Double`.
  ///
  /// - Parameters:
  ///   - network: the network whose pullbacks are checked; its twin is built from it.
  ///   - input: the input spikes `(N, C, H, W, T)`.
  ///   - loss: the loss E whose gradient is checked.
  ///   - includeInput: also check ∂E/∂input (one entry named `input`).
  ///   - step: relative finite-difference step h, 1e-3 by default: large enough that `Double`
  ///     rounding of E stays far below the gradients, small enough for the O(h⁴) truncation error.
  ///     A stencil that would straddle a kink of the twin (a potential crossing ϑ, where ρ has a
  ///     kink; a delay crossing a whole sample) is retried with h/10.
  /// - Returns: one ``Entry`` per learnable tensor in op order (named `op<k>.weights`, `.filters`,
  ///   `.delays`), then `input` if asked.
  public static func run<S>(_ network: Network<S>, input: Tensor<S>, loss: Loss<S>,
                            step: Double = 1e-3, includeInput: Bool = false) -> [Entry] {
    var twin = network.converted(to: Double.self, mode: .smooth)
    let x = input.converted(to: Double.self)
    let l = loss.converted(to: Double.self)
    let base = twin.evaluate(x, loss: l)
    let baseKinks = kinks(twin, base.trace)
    func probe(_ net: Network<Double>, _ input: Tensor<Double>) -> (Double, Bool) {
      let trace = net.forward(input)
      return (l.value(trace.output, net.neuron, detachedAt: base.trace.output), kinks(net, trace) == baseKinks)
    }
    var entries: [Entry] = []
    for k in twin.weightedLayers {
      let w0 = twin.weights(of: k)!
      var spread: [Double] = []
      let numeric = differences(w0, step: step, uncertainty: &spread) { w in
        twin.setWeights(of: k, w)
        return probe(twin, x)
      }
      twin.setWeights(of: k, w0)
      entries.append(compare(name: "op\(k).\(twin.layers[k].parameterName!)", analytic: base.gradients.weights[k]!,
                             numeric: numeric, uncertainty: spread))
    }
    if includeInput {
      var spread: [Double] = []
      let numeric = differences(x.scalars, step: step, uncertainty: &spread) { v in probe(twin, Tensor(shape: x.shape, scalars: v)) }
      entries.append(compare(name: "input", analytic: base.gradients.input.scalars, numeric: numeric, uncertainty: spread))
    }
    return entries
  }

  /// Where the twin is not smooth: the side of ϑ of every potential entering a spike op (ρ, and so
  /// F′, has a kink at ϑ) and the whole-sample part of every delay (the interpolation's derivative
  /// jumps there). A stencil whose probes change any of these straddles a kink.
  static func kinks(_ net: Network<Double>, _ trace: Network<Double>.Trace) -> [Bool] {
    var out: [Bool] = []
    let theta = net.neuron.parameters.theta
    for k in net.layers.indices {
      switch net.layers[k] {
      case .spike: out += trace.values[k].scalars.map { $0 >= theta }
      case .delay(let d):
        out += d.delays.map { Int(($0 / net.neuron.Ts).rounded(.down)) % 2 == 0 }
      default: break
      }
    }
    return out
  }

  /// Fourth-order central differences of `f` at `x` for every element. `f` returns the value and
  /// whether the probe stayed on the same smooth piece as `x`; when a probe leaves it, the step is
  /// divided by 10 and the element tried again (up to three times); a kink that remains is at `x`
  /// itself, and the one-sided stencil from the right is used.
  ///
  /// - Parameters:
  ///   - x: the point, one value per element.
  ///   - step: the relative step h; element i uses h·max(1, |x[i]|).
  ///   - f: the function and whether the probe stayed on the same smooth piece as `x`.
  ///   - uncertainty: receives, per element, |D(h) − D(2h)|, the disagreement of the
  ///   stencil at h and at 2h, and at least the rounding error of E (8·ε·|E|/h): an estimate of
  ///   the finite difference's own error (rounding and truncation), below which no element can
  ///   be judged.
  /// - Returns: the estimate of ∂f/∂x[i] for every element.
  public static func differences(_ x: [Double], step: Double, uncertainty: UnsafeMutablePointer<[Double]>? = nil,
                                 _ f: ([Double]) -> (Double, Bool)) -> [Double] {
    var probe = x
    var spread = [Double](repeating: 0, count: x.count)
    defer { uncertainty?.pointee = spread }
    return x.indices.map { i in
      var h = step * max(1, abs(x[i]))
      var estimate = 0.0
      for attempt in 0..<4 {
        var smooth = true
        func at(_ offset: Double) -> Double {
          probe[i] = x[i] + offset
          let (value, same) = f(probe)
          smooth = smooth && same
          return value
        }
        let d1 = at(h) - at(-h), d2 = at(2 * h) - at(-2 * h), d4 = at(4 * h) - at(-4 * h)
        estimate = (8 * d1 - d2) / (12 * h)
        // The two stencils' disagreement, but never less than the rounding of E itself: each
        // value of E, a long sum, carries a few ulps (measured: up to ~4 ε·|E| on the fixtures),
        // combined with weights 8, 8, 1, 1 over 12h.
        let rounding = 8 * Double.ulpOfOne * abs(at(0)) / h
        spread[i] = max(abs(estimate - (8 * d2 - d4) / (24 * h)), rounding)
        if smooth { break }
        if attempt == 3 {
          // The kink sits (within h/1000) at x itself, as for a delay that is an exact multiple
          // of Ts: the twin's pullback takes the derivative from the right (⌊d/Ts⌋), so do the
          // finite differences, with the fourth-order one-sided stencil.
          h *= 1000
          let f0 = at(0), f1 = at(h), f2 = at(2 * h), f3 = at(3 * h), f4 = at(4 * h)
          estimate = (-25 * f0 + 48 * f1 - 36 * f2 + 16 * f3 - 3 * f4) / (12 * h)
          spread[i] = max(spread[i], 8 * Double.ulpOfOne * abs(f0) / h)
          break
        }
        h /= 10
      }
      probe[i] = x[i]
      return estimate
    }
  }

  /// ``differences(_:step:uncertainty:_:)`` for a function known to be smooth everywhere.
  public static func differences(_ x: [Double], step: Double, _ f: ([Double]) -> Double) -> [Double] {
    differences(x, step: step, uncertainty: nil) { (f($0), true) }
  }

  /// The worst relative error of `analytic` against `numeric`; `uncertainty[i]` is the finite
  /// difference's own error estimate at element i (an element is not judged below 10⁶ times it).
  public static func compare(name: String, analytic: [Double], numeric: [Double], uncertainty: [Double]? = nil) -> Entry {
    precondition(analytic.count == numeric.count, "gradient check \(name): \(analytic.count) vs \(numeric.count)")
    let scale = analytic.reduce(0) { max($0, abs($1)) }
    let floor = max(1e-4 * scale, Double.leastNormalMagnitude)
    var difference = 0.0, norm = 0.0
    for i in analytic.indices {
      difference += (numeric[i] - analytic[i]) * (numeric[i] - analytic[i])
      norm += analytic[i] * analytic[i]
    }
    var worst = Entry(name: name, count: analytic.count, worstRelativeError: 0, worstIndex: 0,
                      analytic: analytic.first ?? 0, numeric: numeric.first ?? 0, scale: scale,
                      normwiseError: norm > 0 ? (difference / norm).squareRoot() : difference.squareRoot())
    for i in analytic.indices {
      let r = abs(numeric[i] - analytic[i]) / max(abs(numeric[i]), abs(analytic[i]), floor, 1e6 * (uncertainty?[i] ?? 0))
      if r > worst.worstRelativeError || r.isNaN {
        worst.worstRelativeError = r; worst.worstIndex = i
        worst.analytic = analytic[i]; worst.numeric = numeric[i]
      }
    }
    return worst
  }
}
