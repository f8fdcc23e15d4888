/// A dense activation tensor of shape `(N, C, H, W, T)` in C order (time innermost).
///
/// Storage is a plain array: the oracle's tensors are what a reader would write down, with no
/// strides, views or lazy evaluation in between.
public struct Tensor<Scalar: SpikeScalar>: Equatable, Sendable {
  /// The extents.
  public var shape: Shape
  /// The elements in C order; `scalars.count == shape.count`.
  public var scalars: [Scalar]

  /// A tensor of zeros.
  public init(zeros shape: Shape) {
    self.shape = shape
    self.scalars = [Scalar](repeating: 0, count: shape.count)
  }

  /// A tensor with the given elements; their count must equal the shape's.
  public init(shape: Shape, scalars: [Scalar]) {
    precondition(scalars.count == shape.count,
                 "Tensor: \(scalars.count) scalars do not fill shape \(shape) (\(shape.count))")
    self.shape = shape
    self.scalars = scalars
  }

  /// The same values in another precision (rounded to nearest when narrowing).
  public func converted<Other: SpikeScalar>(to _: Other.Type = Other.self) -> Tensor<Other> {
    Tensor<Other>(shape: shape, scalars: scalars.map { Other($0.double) })
  }

  /// The same elements under another shape of equal count (for example `(N, C·H·W, 1, 1, T)`).
  public func reshaped(_ newShape: Shape) -> Tensor {
    precondition(newShape.count == shape.count, "reshape: \(shape) cannot become \(newShape)")
    return Tensor(shape: newShape, scalars: scalars)
  }

  /// Element at `(n, c, h, w, t)`.
  public subscript(n: Int, c: Int, h: Int, w: Int, t: Int) -> Scalar {
    get { scalars[(((n * shape.c + c) * shape.h + h) * shape.w + w) * shape.t + t] }
    set { scalars[(((n * shape.c + c) * shape.h + h) * shape.w + w) * shape.t + t] = newValue }
  }
}

/// An array of `count` elements of a trivial type with unspecified values, for a kernel that writes
/// every one of them (saves clearing memory that is overwritten at once).
func uninitializedArray<T: BitwiseCopyable>(_ count: Int) -> [T] {
  [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

extension Tensor {
  /// `count` scalars with unspecified values, for a kernel that writes every one of them (saves
  /// clearing memory that is overwritten at once).
  static func uninitialized(_ count: Int) -> [Scalar] {
    [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
  }
}
