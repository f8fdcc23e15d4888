/// The optimizers of the slayerPytorch examples (`slayer.md` §5, §7): SGD, PyTorch's Adam (with the
/// AMSGrad option) and slayerPytorch's own Nadam variant.
///
/// For each parameter p with gradient g, at step t = 1, 2, …:
/// ```
/// SGD     b ← μ·b + g  (b = g at t = 1);            p ← p − lr·b            (μ = 0: p ← p − lr·g)
/// Adam    m ← β₁·m + (1 − β₁)·g;   v ← β₂·v + (1 − β₂)·g²;   v̂ ← max(v̂, v) with AMSGrad, else v
///         p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)          (torch.optim.Adam)
/// Nadam   m, v, v̂ as Adam
///         p ← p − (lr·√(1 − β₂ᵗ) / (1 − β₁ᵗ)) · (β₁·m + (1 − β₁)·g) / (√v̂ + eps)
/// ```
/// Nadam is slayerPytorch's `optimizer.Nadam`: Adam with the numerator replaced by the Nesterov
/// look-ahead β₁·m + (1 − β₁)·g, and eps added to √v̂ before the bias correction (the placement of
/// the older PyTorch Adam it was copied from).
///
/// The state is kept in `Double`; a parameter is rounded to its storage scalar after each update.
public struct Optimizer: Sendable {
  /// The update rule.
  public enum Rule: String, Sendable, Codable {
    /// Stochastic gradient descent, with optional momentum.
    case sgd
    /// PyTorch's Adam (`torch.optim.Adam`), with optional AMSGrad.
    case adam
    /// slayerPytorch's `optimizer.Nadam`.
    case nadam
  }

  /// The update rule.
  public var rule: Rule
  /// Learning rate.
  public var learningRate: Double
  /// β₁, β₂ (Adam, Nadam).
  public var beta1: Double, beta2: Double
  /// The eps added to the denominator (Adam, Nadam).
  public var epsilon: Double
  /// Use the running maximum of v (AMSGrad; Adam, Nadam).
  public var amsgrad: Bool
  /// Momentum μ (SGD).
  public var momentum: Double
  /// Steps taken so far.
  public private(set) var step = 0
  private var m: [[Double]] = [], v: [[Double]] = [], vMax: [[Double]] = []

  /// An optimizer with PyTorch's defaults for what is not given.
  public init(_ rule: Rule, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8,
              amsgrad: Bool = false, momentum: Double = 0) {
    self.rule = rule; self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
    self.epsilon = epsilon; self.amsgrad = amsgrad; self.momentum = momentum
  }

  /// Updates every parameter tensor in `parameters` with its gradient (same order every call).
  public mutating func update<S: SpikeScalar>(_ parameters: inout [[S]], gradients: [[S]]) {
    precondition(parameters.count == gradients.count, "Optimizer: \(parameters.count) tensors, \(gradients.count) gradients")
    if m.isEmpty {
      m = parameters.map { [Double](repeating: 0, count: $0.count) }
      v = m; vMax = m
    }
    precondition(m.count == parameters.count, "Optimizer: the parameter list changed from \(m.count) to \(parameters.count) tensors")
    step += 1
    let bias1 = 1 - power(beta1, step), bias2 = 1 - power(beta2, step)
    for j in parameters.indices {
      precondition(parameters[j].count == gradients[j].count && parameters[j].count == m[j].count,
                   "Optimizer: tensor \(j) has \(parameters[j].count) values, \(gradients[j].count) gradients")
      for i in parameters[j].indices {
        let g = gradients[j][i].double, p = parameters[j][i].double
        let updated: Double
        switch rule {
        case .sgd:
          m[j][i] = step == 1 ? g : momentum * m[j][i] + g
          updated = p - learningRate * (momentum == 0 ? g : m[j][i])
        case .adam, .nadam:
          m[j][i] = beta1 * m[j][i] + (1 - beta1) * g
          v[j][i] = beta2 * v[j][i] + (1 - beta2) * g * g
          let second: Double
          if amsgrad { vMax[j][i] = max(vMax[j][i], v[j][i]); second = vMax[j][i] } else { second = v[j][i] }
          if rule == .adam {
            updated = p - (learningRate / bias1) * m[j][i] / (second.squareRoot() / bias2.squareRoot() + epsilon)
          } else {
            let lookAhead = beta1 * m[j][i] + (1 - beta1) * g
            updated = p - (learningRate * bias2.squareRoot() / bias1) * lookAhead / (second.squareRoot() + epsilon)
          }
        }
        parameters[j][i] = S(updated)
      }
    }
  }
}

/// x raised to a non-negative integer power, by repeated multiplication (a fixed order: x·x·…).
func power(_ x: Double, _ n: Int) -> Double {
  var r = 1.0
  for _ in 0..<n { r *= x }
  return r
}
