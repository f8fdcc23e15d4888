/// A dense activation tensor of shape `(N, C, H, W, T)` in C order (time innermost).
///
/// Storage is a plain array: the oracle's tensors are what a reader would write down, with no
/// strides, views or lazy evaluation in between. One cache rides along: a batch built from spike
/// offsets (``init(spikesAt:sampleShape:height:)``) and the spikes of the spike op remember where
/// their spikes are, for the event-driven engine; any change to the shape or the elements drops
/// it, and it takes no part in `==`.
public struct Tensor<Scalar: SpikeScalar>: Equatable, Sendable {
  /// The extents.
  public var shape: Shape { didSet { knownEvents = nil } }
  /// The elements in C order; `scalars.count == shape.count`.
  public var scalars: [Scalar] { didSet { knownEvents = nil } }
  /// The non-zero samples of ``scalars``, when the tensor was built from them
  /// (``init(spikesAt:sampleShape:height:)``, ``SpikeBatches``) or by the spike op that listed them
  /// (``Spike/forward(_:_:)``), so that the event-driven engine need not find them again; dropped by
  /// any change to the scalars or the shape. Not part of the value (`==`).
  var knownEvents: RowEvents? = nil

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

  /// Equal shapes and elements (the known events are a cache, not part of the value).
  public static func == (a: Tensor, b: Tensor) -> Bool { a.shape == b.shape && a.scalars == b.scalars }

  /// Samples given as the flat offsets of their spikes in `sampleShape` (`n` = 1), stacked into one
  /// batch `(N, C, H, W, T)` of zeros and `height`; each sample's slice is cleared and filled by one
  /// thread. The tensor remembers where its spikes are, so the event-driven engine does not search
  /// the (mostly zero) tensor for them again.
  ///
  /// - Parameters:
  ///   - samples: per sample, the offsets of its spikes, strictly ascending, each in
  ///     `0..<sampleShape.count`.
  ///   - sampleShape: the shape of one sample; `n` must be 1.
  ///   - height: the value of a spike (1/Ts), not zero.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public init(spikesAt samples: [[Int32]], sampleShape: Shape, height: Scalar) {
    var x = Tensor.uninitialized(samples.count * sampleShape.count)
    self.init(spikesAt: samples, sampleShape: sampleShape, height: height, writingOver: &x, previous: nil)
  }

  /// ``init(spikesAt:sampleShape:height:)`` written over `storage`, which holds the same number of
  /// samples with spikes at `previous` (then only those are cleared) or anything (nil: every
  /// sample's slice is cleared). Takes the storage.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  init(spikesAt samples: [[Int32]], sampleShape: Shape, height: Scalar, writingOver storage: inout [Scalar],
       previous: [[Int32]]?) {
    precondition(sampleShape.n == 1, "Tensor(spikesAt:): sample shape \(sampleShape) must have n = 1")
    precondition(height != 0 && height.isFinite, "Tensor(spikesAt:): spike height \(height) must be finite and not zero")
    let n = sampleShape.count
    precondition(storage.count == samples.count * n && (previous.map { $0.count == samples.count } ?? true),
                 "Tensor(spikesAt:): storage of \(storage.count) scalars for \(samples.count) samples of \(sampleShape)")
    for (b, offsets) in samples.enumerated() {
      // One pass: each offset above the last (the first above −1), the last below n.
      var last: Int32 = -1, ascending = true
      for offset in offsets {
        ascending = ascending && offset > last
        last = offset
      }
      precondition(ascending && Int(last) < n, "Tensor(spikesAt:): sample \(b)'s offsets are not strictly ascending inside \(sampleShape)")
    }
    Parallel.forEachChunk(samples.count, writing: &storage) { range, x in
      for b in range {
        let sample = UnsafeMutableBufferPointer(rebasing: x[b * n..<(b + 1) * n])
        if let previous { for offset in previous[b] { sample[Int(offset)] = 0 } } else { sample.initialize(repeating: 0) }
        for offset in samples[b] { sample[Int(offset)] = height }
      }
    }
    let s = sampleShape
    self.init(shape: Shape(n: samples.count, c: s.c, h: s.h, w: s.w, t: s.t), scalars: storage)
    storage = []
    knownEvents = RowEvents(spikesAt: samples, rowsPerSample: s.neurons, t: s.t, value: height.double)
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
