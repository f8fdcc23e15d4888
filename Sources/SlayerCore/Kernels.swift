/// The spike-response kernel ε and the refractory kernel ν of the SRM neuron (`slayer.md` §2.1).
///
/// Both are sampled alpha functions:
/// ```
/// continuous   ε(t) = (t/τ_sr)·exp(1 − t/τ_sr)·Θ(t)                 peak 1 at t = τ_sr
///              ν(t) = −scaleRef·ϑ·(t/τ_ref)·exp(1 − t/τ_ref)·Θ(t)    peak −scaleRef·ϑ at τ_ref
/// discrete     h[k] = mult·(t_k/τ)·exp(1 − t_k/τ),  t_k = k·Ts,  k = 0, 1, … while t_k < tSample
///              stop before the first k with |h[k]| < EPSILON and t_k > τ
/// ```
/// ε uses mult = 1, EPSILON = 0.01; ν uses mult = −scaleRef·ϑ and EPSILON = `refKernelEpsilon`.
/// Values are computed in `Double` (as slayerPytorch's NumPy code does) and rounded to the engine's
/// scalar once. h[0] = 0 for both kernels.
///
/// PAPER-DIFF: the paper's kernels have infinite support and are not sampled; the code truncates
/// them and does not renormalise (`slayer.md` §9.2).
public enum Kernels {
  /// The sampled, truncated alpha kernel `mult·(t/τ)·exp(1 − t/τ)` (`slayer.md` §2.1).
  ///
  /// - Parameters:
  ///   - tau: time constant τ, in ms.
  ///   - mult: peak value.
  ///   - epsilon: truncation threshold on |h[k]|.
  ///   - simulation: Ts and tSample, in ms.
  public static func alpha(tau: Double, mult: Double, epsilon: Double,
                           simulation: SimulationParameters) -> [Double] {
    precondition(tau > 0 && simulation.Ts > 0, "alpha kernel: tau \(tau) and Ts \(simulation.Ts) must be > 0")
    var h: [Double] = []
    var k = 0
    while true {
      let t = Double(k) * simulation.Ts  // NumPy's arange computes start + k·step
      if t >= simulation.tSample { break }
      let value = mult * t / tau * Elementary.exp(1 - t / tau)
      if abs(value) < epsilon && t > tau { break }
      h.append(value)
      k += 1
    }
    return h
  }

  /// ε, the spike-response kernel, in `Double`.
  public static func srm(_ neuron: NeuronParameters, _ simulation: SimulationParameters) -> [Double] {
    alpha(tau: neuron.tauSr, mult: 1, epsilon: 0.01, simulation: simulation)
  }

  /// ν, the refractory kernel, in `Double`.
  public static func refractory(_ neuron: NeuronParameters, _ simulation: SimulationParameters) -> [Double] {
    alpha(tau: neuron.tauRef, mult: -neuron.scaleRef * neuron.theta,
          epsilon: neuron.refKernelEpsilon, simulation: simulation)
  }
}
