// Neuron parameters that are finite in a file can still make the engine compute NaN (issue 8, "NaN
// or Inf anywhere"): θ beyond float32's range, a surrogate width β = 1/(tauRho·θ) that overflows,
// a time constant so small that t/τ overflows in the kernel (`Kernels.alpha`: inf·0 = NaN), or a
// refractory peak −scaleRef·θ beyond float32. Each file reader checks the parameters it reads here,
// so that such a file is refused with the field named, never run to silent NaN.
import SlayerCore

/// Checks of neuron parameters as the engine will use them.
public enum NeuronCheck {
  /// Throws unless θ is finite in float32 and the surrogate's β = 1/(tauRho·θ) and α = scaleRho·β
  /// are finite (`slayer.md` §4.2). `prefix` is the path of the neuron block in the file
  /// (`neuron`), named in the message with the key.
  ///
  /// - Throws: ``IOError`` naming `file`, the key, what was expected and what came.
  public static func checkScalars(_ p: NeuronParameters, file: String, prefix: String) throws {
    guard Float(p.theta).isFinite else {
      throw IOError(file: file, message: "\(prefix).theta: expected a threshold float32 can hold (|θ| ≤ 3.4e38), found \(p.theta)")
    }
    let beta = 1 / (p.tauRho * p.theta), alpha = p.scaleRho * beta
    guard beta.isFinite, alpha.isFinite else {
      throw IOError(file: file, message: "\(prefix).tauRho: expected a finite surrogate ρ = α·exp(−β·|u − θ|) with "
        + "β = 1/(tauRho·θ) and α = scaleRho·β, found β = \(beta), α = \(alpha) (tauRho \(p.tauRho), theta \(p.theta), "
        + "scaleRho \(p.scaleRho))")
    }
  }

  /// ``checkScalars(_:file:prefix:)``, then every sample of ε and ν on the grid `simulation`,
  /// rounded to float32 as `Neuron` stores them, must be finite. Builds the kernels: call it only
  /// once the number of samples is known to be reasonable.
  ///
  /// - Returns: the neuron, kernels built.
  /// - Throws: ``IOError`` naming `file`, the key (`tauSr` for ε; `tauRef` or `scaleRef` for ν),
  ///   the first non-finite sample and the parameters.
  @discardableResult
  public static func check(_ p: NeuronParameters, _ simulation: SimulationParameters, file: String, prefix: String) throws
    -> Neuron<Float>
  {
    try checkScalars(p, file: file, prefix: prefix)
    let neuron = Neuron<Float>(p, simulation)
    if let k = neuron.srmKernel.firstIndex(where: { !$0.isFinite }) {
      throw IOError(file: file, message: "\(prefix).tauSr: expected a spike-response kernel ε finite in float32, found "
        + "ε[\(k)] = \(text(neuron.srmKernel[k])) (tauSr \(p.tauSr) ms, Ts \(simulation.Ts) ms: t/tauSr overflows)")
    }
    if let k = neuron.refKernel.firstIndex(where: { !$0.isFinite }) {
      let key = (-p.scaleRef * p.theta).magnitude > Double(Float.greatestFiniteMagnitude) ? "scaleRef" : "tauRef"
      throw IOError(file: file, message: "\(prefix).\(key): expected a refractory kernel ν finite in float32, found "
        + "ν[\(k)] = \(text(neuron.refKernel[k])) (peak −scaleRef·θ = \(-p.scaleRef * p.theta), tauRef \(p.tauRef) ms)")
    }
    return neuron
  }

  /// `NaN` whatever its sign bit, else Swift's text (`-inf`, `1.5`).
  static func text(_ x: Float) -> String { x.isNaN ? "NaN" : "\(x)" }
}
