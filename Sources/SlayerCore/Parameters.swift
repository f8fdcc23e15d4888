/// The SRM neuron's parameters, with slayerPytorch's names and meanings (`slayer.md` §2.1, §4.2, §7).
///
/// Times are in ms. `tauRho` is relative to `theta` (β = 1/(tauRho·θ)), as in slayerPytorch's YAML.
public struct NeuronParameters: Hashable, Sendable, Codable {
  /// Firing threshold ϑ (same units as the potential u).
  public var theta: Double
  /// Spike-response (ε) time constant τ_sr, in ms.
  public var tauSr: Double
  /// Refractory (ν) time constant τ_ref, in ms.
  public var tauRef: Double
  /// Refractory peak relative to θ: ν peaks at −scaleRef·θ (2 in every published setting).
  public var scaleRef: Double
  /// Surrogate width relative to θ: β = 1/(tauRho·θ). Dimensionless.
  public var tauRho: Double
  /// Surrogate height factor: α = scaleRho·β. Dimensionless.
  public var scaleRho: Double
  /// Truncation threshold of ν (0.01 default; 1e-4 is slayerPytorch's `fullRefKernel`).
  public var refKernelEpsilon: Double

  /// Parameters with slayerPytorch's defaults for whatever is not given.
  public init(theta: Double = 10, tauSr: Double = 10, tauRef: Double = 1, scaleRef: Double = 2,
              tauRho: Double = 1, scaleRho: Double = 1, refKernelEpsilon: Double = 0.01) {
    self.theta = theta; self.tauSr = tauSr; self.tauRef = tauRef; self.scaleRef = scaleRef
    self.tauRho = tauRho; self.scaleRho = scaleRho; self.refKernelEpsilon = refKernelEpsilon
  }

  /// The settings of the original SLAYER's golden data and of the paper's first experiment
  /// (θ 10, τ_sr = τ_ref = 1 ms, ν peak −2θ, α = β = 1, ν truncated at 1e-4; `slayer.md` §10).
  public static let poissonExample = NeuronParameters(
    theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 0.1, scaleRho: 1, refKernelEpsilon: 1e-4)
}

/// The time grid (`slayer.md` §1): sampling time `Ts` and simulated duration `tSample`, both in ms.
public struct SimulationParameters: Hashable, Sendable, Codable {
  /// Sampling time Ts, in ms.
  public var Ts: Double
  /// Simulated duration, in ms.
  public var tSample: Double

  /// A grid of `tSample / Ts` samples (both in ms).
  public init(Ts: Double, tSample: Double) {
    self.Ts = Ts; self.tSample = tSample
  }

  /// Number of samples, `int(tSample / Ts)` as slayerPytorch computes it, except that a quotient
  /// within 1e-9 of an integer counts as that integer, so 50 / 0.1 gives 500 and not 499.
  ///
  /// PAPER-DIFF: the original MATLAB-era SLAYER sampled t = 0, Ts, …, tSample inclusive, one more
  /// sample than slayerPytorch's grid, which this follows (`slayer.md` §9.12).
  public var steps: Int {
    let q = tSample / Ts
    let r = q.rounded()
    return abs(q - r) <= 1e-9 * max(1, r) ? Int(r) : Int(q.rounded(.towardZero))
  }
}
