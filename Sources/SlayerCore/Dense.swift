/// A fully connected synapse layer, applied independently at every time sample (`slayer.md` §2.4, §4.5).
///
/// ```
/// continuous   u_o(t) = Σ_i W[o, i]·a_i(t)
/// discrete     u[b, o, n] = Σ_i W[o, i]·a[b, i, n]      i over C·H·W of the input, in C order
/// ```
/// The input `(N, C, H, W, T)` is read as `(N, C·H·W, 1, 1, T)`; the output is `(N, out, 1, 1, T)`.
/// Each output sums in `Double` in increasing i and rounds once. There is no bias (slayerPytorch's
/// Conv3d has none).
public struct Dense<Scalar: SpikeScalar>: Equatable, Sendable {
  /// Output features.
  public let outputs: Int
  /// Input features C·H·W.
  public let inputs: Int
  /// W, shape `(outputs, inputs)`, row-major.
  public var weights: [Scalar]

  /// A dense layer with the given weights, `(outputs, inputs)` row-major.
  public init(outputs: Int, inputs: Int, weights: [Scalar]) {
    precondition(weights.count == outputs * inputs,
                 "Dense: \(weights.count) weights do not fill (\(outputs), \(inputs))")
    self.outputs = outputs; self.inputs = inputs; self.weights = weights
  }

  /// u = W·a at every (batch, time).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ a: Tensor<Scalar>) -> Tensor<Scalar> {
    precondition(a.shape.neurons == inputs, "dense: input \(a.shape) has \(a.shape.neurons) features, W is (\(outputs), \(inputs))")
    let t = a.shape.t, batch = a.shape.n
    let shape = Shape(n: batch, c: outputs, t: t)
    var u = [Scalar](repeating: 0, count: shape.count)
    let w = weights, x = a.scalars, inputs = inputs, outputs = outputs
    let events = Self.nonzeroSamples(x, rows: batch * inputs, t: t)
    Parallel.forEach(batch * outputs, writing: &u) { row, out in
      // Event-driven: for each input row only its non-zero samples; every acc[n] still receives
      // its non-zero terms in increasing i, so the bits equal the dense sum's.
      let b = row / outputs, o = row % outputs
      var acc = [Double](repeating: 0, count: t)
      for i in 0..<inputs {
        let wi = w[o * inputs + i].double
        if wi == 0 { continue }
        let base = (b * inputs + i) * t
        for n in events[b * inputs + i] { acc[n] += wi * x[base + n].double }
      }
      for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
    }
    return Tensor(shape: shape, scalars: u)
  }

  /// For each row of `t` samples, the indices of its non-zero samples, ascending.
  static func nonzeroSamples(_ x: [Scalar], rows: Int, t: Int) -> [[Int]] {
    (0..<rows).map { row in (0..<t).filter { x[row * t + $0] != 0 } }
  }

  /// The pullback: g_a = Wᵀ·g_u at every (batch, time), and g_W = Σ_{b, n} g_u[b, o, n]·a[b, i, n].
  ///
  /// Chain-rule lines: ∂E/∂a[b, i, n] = Σ_o W[o, i]·∂E/∂u[b, o, n] (sum in increasing o), and
  /// ∂E/∂W[o, i] = Σ_b Σ_n ∂E/∂u[b, o, n]·a[b, i, n] (sum over b, then n, increasing): the discrete
  /// ∇W = ∫ δ aᵀ dt of `slayer.md` §4.3 with ∂E/∂u = Ts·δ. Exact: drops nothing.
  ///
  /// - Parameters:
  ///   - gU: ∂E/∂u, shape `(N, outputs, 1, 1, T)`.
  ///   - a: the forward input.
  ///   - inputGradient: compute ∂E/∂a (false returns zeros, for the first layer in training).
  /// - Returns: ∂E/∂a in the input's shape, and ∂E/∂W `(outputs, inputs)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pullback(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>, inputGradient: Bool = true)
    -> (input: Tensor<Scalar>, weights: [Scalar])
  {
    precondition(gU.shape == Shape(n: a.shape.n, c: outputs, t: a.shape.t),
                 "dense pullback: gradient \(gU.shape) does not match output (\(a.shape.n), \(outputs), 1, 1, \(a.shape.t))")
    let t = a.shape.t, batch = a.shape.n
    let w = weights, g = gU.scalars, x = a.scalars, inputs = inputs, outputs = outputs
    var gA = [Scalar](repeating: 0, count: a.shape.count)
    Parallel.forEach(inputGradient ? batch * inputs : 0, writing: &gA) { row, out in
      let b = row / inputs, i = row % inputs
      var acc = [Double](repeating: 0, count: t)
      for o in 0..<outputs {
        let wi = w[o * inputs + i].double
        if wi == 0 { continue }
        let base = (b * outputs + o) * t
        for n in 0..<t {
          let v = g[base + n]
          if v != 0 { acc[n] += wi * v.double }
        }
      }
      for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
    }
    var gW = [Scalar](repeating: 0, count: w.count)
    let events = Self.nonzeroSamples(x, rows: batch * inputs, t: t)
    Parallel.forEach(outputs, writing: &gW) { o, out in
      for i in 0..<inputs {
        var acc = 0.0
        for b in 0..<batch {
          let gBase = (b * outputs + o) * t, xBase = (b * inputs + i) * t
          for n in events[b * inputs + i] { acc += g[gBase + n].double * x[xBase + n].double }
        }
        out[o * inputs + i] = Scalar(acc)
      }
    }
    return (Tensor(shape: a.shape, scalars: gA), gW)
  }
}
