/// `replicateInTime`: a static input `(N, C, H, W, 1)` copied to every time sample (`slayer.md` §5).
///
/// ```
/// y[b, c, h, w, n] = x[b, c, h, w, 0],   n = 0 … T−1
/// ```
public enum ReplicateInTime {
  /// T copies of the single time sample.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func forward<S>(_ x: Tensor<S>, steps: Int) -> Tensor<S> {
    precondition(x.shape.t == 1, "replicateInTime: input \(x.shape) must have T = 1")
    var s = x.shape
    s.t = steps
    return Tensor(shape: s, scalars: x.scalars.flatMap { [S](repeating: $0, count: steps) })
  }

  /// g_x = Σ_n g_y[n] (in `Double`, increasing n). Chain-rule line: each copy contributes once. Exact.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func pullback<S>(_ gY: Tensor<S>) -> Tensor<S> {
    var s = gY.shape
    let t = s.t
    s.t = 1
    return Tensor(shape: s, scalars: (0..<s.rows).map { row in
      var acc = 0.0
      for n in 0..<t { acc += gY.scalars[row * t + n].double }
      return S(acc)
    })
  }
}
