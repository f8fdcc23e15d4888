/// Dropout of whole neurons for a whole sample (`slayer.md` §5, §10.6), slayerPytorch's `dropout`
/// (`F.dropout3d` on `(N, C·H·W, 1, 1, T)`).
///
/// ```
/// y[b, c, h, w, n] = mask[b, c, h, w] · x[b, c, h, w, n],   mask ∈ {0, 1/(1 − p)}
/// ```
/// In evaluation the layer is the identity. The mask is drawn once per sample and neuron and kept
/// for every time sample.
public struct Dropout<Scalar: SpikeScalar>: Equatable, Sendable {
  /// The mask, shape `(N, C, H, W)` flattened: entries 0 or 1/(1 − p).
  public var mask: [Scalar]

  /// Dropout with a given mask, `(N, C, H, W)` flattened, entries 0 or 1/(1 − p).
  public init(mask: [Scalar]) { self.mask = mask }

  /// A seeded mask for `shape` with drop probability p: each neuron survives with probability 1 − p.
  public init(shape: Shape, p: Double, seed: UInt64) {
    precondition(p >= 0 && p < 1, "Dropout: p = \(p) must be in [0, 1)")
    var rng = SplitMix64(seed: seed)
    let keep = Scalar(1 / (1 - p))
    mask = (0..<shape.rows).map { _ in rng.uniform() < p ? 0 : keep }
  }

  /// y = mask·x (the mask broadcast over time).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    precondition(mask.count == x.shape.rows, "dropout: mask of \(mask.count) for input \(x.shape) (\(x.shape.rows) neurons)")
    let t = x.shape.t
    return Tensor(shape: x.shape, scalars: x.scalars.indices.map { Scalar(mask[$0 / t].double * x.scalars[$0].double) })
  }

  /// g_x = mask·g_y. Chain-rule line: ∂y/∂x = mask. Exact.
  public func pullback(_ gY: Tensor<Scalar>) -> Tensor<Scalar> { forward(gY) }
}
