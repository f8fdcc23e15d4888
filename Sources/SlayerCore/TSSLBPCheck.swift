// The gradient check of TSSL-BP's final rule (`tssl-bp.md` §5.6): finite differences of an
// auxiliary model whose exact gradient the rule is.
//
// Finite differences of the real network are useless: its loss is piecewise constant in the
// weights. The auxiliary model freezes the spike pattern at the nominal point and lets each spike
// move "earlier/later" linearly in the membrane perturbation, couples the reset into the next step
// and lets override steps bypass the membrane. It equals the real network at the nominal weights
// and is a polynomial in them, so central differences of its loss match backprop to O(h⁴) (the
// fourth-order stencil of ``GradientCheck``) and, in `Double`, to ~1e-10. One check covers every
// adjoint: synapse, pool, dropout mask, PSC correlation, θ recursion, the warm-up override, loss.

/// Finite differences of the auxiliary model against ``TSSLBP/finalRule(_:_:_:)`` backprop.
public enum TSSLGradientCheck {
  /// Which branches of the rule the nominal point exercises, over all `lif` ops.
  public struct Coverage: Sendable, Equatable, CustomStringConvertible {
    /// Spikes.
    public var spikes = 0
    /// Pairs of spikes on consecutive steps (s[t] = s[t+1] = 1): the reset-timing term at gap 1.
    public var consecutivePairs = 0
    /// The longest run of steps between two spikes of one neuron: the leak carried far.
    public var longestGap = 0
    /// Override steps (a < 1/(4τs)) followed by a later spike of the same neuron: the surrogate
    /// replaces the output while the carry θ flows on through them.
    public var overrideStepsWithCarry = 0
    /// Override steps in all.
    public var overrideSteps = 0
    /// Spikes whose ρ is clamped at 8 (Δu < 1/8).
    public var clampedRho = 0

    /// No branch counted yet.
    public init() {}

    public var description: String {
      "\(spikes) spikes, \(consecutivePairs) consecutive pairs, longest gap \(longestGap) steps, "
        + "\(overrideSteps) override steps (\(overrideStepsWithCarry) with a later spike), \(clampedRho) with ρ clamped at 8"
    }

    /// Counts the branches in one `lif` op's state.
    public mutating func add<S>(_ state: TSSLState<S>, _ neuron: TSSLNeuron<S>) {
      let t = state.spikes.shape.t, s = state.spikes.scalars, a = state.psc.scalars, du = state.increment.scalars
      let bound = neuron.warmupBound
      for row in 0..<state.spikes.shape.rows {
        var last = -1, lastSpike = -1
        for n in stride(from: t - 1, through: 0, by: -1) where s[row * t + n] != 0 { last = n; break }
        for n in 0..<t {
          let i = row * t + n
          if a[i] < bound {
            overrideSteps += 1
            if n < last { overrideStepsWithCarry += 1 }
          }
          guard s[i] != 0 else { continue }
          spikes += 1
          if du[i].double < 1.0 / 8 { clampedRho += 1 }
          if lastSpike >= 0 {
            if n - lastSpike == 1 { consecutivePairs += 1 }
            longestGap = max(longestGap, n - lastSpike - 1)
          }
          lastSpike = n
        }
      }
    }
  }

  /// The result of a check: one entry per weight tensor (and the input, if asked), and coverage.
  public struct Report: Sendable {
    /// One verdict per weight tensor (`op<k>.weights`), then the input's if asked.
    public var entries: [GradientCheck.Entry]
    /// The branches the nominal point exercises.
    public var coverage: Coverage
    /// The largest worst-element relative error over the entries.
    public var worstRelativeError: Double { entries.map(\.worstRelativeError).max() ?? 0 }
  }

  /// The auxiliary PSC of one `lif` op (`tssl-bp.md` §5.6) for the current `current`, with the
  /// spike pattern frozen at the nominal `state` (reached with `nominalCurrent`):
  /// ```
  /// p = 0;  for t = 0 … T−1:
  ///   over = a*[t] < 1/(4τs)
  ///   q    = p + (over ? 0 : I[t] − I*[t])              perturbation of u[t]
  ///   s*[t] = 1:  e = ρ*[t]·q;  a += ε[· − t]·e;  p = (u*[t]/τm)·e   earliness, reset coupling
  ///   s*[t] = 0:  over ⇒ a += ε[· − t]·σ′(u*[t])·(I[t] − I*[t]);  p = (1 − 1/τm)·q   leak
  /// a_aux = a* + conv_ε(increments)
  /// ```
  public static func auxiliaryPSC(current: Tensor<Double>, nominalCurrent: Tensor<Double>, state: TSSLState<Double>,
                                  neuron: TSSLNeuron<Double>) -> Tensor<Double> {
    precondition(current.shape == nominalCurrent.shape && current.shape == state.psc.shape,
                 "auxiliaryPSC: current \(current.shape), nominal \(nominalCurrent.shape), state \(state.psc.shape)")
    let t = neuron.steps, tauM = neuron.parameters.tauM, keep = 1 - 1 / tauM, bound = neuron.warmupBound
    let theta = neuron.parameters.theta
    let u = state.potential.scalars, du = state.increment.scalars, s = state.spikes.scalars, a = state.psc.scalars
    var increments = [Double](repeating: 0, count: current.shape.count)
    for row in 0..<current.shape.rows {
      var p = 0.0
      for n in row * t..<(row + 1) * t {
        let over = a[n] < bound, dI = current.scalars[n] - nominalCurrent.scalars[n]
        let q = p + (over ? 0 : dI)
        if s[n] != 0 {
          let e = TSSLBP.rho(du[n]) * q
          increments[n] = e
          p = u[n] / tauM * e
        } else {
          if over { increments[n] = TSSLBP.sigmoidPrime(u[n], theta: theta) * dI }
          p = keep * q
        }
      }
    }
    let moved = TemporalFilter.conv(increments, kernel: neuron.kernel, t: t, Ts: 1)
    return Tensor(shape: current.shape, scalars: zip(a, moved).map { $0 + $1 })
  }

  /// The auxiliary network's output: every op as in ``TSSLNetwork/forward(_:)`` except that each
  /// `lif` op is its ``auxiliaryPSC(current:nominalCurrent:state:neuron:)`` frozen at `nominal`.
  public static func auxiliaryOutput(_ net: TSSLNetwork<Double>, input: Tensor<Double>,
                                     nominal: TSSLNetwork<Double>.Trace) -> Tensor<Double> {
    var x = input
    for (k, layer) in net.layers.enumerated() {
      switch layer {
      case .replicateInTime: x = ReplicateInTime.forward(x, steps: net.neuron.steps)
      case .psc: x = TSSLNetwork.psc(x, net.neuron)
      case .dense(let d): x = d.forward(x)
      case .conv(let c): x = c.forward(x)
      case .lif: x = auxiliaryPSC(current: x, nominalCurrent: nominal.values[k], state: nominal.states[k]!, neuron: net.neuron)
      case .pool(let p): x = p.forward(x)
      case .dropout(let d): x = d.forward(x)
      }
    }
    return x
  }

  /// Compares backprop of the final rule with fourth-order central differences of the auxiliary
  /// model's loss, for every weight tensor of `network` (and the input, if `includeInput`), wholly
  /// in `Double`; each element judged by ``GradientCheck/compare(name:analytic:numeric:uncertainty:)``.
  ///
  /// The count loss's hinge is the one kink left: a probe that changes the set of active rows is
  /// retried with a smaller step, as ``GradientCheck/differences(_:step:uncertainty:_:)`` does.
  ///
  /// - Parameters:
  ///   - network: the network at its nominal weights, with the final rule.
  ///   - input: the input; the nominal point is the forward pass on it, in `Double`.
  ///   - loss: the loss on the output PSC.
  ///   - step: relative step h (h = step·max(1, |w|)); the auxiliary model is a polynomial of low
  ///     degree in each weight, so the stencil's truncation error is nil and only rounding of E
  ///     (∝ |E|·ε/h) limits it.
  ///   - includeInput: check ∂E/∂input too.
  public static func run<S>(_ network: TSSLNetwork<S>, input: Tensor<S>, loss: TSSLLoss, step: Double = 1e-3,
                            includeInput: Bool = false) -> Report {
    precondition(network.neuron.rule == .final,
                 "TSSLGradientCheck: the auxiliary model exists for the final rule only; the paper-era rule is a heuristic (tssl-bp.md §5.3)")
    var net = network.converted(to: Double.self)
    let x = input.converted(to: Double.self)
    let base = net.evaluate(x, loss: loss)
    var coverage = Coverage()
    for state in base.trace.states.compactMap({ $0 }) { coverage.add(state, net.neuron) }
    func kinks(_ out: Tensor<Double>) -> [Bool] {
      if case .count(let l) = loss { return l.activeRows(out) }
      return []
    }
    let baseKinks = kinks(base.trace.output)
    func probe(_ n: TSSLNetwork<Double>, _ v: Tensor<Double>) -> (Double, Bool) {
      let out = auxiliaryOutput(n, input: v, nominal: base.trace)
      return (loss.value(out, n.neuron), kinks(out) == baseKinks)
    }
    var entries: [GradientCheck.Entry] = []
    for k in net.weightedLayers {
      let w0 = net.weights(of: k)!
      var spread: [Double] = []
      let numeric = GradientCheck.differences(w0, step: step, uncertainty: &spread) { w in
        net.setWeights(of: k, w)
        return probe(net, x)
      }
      net.setWeights(of: k, w0)
      entries.append(GradientCheck.compare(name: "op\(k).weights", analytic: base.gradients.weights[k]!,
                                           numeric: numeric, uncertainty: spread))
    }
    if includeInput {
      var spread: [Double] = []
      let numeric = GradientCheck.differences(x.scalars, step: step, uncertainty: &spread) { v in
        probe(net, Tensor(shape: x.shape, scalars: v))
      }
      entries.append(GradientCheck.compare(name: "input", analytic: base.gradients.input.scalars, numeric: numeric,
                                           uncertainty: spread))
    }
    return Report(entries: entries, coverage: coverage)
  }
}
