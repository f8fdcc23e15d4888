/// Eight `Double` accumulators handled as one vector by the event-driven kernels.
///
/// A vector lane is an independent accumulator: lane j of `acc += w * x` computes exactly what the
/// scalar `acc[j] += w[j] * x` computes (IEEE multiplication and addition per lane, no fused
/// multiply-add), so packing eight independent outputs into one vector never changes a bit; it only
/// lets the compiler use the machine's vector registers.
enum Lanes {
  /// Lanes per vector.
  static let width = 8
  /// Eight `Double` lanes.
  typealias Vector = SIMD8<Double>

  /// Vectors needed for `count` outputs.
  @inline(__always)
  static func blocks(_ count: Int) -> Int { (count + width - 1) / width }

  /// The eight values from `offset`.
  @inline(__always)
  static func load(_ p: UnsafeBufferPointer<Double>, _ offset: Int) -> Vector {
    UnsafeRawPointer(p.baseAddress! + offset).loadUnaligned(as: Vector.self)
  }

  /// Stores all eight lanes from `offset`.
  @inline(__always)
  static func store(_ v: Vector, _ p: UnsafeMutableBufferPointer<Double>, _ offset: Int) {
    UnsafeMutableRawPointer(p.baseAddress! + offset).storeBytes(of: v, as: Vector.self)
  }

  /// acc += block[8·index[e] ..< 8·index[e] + 8]·value[e] for the events e in `events`, in
  /// increasing e: eight accumulators, each the scalar sum in that order. With `unit` every value
  /// is 1 and the multiplication is left out (x·1 = x exactly, so the bits are the same).
  @inline(__always)
  static func add(_ acc: inout Vector, _ block: UnsafeBufferPointer<Double>, at index: UnsafeBufferPointer<Int32>,
                  times value: UnsafeBufferPointer<Double>, _ events: Range<Int>, unit: Bool) {
    if unit {
      for e in events { acc += load(block, Int(index[e]) * width) }
    } else {
      for e in events { acc += load(block, Int(index[e]) * width) * value[e] }
    }
  }

  /// For each group k in `groups`, the sum of ``add(_:_:at:times:_:unit:)`` over the events
  /// `bounds[k] ..< bounds[k + 1]`, stored as line `firstLine + k − groups.lowerBound` of `lines`.
  /// Two groups are summed at a time, their additions interleaved so that the two chains overlap
  /// instead of waiting on each other; each is still its own sum in increasing e: the same bits.
  @inline(__always)
  static func storeSums<Bounds: RandomAccessCollection<Int>>(
    _ block: UnsafeBufferPointer<Double>, at index: UnsafeBufferPointer<Int32>, times value: UnsafeBufferPointer<Double>,
    bounds: Bounds, _ groups: Range<Int>, unit: Bool, into lines: UnsafeMutableBufferPointer<Double>, firstLine: Int
  ) where Bounds.Index == Int {
    var k = groups.lowerBound
    while k + 1 < groups.upperBound {
      let first = bounds[k]..<bounds[k + 1], second = bounds[k + 1]..<bounds[k + 2]
      let common = min(first.count, second.count), e1 = first.lowerBound, e2 = second.lowerBound
      var acc1 = Vector.zero, acc2 = Vector.zero
      // One loop for each case: with `unit` tested inside one shared loop the compiler kept the
      // test in the loop, and the dense forward pass took 20 % longer.
      if unit {
        for d in 0..<common {
          acc1 += load(block, Int(index[e1 + d]) * width)
          acc2 += load(block, Int(index[e2 + d]) * width)
        }
      } else {
        for d in 0..<common {
          acc1 += load(block, Int(index[e1 + d]) * width) * value[e1 + d]
          acc2 += load(block, Int(index[e2 + d]) * width) * value[e2 + d]
        }
      }
      add(&acc1, block, at: index, times: value, e1 + common..<first.upperBound, unit: unit)
      add(&acc2, block, at: index, times: value, e2 + common..<second.upperBound, unit: unit)
      store(acc1, lines, (firstLine + k - groups.lowerBound) * width)
      store(acc2, lines, (firstLine + k + 1 - groups.lowerBound) * width)
      k += 2
    }
    if k < groups.upperBound {
      var acc = Vector.zero
      add(&acc, block, at: index, times: value, bounds[k]..<bounds[k + 1], unit: unit)
      store(acc, lines, (firstLine + k - groups.lowerBound) * width)
    }
  }

  /// dst[n·8 + j] = rows[j][n] in `Double`, for n in 0..<t and j in 0..<lanes: `lanes` rows of `t`
  /// samples, `rowStride` apart from `src`, as one line of eight per sample (lanes past `lanes` are
  /// left as they are). Eight `Float` rows go four samples at a time, through vector registers.
  @inline(__always)
  static func interleave<S: SpikeScalar>(_ src: UnsafePointer<S>, rowStride: Int, lanes: Int, t: Int,
                                         into dst: UnsafeMutablePointer<Double>) {
    var n = 0
    if MemoryLayout<S>.size == 4 && lanes == width {
      let raw = UnsafeRawPointer(src)
      func row(_ j: Int) -> SIMD4<Float> { raw.loadUnaligned(fromByteOffset: 4 * (j * rowStride + n), as: SIMD4<Float>.self) }
      while n + 4 <= t {
        let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
        for k in 0..<4 {
          let line = UnsafeMutableRawPointer(dst + (n + k) * width)
          line.storeBytes(of: SIMD4<Double>(SIMD4(r0[k], r1[k], r2[k], r3[k])), as: SIMD4<Double>.self)
          line.storeBytes(of: SIMD4<Double>(SIMD4(r4[k], r5[k], r6[k], r7[k])), toByteOffset: 32, as: SIMD4<Double>.self)
        }
        n += 4
      }
    }
    for n in n..<t { for j in 0..<lanes { dst[n * width + j] = src[j * rowStride + n].double } }
  }

  /// The inverse of ``interleave(_:rowStride:lanes:t:into:)``, rounding: row j at `dst + j·rowStride`
  /// gets S(src[n·8 + j]) for n in 0..<t, j in 0..<lanes. For `Float`, four samples of a lane are
  /// gathered into one vector, rounded and stored together.
  @inline(__always)
  static func deinterleave<S: SpikeScalar>(_ src: UnsafePointer<Double>, lanes: Int, t: Int,
                                           into dst: UnsafeMutablePointer<S>, rowStride: Int) {
    for j in 0..<lanes {
      var n = 0
      if MemoryLayout<S>.size == 4 {
        let row = UnsafeMutableRawPointer(dst + j * rowStride)
        while n + 4 <= t {
          let v = SIMD4<Double>(src[n * width + j], src[(n + 1) * width + j], src[(n + 2) * width + j], src[(n + 3) * width + j])
          row.storeBytes(of: SIMD4<Float>(v), toByteOffset: 4 * n, as: SIMD4<Float>.self)
          n += 4
        }
      }
      for n in n..<t { dst[j * rowStride + n] = S(src[n * width + j]) }
    }
  }

  /// One term of ``weightedSum(_:_:t:into:)``: where its row starts in `g`, and its weight in both
  /// lanes of a pair, so that the sum's inner loop loads it as one instead of broadcasting it.
  struct Term {
    var row: Int
    var weight: SIMD2<Double>

    init(row: Int, weight: Double) {
      self.row = row
      self.weight = SIMD2(repeating: weight)
    }
  }

  /// sums[n] = Σ_j weight_j·g[row_j + n] over the terms in their order, for n in 0..<t, sixteen
  /// outputs at a time: two vectors side by side, so that their chains of additions overlap. The
  /// rows of `g` and `sums` must hold whole pairs of vectors (``paddedRows(_:rows:t:multiple:)``
  /// with `multiple` 16). The inner loop reads through pointers: an indexed load's overflow-checked
  /// index arithmetic and a broadcast of the weight were a third of its instructions.
  @inline(__always)
  static func weightedSum(_ g: UnsafeBufferPointer<Double>, _ terms: UnsafeBufferPointer<Term>,
                          t: Int, into sums: UnsafeMutableBufferPointer<Double>) {
    guard let g0 = g.baseAddress else { return }
    for n0 in Swift.stride(from: 0, to: t, by: 2 * width) {
      var acc0 = Vector.zero, acc1 = Vector.zero
      for term in terms {
        let at = UnsafeRawPointer(g0 + term.row + n0), pair = term.weight
        let w = Vector(lowHalf: SIMD4(lowHalf: pair, highHalf: pair), highHalf: SIMD4(lowHalf: pair, highHalf: pair))
        acc0 += at.loadUnaligned(as: Vector.self) * w
        acc1 += at.loadUnaligned(fromByteOffset: MemoryLayout<Vector>.stride, as: Vector.self) * w
      }
      store(acc0, sums, n0)
      store(acc1, sums, n0 + width)
    }
  }

  /// dst[n] = S(src[n]) for n in 0..<count: sums rounded once to the storage scalar. Written with
  /// pointers so that the compiler converts several at once (an indexed store into a buffer, with
  /// its overflow-checked index arithmetic, was compiled one sample at a time).
  @inline(__always)
  static func round<S: SpikeScalar>(_ src: UnsafePointer<Double>, count: Int, into dst: UnsafeMutablePointer<S>) {
    for n in 0..<count { dst[n] = S(src[n]) }
  }

  /// Runs `body` on `count` zeroed `Double`s aligned to a cache line (64 bytes), so that each group
  /// of eight lanes at a multiple of eight is one line, not two.
  @inline(__always)
  static func withAlignedScratch<R>(_ count: Int, _ body: (UnsafeMutableBufferPointer<Double>) -> R) -> R {
    let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Double>.stride, alignment: 64)
    defer { raw.deallocate() }
    let buffer = UnsafeMutableBufferPointer(start: raw.bindMemory(to: Double.self, capacity: count), count: count)
    buffer.initialize(repeating: 0)
    return body(buffer)
  }

  /// Rows of `t` samples in `Double`, each padded with zeros to `stride` (the least multiple of
  /// `multiple` lanes that holds `t`), and whether each row is all zero.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  static func paddedRows<S: SpikeScalar>(_ x: [S], rows: Int, t: Int, multiple: Int = width) -> (values: [Double], stride: Int, zeroRow: [Bool]) {
    let stride = (t + multiple - 1) / multiple * multiple
    var values = [Double](repeating: 0, count: rows * stride)
    var zeroRow = [Bool](repeating: true, count: rows)
    x.withUnsafeBufferPointer { xb in
      for r in 0..<rows {
        var any = false
        for n in 0..<t {
          let v = xb[r * t + n]
          values[r * stride + n] = v.double
          any = any || v != 0
        }
        zeroRow[r] = !any
      }
    }
    return (values, stride, zeroRow)
  }
}
