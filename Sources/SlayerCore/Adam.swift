/// Adam, with the AMSGrad option, as PyTorch's `torch.optim.Adam` computes it (the optimizer of the
/// slayerPytorch examples, `slayer.md` §5, §7).
///
/// For each parameter p with gradient g, at step t = 1, 2, …:
/// ```
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v)                       (AMSGrad only; otherwise v̂ = v)
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
/// ```
/// The moments are kept in `Double`; the parameter is rounded to its storage scalar after the update.
public struct Adam: Sendable {
  /// Learning rate.
  public var learningRate: Double
  /// β₁, β₂.
  public var beta1: Double, beta2: Double
  /// The eps added to the denominator.
  public var epsilon: Double
  /// Use the running maximum of v (AMSGrad).
  public var amsgrad: Bool
  /// Steps taken so far.
  public private(set) var step = 0
  private var m: [[Double]] = [], v: [[Double]] = [], vMax: [[Double]] = []

  public init(learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, amsgrad: Bool = false) {
    self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
    self.epsilon = epsilon; self.amsgrad = amsgrad
  }

  /// Updates every parameter tensor in `parameters` with its gradient (same order every call).
  public mutating func update<S: SpikeScalar>(_ parameters: inout [[S]], gradients: [[S]]) {
    precondition(parameters.count == gradients.count, "Adam: \(parameters.count) tensors, \(gradients.count) gradients")
    if m.isEmpty {
      m = parameters.map { [Double](repeating: 0, count: $0.count) }
      v = m; vMax = m
    }
    precondition(m.count == parameters.count, "Adam: the parameter list changed from \(m.count) to \(parameters.count) tensors")
    step += 1
    let bias1 = 1 - pow(beta1, step), bias2Sqrt = (1 - pow(beta2, step)).squareRoot()
    let stepSize = learningRate / bias1
    for j in parameters.indices {
      precondition(parameters[j].count == gradients[j].count && parameters[j].count == m[j].count,
                   "Adam: tensor \(j) has \(parameters[j].count) values, \(gradients[j].count) gradients")
      for i in parameters[j].indices {
        let g = gradients[j][i].double
        m[j][i] = beta1 * m[j][i] + (1 - beta1) * g
        v[j][i] = beta2 * v[j][i] + (1 - beta2) * g * g
        let second: Double
        if amsgrad { vMax[j][i] = max(vMax[j][i], v[j][i]); second = vMax[j][i] } else { second = v[j][i] }
        let denominator = second.squareRoot() / bias2Sqrt + epsilon
        parameters[j][i] = S(parameters[j][i].double - stepSize * m[j][i] / denominator)
      }
    }
  }
}

/// x raised to a non-negative integer power, by repeated multiplication (exact order: x·x·…).
func pow(_ x: Double, _ n: Int) -> Double {
  var r = 1.0
  for _ in 0..<n { r *= x }
  return r
}
