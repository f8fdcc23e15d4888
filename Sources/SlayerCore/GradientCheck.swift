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
/// r = |g_fd − g_bp| / max(|g_fd|, |g_bp|, floor),    floor = 1e-4 · max_i |g_bp,i|
/// ```
/// The floor keeps elements ten thousand times smaller than the tensor's largest gradient from being
/// judged on rounding noise alone: the differences carry an absolute error of about
/// 2·10⁻¹⁶·|E|/h, which no element can be checked below. The norm-wise error ‖g_fd − g_bp‖/‖g_bp‖
/// is reported beside it.
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
    /// Backprop and finite-difference values at the worst element.
    public var analytic: Double
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
  ///   - step: relative finite-difference step h. 1e-3 by default: small enough that a probe
  ///     rarely moves a potential across ϑ (where ρ, and so F′, has a kink), large enough that
  ///     `Double` rounding of E stays far below the truncation error.
  public static func run<S>(_ network: Network<S>, input: Tensor<S>, loss: Loss<S>,
                            step: Double = 1e-3, includeInput: Bool = false) -> [Entry] {
    var twin = network.converted(to: Double.self, mode: .smooth)
    let x = input.converted(to: Double.self)
    let l = loss.converted(to: Double.self)
    let base = twin.evaluate(x, loss: l)
    var entries: [Entry] = []
    for k in twin.weightedLayers {
      let w0 = twin.weights(of: k)!
      let numeric = differences(w0, step: step) { w in
        twin.setWeights(of: k, w)
        return l.value(twin.forward(x).output, twin.neuron, detachedAt: base.trace.output)
      }
      twin.setWeights(of: k, w0)
      entries.append(compare(name: "op\(k).weights", analytic: base.gradients.weights[k]!, numeric: numeric))
    }
    if includeInput {
      let numeric = differences(x.scalars, step: step) { v in
        l.value(twin.forward(Tensor(shape: x.shape, scalars: v)).output, twin.neuron, detachedAt: base.trace.output)
      }
      entries.append(compare(name: "input", analytic: base.gradients.input.scalars, numeric: numeric))
    }
    return entries
  }

  /// Fourth-order central differences of `f` at `x` for every element.
  public static func differences(_ x: [Double], step: Double, _ f: ([Double]) -> Double) -> [Double] {
    var probe = x
    return x.indices.map { i in
      let h = step * max(1, abs(x[i]))
      func at(_ offset: Double) -> Double {
        probe[i] = x[i] + offset
        return f(probe)
      }
      let near = at(h) - at(-h), far = at(2 * h) - at(-2 * h)
      probe[i] = x[i]
      return (8 * near - far) / (12 * h)
    }
  }

  /// The worst relative error of `analytic` against `numeric`.
  public static func compare(name: String, analytic: [Double], numeric: [Double]) -> Entry {
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
      let r = abs(numeric[i] - analytic[i]) / max(abs(numeric[i]), abs(analytic[i]), floor)
      if r > worst.worstRelativeError || r.isNaN {
        worst.worstRelativeError = r; worst.worstIndex = i
        worst.analytic = analytic[i]; worst.numeric = numeric[i]
      }
    }
    return worst
  }
}
