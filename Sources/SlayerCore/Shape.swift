/// The shape of an activation tensor, `(N, C, H, W, T)`: batch, channel, height, width, time.
///
/// This is slayerPytorch's layout (`slayer.md` §1). Time is the innermost, contiguous axis, so one
/// neuron's whole time series is a contiguous row of `t` elements; a layer without spatial extent puts
/// its neurons on `c` with `h = w = 1`.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible {
  /// Batch size N.
  public var n: Int
  /// Channels C.
  public var c: Int
  /// Height H.
  public var h: Int
  /// Width W.
  public var w: Int
  /// Time samples T.
  public var t: Int

  /// A shape from its five extents, each at least 0.
  public init(n: Int, c: Int, h: Int = 1, w: Int = 1, t: Int) {
    precondition(n >= 0 && c >= 0 && h >= 0 && w >= 0 && t >= 0,
                 "Shape extents must be non-negative, got (\(n), \(c), \(h), \(w), \(t))")
    self.n = n; self.c = c; self.h = h; self.w = w; self.t = t
  }

  /// Neurons per sample, C·H·W.
  public var neurons: Int { c * h * w }
  /// Time rows, N·C·H·W: the number of independent neuron time series.
  public var rows: Int { n * neurons }
  /// Element count, N·C·H·W·T.
  public var count: Int { rows * t }
  /// The extents as an array `[N, C, H, W, T]`, as written in `.npy` headers.
  public var dims: [Int] { [n, c, h, w, t] }

  /// The `(n, c, h, w, t)` index of a flat C-order offset, for error messages.
  public func index(ofOffset offset: Int) -> [Int] {
    var rest = offset
    var index = [Int](repeating: 0, count: 5)
    let extents = dims
    for axis in stride(from: 4, through: 0, by: -1) where extents[axis] > 0 {
      index[axis] = rest % extents[axis]
      rest /= extents[axis]
    }
    return index
  }

  public var description: String { "(\(n), \(c), \(h), \(w), \(t))" }
}
