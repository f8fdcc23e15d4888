/// Everything the SRM layers of one network share: the parameters, the time grid, and the kernels
/// ε and ν already rounded to the engine's scalar.
///
/// `Neuron<Float>` is the oracle as backends see it; `Neuron<Double>` runs the same equations wholly
/// in `Double`. ``SpikeMode/smooth`` selects the differentiable twin used by gradient checks.
public struct Neuron<Scalar: SpikeScalar>: Sendable {
  /// The neuron parameters.
  public let parameters: NeuronParameters
  /// The time grid.
  public let simulation: SimulationParameters
  /// How ``Spike`` turns potentials into spikes.
  public let mode: SpikeMode
  /// ε[0 … Kε−1], the spike-response kernel (`slayer.md` §2.1).
  public let srmKernel: [Scalar]
  /// ν[0 … Kν−1], the refractory kernel; empty in the smooth twin, where ν = 0.
  public let refKernel: [Scalar]

  /// Builds the kernels for `parameters` on the grid `simulation`.
  public init(_ parameters: NeuronParameters, _ simulation: SimulationParameters, mode: SpikeMode = .threshold) {
    self.parameters = parameters
    self.simulation = simulation
    self.mode = mode
    srmKernel = Kernels.srm(parameters, simulation).map { Scalar($0) }
    refKernel = mode == .threshold ? Kernels.refractory(parameters, simulation).map { Scalar($0) } : []
  }

  /// Sampling time Ts, in ms.
  public var Ts: Double { simulation.Ts }
  /// Samples per time series, T.
  public var steps: Int { simulation.steps }
  /// Threshold ϑ rounded to the engine's scalar: the value the `u ≥ ϑ` test compares against.
  public var theta: Scalar { Scalar(parameters.theta) }
  /// The same neuron in another precision or mode.
  public func with<Other: SpikeScalar>(_: Other.Type, mode: SpikeMode? = nil) -> Neuron<Other> {
    Neuron<Other>(parameters, simulation, mode: mode ?? self.mode)
  }
}

/// Which spike function ``Spike`` applies.
public enum SpikeMode: String, Sendable, Codable {
  /// The real SLAYER neuron: threshold test u ≥ ϑ, spikes of height 1/Ts, refractory kernel ν.
  case threshold
  /// The smooth twin of `slayer.md` §10.6: s = F(u) with F′ = ρ/Ts exactly, and ν = 0, so that
  /// finite differences can check the backward pass.
  case smooth
}
