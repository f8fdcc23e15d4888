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
  /// The probes are computed as fast as their bits allow: the ops before the perturbed one are not
  /// run again (their values are the unperturbed ones); for a dense op followed by row-wise ops
  /// (psp, spike), only the output row of the perturbed weight is recomputed through them; the
  /// elements are checked in parallel. Each probe's value is the full forward pass's, bit for bit.
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
    let twin = network.converted(to: Double.self, mode: .smooth)
    let x = input.converted(to: Double.self)
    let l = loss.converted(to: Double.self)
    let base = twin.evaluate(x, loss: l)
    let baseKinks = kinks(twin, base.trace.values)
    let center = l.value(base.trace.output, twin.neuron, detachedAt: base.trace.output)
    /// The loss and the kink test of the network whose op values are `values` (values[0] is the input).
    func judge(_ net: Network<Double>, _ values: [Tensor<Double>]) -> (Double, Bool) {
      (l.value(values[values.count - 1], net.neuron, detachedAt: base.trace.output), kinks(net, values) == baseKinks)
    }
    var entries: [Entry] = []
    for k in twin.weightedLayers {
      let w0 = twin.weights(of: k)!
      let v = base.trace.values[k]
      let events = RowEvents(v.scalars, rows: v.shape.rows, t: v.shape.t).byTime(rowsPerBlock: v.shape.neurons, t: v.shape.t)
      let (numeric, spread) = parallelDifferences(w0, step: step, center: center) { i, w in
        var net = twin
        net.setWeights(of: k, w)
        if let values = rowProbe(net, k, weight: i, base: base.trace.values, events: events) { return judge(net, values) }
        let suffix = Network(neuron: net.neuron, layers: Array(net.layers[k...])).forward(base.trace.values[k])
        return judge(net, Array(base.trace.values[..<k]) + suffix.values)
      }
      entries.append(compare(name: "op\(k).\(twin.layers[k].parameterName!)", analytic: base.gradients.weights[k]!,
                             numeric: numeric, uncertainty: spread))
    }
    if includeInput {
      let (numeric, spread) = parallelDifferences(x.scalars, step: step, center: center) { _, v in
        judge(twin, twin.forward(Tensor(shape: x.shape, scalars: v)).values)
      }
      entries.append(compare(name: "input", analytic: base.gradients.input.scalars, numeric: numeric, uncertainty: spread))
    }
    return entries
  }

  /// The op values of `net`, whose dense op k differs from the unperturbed network's only in
  /// weight `i`, when op k is followed by row-wise ops only up to the next op that mixes rows:
  /// the changed output row (one per sample) is recomputed through them and spliced into the
  /// unperturbed values, and the ops from there on run in full. nil when op k is not dense.
  static func rowProbe(_ net: Network<Double>, _ k: Int, weight i: Int, base: [Tensor<Double>],
                       events: RowEvents.ByTime) -> [Tensor<Double>]? {
    guard case .dense(let d) = net.layers[k] else { return nil }
    let o = i / d.inputs
    var end = k + 1  // ops k + 1 ..< end are row-wise (in the twin, spike is F(u), sample by sample)
    rowWise: while end < net.layers.count {
      switch net.layers[end] {
      case .psp, .spike: end += 1
      default: break rowWise
      }
    }
    let row = Dense(outputs: 1, inputs: d.inputs, weights: Array(d.weights[o * d.inputs..<(o + 1) * d.inputs]))
    var values = Array(base[...k])
    // (N, 1, 1, 1, T): row o of op k's output, per sample
    var changed = Engine.isDense ? row.forward(base[k]) : row.forward(base[k], byTime: events)
    for j in k..<end {
      if j > k {
        switch net.layers[j] {
        case .psp: changed = PSP.forward(changed, net.neuron)
        default: changed = Spike.forward(changed, net.neuron).spikes
        }
      }
      var value = base[j + 1]
      let t = value.shape.t, rowsPerSample = value.shape.neurons
      let samples = value.shape.n
      value.scalars.withUnsafeMutableBufferPointer { v in  // one access to the property, not one per element
        for b in 0..<samples {
          for n in 0..<t { v[(b * rowsPerSample + o) * t + n] = changed.scalars[b * t + n] }
        }
      }
      values.append(value)
    }
    if end < net.layers.count {
      let suffix = Network(neuron: net.neuron, layers: Array(net.layers[end...])).forward(values[end])
      values += suffix.values.dropFirst()
    }
    return values
  }

  /// Where the twin is not smooth: the side of ϑ of every potential entering a spike op (ρ, and so
  /// F′, has a kink at ϑ) and the whole-sample part of every delay (the interpolation's derivative
  /// jumps there). A stencil whose probes change any of these straddles a kink.
  static func kinks(_ net: Network<Double>, _ values: [Tensor<Double>]) -> [Bool] {
    var out: [Bool] = []
    let theta = net.neuron.parameters.theta
    for k in net.layers.indices {
      switch net.layers[k] {
      case .spike: out += values[k].scalars.map { $0 >= theta }
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
      let (estimate, uncertainty) = stencil(x, i, step: step, probe: &probe, center: nil) { f($0) }
      spread[i] = uncertainty
      return estimate
    }
  }

  /// ``differences(_:step:uncertainty:_:)`` with the elements spread over the worker threads
  /// (each element's stencil is independent of the others', so the results are the same bits),
  /// f(x) already known (`center`), and f told which element its probe perturbs.
  static func parallelDifferences(_ x: [Double], step: Double, center: Double, _ f: (Int, [Double]) -> (Double, Bool))
    -> (estimates: [Double], spread: [Double])
  {
    var estimates = [Double](repeating: 0, count: x.count), spread = estimates
    Parallel.forEachChunk(x.count, writing: &estimates, &spread) { range, estimates, spread in
      var probe = x
      for i in range {
        (estimates[i], spread[i]) = stencil(x, i, step: step, probe: &probe, center: center) { f(i, $0) }
      }
    }
    return (estimates, spread)
  }

  /// The fourth-order estimate of ∂f/∂x[i] and its uncertainty (see ``differences(_:step:uncertainty:_:)``).
  /// `probe` equals `x` on entry and on return; `center` is f(x) when the caller knows it.
  static func stencil(_ x: [Double], _ i: Int, step: Double, probe: inout [Double], center: Double?,
                      _ f: ([Double]) -> (Double, Bool)) -> (estimate: Double, uncertainty: Double) {
    var h = step * max(1, abs(x[i]))
    var estimate = 0.0, spread = 0.0
    for attempt in 0..<4 {
      var smooth = true
      func at(_ offset: Double) -> Double {
        if offset == 0, let center { return center }
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
      spread = max(abs(estimate - (8 * d2 - d4) / (24 * h)), rounding)
      if smooth { break }
      if attempt == 3 {
        // The kink sits (within h/1000) at x itself, as for a delay that is an exact multiple
        // of Ts: the twin's pullback takes the derivative from the right (⌊d/Ts⌋), so do the
        // finite differences, with the fourth-order one-sided stencil.
        h *= 1000
        let f0 = at(0), f1 = at(h), f2 = at(2 * h), f3 = at(3 * h), f4 = at(4 * h)
        estimate = (-25 * f0 + 48 * f1 - 36 * f2 + 16 * f3 - 3 * f4) / (12 * h)
        spread = max(spread, 8 * Double.ulpOfOne * abs(f0) / h)
        break
      }
      h /= 10
    }
    probe[i] = x[i]
    return (estimate, spread)
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
