// TSSL-BP's neuron (Zhang & Li, NeurIPS 2020): a discrete LIF membrane with hard reset driving a
// first-order synapse, whose postsynaptic current (PSC) is the layer's output, and the two backward
// rules the authors' code has computed (`tssl-bp.md` §2.2, §5.2, §5.3).
//
// Implementation goals, in order of priority:
//   1. The final code's rule (`stonezwr/TSSL-BP` HEAD `ffaac71`, `functions/tsslbp.py`) exactly, in
//      the simplified form of §5.2, which is the exact gradient of the auxiliary model of §5.6
//      (`TSSLBPCheck.swift`), so that finite differences can check it.
//   2. The paper-era rule (commit `6e40449`, §5.3 with the corrections of §10.1–§10.2) as an option.
//   3. The PSC filter and its adjoint are SLAYER's causal convolution and correlation
//      (``TemporalFilter``) with Ts = 1 and the untruncated exponential kernel: no second filter.
//
// Symbols: I input current, u membrane potential before the reset, Δu its one-step increment,
// s spikes (0/1), a the PSC, g = ∂E/∂a, c = corr_ε(g), θ (theta) the backward carry, V_th the
// threshold (`theta` in code, as SLAYER's ϑ), τm (`tauM`), τs (`tauS`). Time is in steps (Δt = 1).

/// The constants of TSSL-BP's neuron (`tssl-bp.md` §2.2, §2.4).
public struct TSSLParameters: Hashable, Sendable, Codable {
  /// Membrane time constant τm, in time steps (ms when a step is 1 ms); the leak is 1 − 1/τm.
  public var tauM: Double
  /// Synaptic time constant τs, in time steps; the PSC decays by 1 − 1/τs per step.
  public var tauS: Double
  /// Firing threshold V_th: a spike where u > V_th (strict).
  public var theta: Double

  /// Parameters with τm, τs ≥ 1 (so that both decay factors lie in [0, 1)) and V_th > 0.
  public init(tauM: Double, tauS: Double, theta: Double) {
    precondition(tauM >= 1 && tauS >= 1 && theta > 0 && theta.isFinite && tauM.isFinite && tauS.isFinite,
                 "TSSLParameters: need tauM ≥ 1, tauS ≥ 1, theta > 0, got \(tauM), \(tauS), \(theta)")
    self.tauM = tauM; self.tauS = tauS; self.theta = theta
  }
}

/// Which backward rule the neuron's pullback computes.
public enum TSSLRule: String, Sendable, Codable, CaseIterable {
  /// The final code's rule (HEAD, 2021-03-12; `tssl-bp.md` §5.2): θ carry, ρ = min(1/Δu, 8),
  /// reset-timing and leak terms, warm-up override where a < 1/(4τs).
  case final
  /// The paper-era rule (camera-ready code `6e40449`, 2020-09-26; §5.3): a layer-wide switch at
  /// 10 % firing between clip(1/Δu, ±10) at spike steps and the sigmoid surrogate, with the
  /// consecutive-spike term `delta_refs` in both branches.
  case paper
}

/// TSSL-BP's neuron on a time grid of `steps` samples: parameters, rule and the PSC kernel ε
/// rounded to the engine's scalar.
public struct TSSLNeuron<Scalar: SpikeScalar>: Sendable {
  /// τm, τs, V_th.
  public let parameters: TSSLParameters
  /// Time steps T.
  public let steps: Int
  /// The backward rule.
  public let rule: TSSLRule
  /// ε[0 … T−1], ``kernel(tauS:steps:)`` rounded once to `Scalar`.
  public let kernel: [Scalar]

  /// The neuron on `steps` time steps (≥ 1) with its kernel built and rounded.
  public init(_ parameters: TSSLParameters, steps: Int, rule: TSSLRule = .final) {
    precondition(steps > 0, "TSSLNeuron: steps \(steps) must be > 0")
    self.parameters = parameters; self.steps = steps; self.rule = rule
    kernel = Self.kernel(tauS: parameters.tauS, steps: steps).map { Scalar($0) }
  }

  /// The first-order synapse's kernel, untruncated over the whole window (`tssl-bp.md` §2.2):
  /// ```
  /// continuous   τs·da/dt = −a + s        ε(t) = e^{−t/τs}/τs   (unit area)
  /// discrete     a[t] = (1 − 1/τs)·a[t−1] + s[t]/τs
  ///              ε[k] = (1/τs)·(1 − 1/τs)^k,   k = 0 … T−1,   ε[0] = 1/τs ≠ 0 (no synaptic delay)
  /// ```
  /// Computed in `Double` as ε[0] = 1/τs, ε[k] = ε[k−1]·(1 − 1/τs).
  public static func kernel(tauS: Double, steps: Int) -> [Double] {
    var h = [Double](repeating: 0, count: steps)
    var value = 1 / tauS
    for k in 0..<steps {
      h[k] = value
      value *= 1 - 1 / tauS
    }
    return h
  }

  /// V_th rounded to the engine's scalar: the value the `u > V_th` test compares against.
  public var theta: Scalar { Scalar(parameters.theta) }
  /// The warm-up bound 1/(4τs) rounded to the engine's scalar, as the authors' float32 code
  /// compares it (`tssl-bp.md` §10.6).
  public var warmupBound: Scalar { Scalar(1 / (4 * parameters.tauS)) }

  /// The same neuron in another precision, or with another rule.
  public func with<Other: SpikeScalar>(_: Other.Type, rule: TSSLRule? = nil) -> TSSLNeuron<Other> {
    TSSLNeuron<Other>(parameters, steps: steps, rule: rule ?? self.rule)
  }
}

/// What the neuron's forward pass keeps for its pullback, each `(N, C, H, W, T)`.
public struct TSSLState<Scalar: SpikeScalar>: Sendable {
  /// u[t], the membrane potential before the reset (the value tested against V_th).
  public var potential: Tensor<Scalar>
  /// Δu[t] = I[t] − ũ[t−1]/τm, the one-step increment ("mem_update").
  public var increment: Tensor<Scalar>
  /// s[t] ∈ {0, 1}.
  public var spikes: Tensor<Scalar>
  /// a[t] = conv_ε(s)[t], the PSC: the op's output.
  public var psc: Tensor<Scalar>
}

/// The TSSL-BP neuron op: input current I in, PSC a out; and its pullback.
public enum TSSLBP {
  /// The discrete LIF neuron with hard reset and its first-order synapse (`tssl-bp.md` §2.2).
  ///
  /// ```
  /// continuous   τm·du/dt = −u + R·I(t) + η(t)   (η: reset to 0 at each spike)
  ///              τs·da/dt = −a + s(t)
  /// discrete     per neuron, t = 0 … T−1, ũ[−1] = 0:
  ///              Δu[t] = (−1/τm)·ũ[t−1] + I[t]
  ///              u[t]  = ũ[t−1] + Δu[t]                 = (1 − 1/τm)·ũ[t−1] + I[t]
  ///              s[t]  = 1 if u[t] > V_th else 0        strict ">", spikes 0/1
  ///              ũ[t]  = u[t]·(1 − s[t])                hard reset to 0, no refractory kernel
  ///              a[t]  = Σ_{k=0}^{t} ε[k]·s[t−k]         = conv_ε(s) with Ts = 1
  /// ```
  /// Operation order: the membrane is carried in `Double` in the authors' order (Δu first, then
  /// u = ũ + Δu); u and Δu are rounded to the storage scalar once when stored, and the threshold
  /// test compares the stored u, so a saved potential and its spike always agree.
  ///
  /// PAPER-DIFF: the authors update a[t] = a[t−1] + (s[t] − a[t−1])/τs and the membrane in
  /// float32; the oracle sums the kernel series with ``TemporalFilter/conv(_:kernel:t:Ts:)`` in
  /// `Double` and rounds once: the same values up to float32 rounding.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func forward<S>(_ current: Tensor<S>, _ neuron: TSSLNeuron<S>) -> TSSLState<S> {
    precondition(current.shape.t == neuron.steps,
                 "tsslbp: input \(current.shape) has T = \(current.shape.t), the neuron has \(neuron.steps) steps")
    let t = neuron.steps, x = current.scalars, theta = neuron.theta
    let leak = -1 / neuron.parameters.tauM
    var u = [S](repeating: 0, count: x.count), du = u
    Parallel.forEach(current.shape.rows, writing: &u, &du) { row, uOut, duOut in
      var rest = 0.0  // ũ[t−1], in Double
      for n in row * t..<(row + 1) * t {
        let increment = leak * rest + x[n].double
        let value = rest + increment
        let stored = S(value)
        uOut[n] = stored
        duOut[n] = S(increment)
        rest = stored > theta ? 0 : value
      }
    }
    let s = u.map { $0 > theta ? S(1) : S(0) }
    let a = TemporalFilter.conv(s, kernel: neuron.kernel, t: t, Ts: 1)
    let shape = current.shape
    return TSSLState(potential: Tensor(shape: shape, scalars: u), increment: Tensor(shape: shape, scalars: du),
                     spikes: Tensor(shape: shape, scalars: s), psc: Tensor(shape: shape, scalars: a))
  }

  /// ∂E/∂I from g = ∂E/∂a, by the neuron's rule: ``finalRule(_:_:_:)`` or ``paperRule(_:_:_:)``.
  public static func pullback<S>(_ gA: Tensor<S>, _ state: TSSLState<S>, _ neuron: TSSLNeuron<S>) -> Tensor<S> {
    precondition(gA.shape == state.psc.shape, "tsslbp pullback: gradient \(gA.shape) vs output \(state.psc.shape)")
    switch neuron.rule {
    case .final: return finalRule(gA, state, neuron)
    case .paper: return paperRule(gA, state, neuron)
    }
  }

  /// The final code's backward rule (`tssl-bp.md` §5.2), in its simplified form.
  ///
  /// Chain-rule line: ∂E/∂I[t] = ∂E/∂q[t] of the auxiliary model (§5.6), q[t] the perturbation of
  /// u[t]; with c = corr_ε(g) (the exact adjoint of a = conv_ε(s)), ρ[t] = min(1/Δu[t], 8) and
  /// θ[T] = 0, backwards in t:
  /// ```
  /// spike step (s[t] = 1):  θ[t] = ρ[t]·(c[t] + (u[t]/τm)·θ[t+1])    inter-neuron + reset timing
  /// otherwise:              θ[t] = (1 − 1/τm)·θ[t+1]                   leak through the membrane
  /// ∂E/∂I[t] = σ′(u[t])·c[t]   where a[t] < 1/(4τs)   (warm-up override; θ keeps flowing)
  ///          = θ[t]             elsewhere
  /// σ′(u) = eˣ/((1 + eˣ)²·0.2),  x = clamp((V_th − u)/0.2, −8, 8)
  /// ```
  /// What it approximates (and so drops): the spike-time sensitivity ∂t/∂u as −1/Δu (the membrane's
  /// one-step slope, magnitude capped at 8); ∂a/∂t as "earlier spike ⇒ ε more PSC from then on"
  /// (the sign of a decaying kernel's tail ignored); the reset coupling of a spike into the next
  /// step's membrane as (u/τm); the leak path cut at spikes (hard reset); the sigmoid surrogate
  /// where the neuron's own PSC is small. The rule is the exact gradient of the auxiliary model,
  /// not of the spiking network, whose loss is piecewise constant in the weights.
  ///
  /// Operation order: c is ``TemporalFilter/corr(_:kernel:t:Ts:)`` rounded to the storage scalar;
  /// θ runs in `Double`; each ∂E/∂I[t] is rounded once. The override tests the stored a against
  /// the bound rounded to the storage scalar (``TSSLNeuron/warmupBound``). A lower clamp at 0
  /// (the authors' clamp(−1/Δu, −8, 0)) never acts, because Δu > 0 at every spike step (§2.2).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func finalRule<S>(_ gA: Tensor<S>, _ state: TSSLState<S>, _ neuron: TSSLNeuron<S>) -> Tensor<S> {
    let t = neuron.steps
    let c = TemporalFilter.corr(gA.scalars, kernel: neuron.kernel, t: t, Ts: 1)
    let u = state.potential.scalars, du = state.increment.scalars, s = state.spikes.scalars, a = state.psc.scalars
    let tauM = neuron.parameters.tauM, keep = 1 - 1 / tauM, bound = neuron.warmupBound
    let theta = neuron.parameters.theta
    var gI = [S](repeating: 0, count: c.count)
    Parallel.forEach(gA.shape.rows, writing: &gI) { row, out in
      var carry = 0.0  // θ[t+1]
      for n in stride(from: (row + 1) * t - 1, through: row * t, by: -1) {
        let cn = c[n].double
        if s[n] != 0 {
          carry = rho(du[n].double) * (cn + u[n].double / tauM * carry)
        } else {
          carry = keep * carry
        }
        out[n] = S(a[n] < bound ? sigmoidPrime(u[n].double, theta: theta) * cn : carry)
      }
    }
    return Tensor(shape: gA.shape, scalars: gI)
  }

  /// The paper-era backward rule (`tssl-bp.md` §5.3, §10.1, §10.2), kept as an option.
  ///
  /// Chain-rule line (as the camera-ready code has it; it matches no clean chain rule, so it is a
  /// heuristic): with h[j] = (u[j]/τm)·(1 − 1/τm)^{k−j−1}·g[k] for each pair j < k of consecutive
  /// spikes of the neuron (the authors' `delta_refs`, D·g) and e = g + h,
  /// ```
  /// c′ = corr_ε(e)                                        = c + J·g with J = P·D
  /// if the layer's firing fraction (spikes over N·C·H·W·T, whole batch) > 0.1:
  ///     ∂E/∂I[t] = s[t]·clip(1/Δu[t], −10, 10)·c′[t]      TSSL branch, zero at non-spike steps
  /// else:
  ///     ∂E/∂I[t] = σ′(u[t])·c′[t]                          surrogate branch, the whole layer
  /// ```
  /// Drops, compared with ``finalRule(_:_:_:)``: the leak path, every spike pair but adjacent ones,
  /// and the per-neuron warm-up. The firing fraction mixes samples: one sample's gradient depends
  /// on the rest of its batch (§10.2), as in the authors' code.
  ///
  /// PAPER-DIFF: the authors' code processes samples in groups of 5 and leaves the gradients of a
  /// last incomplete group uninitialised; the oracle treats every sample alike.
  ///
  /// Operation order: e = g + h rounded to the storage scalar, then corr (rounded), then the
  /// product in `Double`, rounded once.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func paperRule<S>(_ gA: Tensor<S>, _ state: TSSLState<S>, _ neuron: TSSLNeuron<S>) -> Tensor<S> {
    let t = neuron.steps, g = gA.scalars
    let u = state.potential.scalars, du = state.increment.scalars, s = state.spikes.scalars
    let tauM = neuron.parameters.tauM, keep = 1 - 1 / tauM, theta = neuron.parameters.theta
    var e = g
    Parallel.forEach(gA.shape.rows, writing: &e) { row, out in
      var next = -1  // the next spike after j, scanning backwards
      for j in stride(from: (row + 1) * t - 1, through: row * t, by: -1) where s[j] != 0 {
        if next >= 0 {
          let h = u[j].double / tauM * power(keep, next - j - 1) * g[next].double
          out[j] = S(g[j].double + h)
        }
        next = j
      }
    }
    let c = TemporalFilter.corr(e, kernel: neuron.kernel, t: t, Ts: 1)
    let tssl = firingFraction(state.spikes) > 0.1
    var gI = [S](repeating: 0, count: g.count)
    Parallel.forEach(gA.shape.rows, writing: &gI) { row, out in
      for n in row * t..<(row + 1) * t {
        if tssl {
          if s[n] != 0 { out[n] = S(min(max(1 / du[n].double, -10), 10) * c[n].double) }
        } else {
          out[n] = S(sigmoidPrime(u[n].double, theta: theta) * c[n].double)
        }
      }
    }
    return Tensor(shape: gA.shape, scalars: gI)
  }

  /// ρ = min(1/Δu, 8), the final rule's spike-time sensitivity; the authors' −clamp(−1/Δu, −8, 0)
  /// (so Δu = +0 gives 8 and Δu < 0, which cannot occur at a spike, gives 0).
  @inlinable
  public static func rho(_ du: Double) -> Double { min(max(1 / du, 0), 8) }

  /// σ′(u), the warm-up surrogate: the derivative of S((u − V_th)/0.2) for the logistic S, with
  /// its argument clamped to ±8 (`tssl-bp.md` §5.2), written as the authors do:
  /// ```
  /// x = clamp((V_th − u)/0.2, −8, 8),   σ′ = eˣ / ((1 + eˣ)·(1 + eˣ)·0.2)
  /// ```
  public static func sigmoidPrime(_ u: Double, theta: Double) -> Double {
    let x = min(max((theta - u) / 0.2, -8), 8)
    let ex = Elementary.exp(x)
    return ex / ((1 + ex) * (1 + ex) * 0.2)
  }

  /// The fraction of entries of `spikes` that are spikes, the paper-era switch's statistic.
  public static func firingFraction<S>(_ spikes: Tensor<S>) -> Double {
    guard spikes.shape.count > 0 else { return 0 }
    return Double(spikes.scalars.count { $0 != 0 }) / Double(spikes.shape.count)
  }

  /// The crossing margin min |u − V_th| over all entries: a backend may legitimately differ on a
  /// spike whose margin is below its own rounding error.
  public static func spikeMargin<S>(_ state: TSSLState<S>, _ neuron: TSSLNeuron<S>) -> Double {
    let theta = neuron.theta.double
    return state.potential.scalars.reduce(Double.infinity) { min($0, abs($1.double - theta)) }
  }

  /// The warm-up margin min |a − 1/(4τs)| over all entries (`tssl-bp.md` §10.6): the override is
  /// a second threshold test, on the PSC; a backend may take the other branch where this is below
  /// its rounding error.
  public static func warmupMargin<S>(_ state: TSSLState<S>, _ neuron: TSSLNeuron<S>) -> Double {
    let bound = neuron.warmupBound.double
    return state.psc.scalars.reduce(Double.infinity) { min($0, abs($1.double - bound)) }
  }
}
