#if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

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
    Self.update(&parameters, gradients: gradients, rule: rule, learningRate: learningRate, beta1: beta1, beta2: beta2,
                epsilon: epsilon, amsgrad: amsgrad, momentum: momentum, step: &step, m: &m, v: &v, vMax: &vMax)
  }

  /// The whole update of a parameter list, on state the caller owns: allocates the moments on the
  /// first step, counts the step, and applies ``apply(_:learningRate:beta1:beta2:epsilon:amsgrad:momentum:step:parameters:gradients:m:v:vMax:fresh:)``
  /// tensor by tensor. Shared by ``Optimizer`` and ``TrainingOptimizer``.
  static func update<S: SpikeScalar>(
    _ parameters: inout [[S]], gradients: [[S]], rule: Rule, learningRate: Double, beta1: Double, beta2: Double,
    epsilon: Double, amsgrad: Bool, momentum: Double, step: inout Int, m: inout [[Double]], v: inout [[Double]],
    vMax: inout [[Double]]
  ) {
    precondition(parameters.count == gradients.count, "Optimizer: \(parameters.count) tensors, \(gradients.count) gradients")
    // The moments start at zero. That zero is not stored where the rule overwrites it: on the
    // first step such buffers are allocated uninitialised and `apply` reads 0 in their place (the
    // same operations on the same values), saving passes over memory the size of the parameters in
    // Double. A buffer the rule never writes (v for SGD, v̂ without AMSGrad) stays zeros, as saved.
    let fresh = m.isEmpty
    if fresh {
      func start(_ written: Bool) -> [[Double]] {
        parameters.map { written ? uninitializedArray($0.count) : [Double](repeating: 0, count: $0.count) }
      }
      m = start(true)
      v = start(rule != .sgd)
      vMax = start(rule != .sgd && amsgrad)
    }
    precondition(m.count == parameters.count, "Optimizer: the parameter list changed from \(m.count) to \(parameters.count) tensors")
    step += 1
    for j in parameters.indices {
      precondition(parameters[j].count == gradients[j].count && parameters[j].count == m[j].count,
                   "Optimizer: tensor \(j) has \(parameters[j].count) values, \(gradients[j].count) gradients")
      apply(rule, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad,
            momentum: momentum, step: step, parameters: &parameters[j], gradients: gradients[j],
            m: &m[j], v: &v[j], vMax: &vMax[j], fresh: fresh)
    }
  }

  /// One step of `rule` on one parameter tensor, element by element (the formulas above), shared by
  /// ``Optimizer`` and ``TrainingOptimizer`` so that both give the same bits.
  ///
  /// Each element's update reads and writes only its own p, m, v, v̂, so the elements are split
  /// across threads; constants such as lr/(1 − β₁ᵗ) are formed once, from the same operations.
  /// With `fresh`, m, v and v̂ are the zeros they start as, and their (uninitialised) storage is
  /// written, not read.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func apply<S: SpikeScalar>(
    _ rule: Rule, learningRate: Double, beta1: Double, beta2: Double, epsilon: Double, amsgrad: Bool, momentum: Double,
    step: Int, parameters: inout [S], gradients: [S], m: inout [Double], v: inout [Double], vMax: inout [Double],
    fresh: Bool
  ) {
    let bias1 = 1 - power(beta1, step), bias2 = 1 - power(beta2, step)
    let c1 = 1 - beta1, c2 = 1 - beta2
    let adamRate = learningRate / bias1, rootBias2 = bias2.squareRoot()
    let nadamRate = learningRate * bias2.squareRoot() / bias1
    gradients.withUnsafeBufferPointer { g in
      nonisolated(unsafe) let g = g
      Parallel.forEachChunk(parameters.count, writing: &parameters, &m, &v, &vMax, cost: 16) { range, p, m, v, vMax in
        switch rule {
        case .sgd:
          for i in range {
            let gi = g[i].double
            m[i] = step == 1 ? gi : momentum * (fresh ? 0 : m[i]) + gi
            p[i] = S(p[i].double - learningRate * (momentum == 0 ? gi : m[i]))
          }
        // Adam four elements at a time (each lane the scalar formula, operation for operation;
        // max(v̂, v) is "v if v ≥ v̂ else v̂", as Swift.max), then the scalar formula for the rest.
        case .adam:
          let p0 = p.baseAddress!, m0 = m.baseAddress!, v0 = v.baseAddress!, x0 = vMax.baseAddress!, g0 = g.baseAddress!
          var i = range.lowerBound
          while i + 4 <= range.upperBound {
            let gi = Adam4.load(g0 + i), pi = Adam4.load(p0 + i)
            let mOld = fresh ? .zero : SIMD4(m0 + i), vOld = fresh ? .zero : SIMD4(v0 + i)
            let mi = beta1 * mOld + c1 * gi, vi = beta2 * vOld + c2 * gi * gi
            mi.store(m0 + i)
            vi.store(v0 + i)
            var second = vi
            if amsgrad {
              let xOld = fresh ? .zero : SIMD4(x0 + i)
              second = xOld.replacing(with: vi, where: vi .>= xOld)
              second.store(x0 + i)
            }
            Adam4.store(pi - adamRate * mi / (Adam4.squareRoot(second) / rootBias2 + epsilon), p0 + i)
            i += 4
          }
          for i in i..<range.upperBound {
            let gi = g[i].double
            let (mi, second) = moments(i, gi, beta1: beta1, beta2: beta2, amsgrad: amsgrad, fresh: fresh, m: m, v: v, vMax: vMax)
            p[i] = S(p[i].double - adamRate * mi / (second.squareRoot() / rootBias2 + epsilon))
          }
        case .nadam:
          for i in range {
            let gi = g[i].double
            let (mi, second) = moments(i, gi, beta1: beta1, beta2: beta2, amsgrad: amsgrad, fresh: fresh, m: m, v: v, vMax: vMax)
            let lookAhead = beta1 * mi + c1 * gi
            p[i] = S(p[i].double - nadamRate * lookAhead / (second.squareRoot() + epsilon))
          }
        }
      }
    }
  }
}

extension Optimizer {
  /// The moment update of Adam and Nadam for element `i` (the scalar form; ``apply`` has Adam's
  /// four-lane copy beside it): m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g², and with AMSGrad
  /// v̂ ← max(v̂, v). Returns the new m and the second moment the step divides by (v̂ or v). With
  /// `fresh`, the old m, v, v̂ are the zeros they start as, and are not read.
  @inline(__always)
  static func moments(
    _ i: Int, _ gi: Double, beta1: Double, beta2: Double, amsgrad: Bool, fresh: Bool,
    m: UnsafeMutableBufferPointer<Double>, v: UnsafeMutableBufferPointer<Double>, vMax: UnsafeMutableBufferPointer<Double>
  ) -> (m: Double, second: Double) {
    let mi = beta1 * (fresh ? 0 : m[i]) + (1 - beta1) * gi, vi = beta2 * (fresh ? 0 : v[i]) + (1 - beta2) * gi * gi
    m[i] = mi
    v[i] = vi
    guard amsgrad else { return (mi, vi) }
    let second = max(fresh ? 0 : vMax[i], vi)
    vMax[i] = second
    return (mi, second)
  }
}

/// Four parameters or gradients of the storage scalar, widened exactly to `Double` lanes.
private enum Adam4 {
  @inline(__always)
  static func load<S: SpikeScalar>(_ p: UnsafeMutablePointer<S>) -> SIMD4<Double> { load(UnsafePointer(p)) }

  @inline(__always)
  static func load<S: SpikeScalar>(_ p: UnsafePointer<S>) -> SIMD4<Double> {
    SIMD4(p[0].double, p[1].double, p[2].double, p[3].double)
  }

  /// Rounds each lane to the storage scalar.
  @inline(__always)
  static func store<S: SpikeScalar>(_ v: SIMD4<Double>, _ p: UnsafeMutablePointer<S>) {
    p[0] = S(v[0]); p[1] = S(v[1]); p[2] = S(v[2]); p[3] = S(v[3])
  }

  /// √v lane by lane: the correctly rounded square root that IEEE 754 prescribes, so the same bits
  /// as `Double.squareRoot()` on every lane.
  ///
  /// Why not `v.squareRoot()`: on Linux `Double.squareRoot()` is C's `sqrt`, which may set `errno`,
  /// so the compiler keeps one call per lane, and the two divisions after it then run one lane at a
  /// time too. SSE2's `sqrtpd` (the toolchain's Clang intrinsic, no flags) takes two lanes per
  /// instruction, and the divisions stay two lanes wide: the Adam step is bound by the divider, and
  /// took 5.0–5.9 ms one lane at a time against 3.3–3.8 ms two at a time over the MLP's 1.18 M
  /// weights (one thread, same bits). Elsewhere the library's square root, lane by lane.
  @inline(__always)
  static func squareRoot(_ v: SIMD4<Double>) -> SIMD4<Double> {
    #if arch(x86_64) && canImport(_Builtin_intrinsics.intel)
    SIMD4(lowHalf: _mm_sqrt_pd(v.lowHalf), highHalf: _mm_sqrt_pd(v.highHalf))
    #else
    v.squareRoot()
    #endif
  }
}

extension SIMD4 where Scalar == Double {
  @inline(__always)
  init(_ p: UnsafeMutablePointer<Double>) { self = UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self) }

  @inline(__always)
  func store(_ p: UnsafeMutablePointer<Double>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: SIMD4<Double>.self) }
}

/// x raised to a non-negative integer power, by repeated multiplication (a fixed order: x·x·…).
func power(_ x: Double, _ n: Int) -> Double {
  var r = 1.0
  for _ in 0..<n { r *= x }
  return r
}
