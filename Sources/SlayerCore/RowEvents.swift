/// The non-zero samples of a tensor's time rows, found in one pass and then visited by the
/// event-driven kernels (``Engine/Mode/sparse``) instead of every sample.
///
/// A tensor `(N, C, H, W, T)` is `N·C·H·W` rows of `T` samples; a spike tensor has a few non-zero
/// samples per row. Row r's events are `start[r]..<start[r + 1]`, their times ascending.
struct RowEvents: Sendable {
  /// Events of row r are at `start[r]..<start[r + 1]`.
  var start: [Int]
  /// The time index n of each event, ascending within its row.
  var time: [Int32]
  /// The value of each event, exactly, in `Double`.
  var value: [Double]

  /// The events of `rows` rows of `t` samples of `x`.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  init<S: SpikeScalar>(_ x: [S], rows: Int, t: Int) {
    precondition(x.count == rows * t, "RowEvents: \(x.count) samples are not \(rows) rows of \(t)")
    // Two passes, each split over the worker threads by rows: count every row's events, then write
    // them in place. Whole blocks of eight zeros are passed over by a bit test (±0 have no bits
    // but the sign), and a non-zero block is compacted without branches.
    var start = [Int](repeating: 0, count: rows + 1)
    x.withUnsafeBufferPointer { xb in
      nonisolated(unsafe) let xb = xb
      Parallel.forEachChunk(rows, writing: &start, cost: t) { rows, start in
        for row in rows {
          let base = row * t
          start[row + 1] = Self.nonZeroCount(xb.baseAddress! + base, t)
        }
      }
    }
    for r in 0..<rows { start[r + 1] += start[r] }
    let total = start[rows]
    var time: [Int32] = uninitializedArray(total), value: [Double] = uninitializedArray(total)
    x.withUnsafeBufferPointer { xb in
      start.withUnsafeBufferPointer { first in
        nonisolated(unsafe) let xb = xb, first = first
        Parallel.forEachChunk(rows, writing: &time, &value, cost: t) { rows, time, value in
          for row in rows {
            let src = xb.baseAddress! + row * t, e0 = first[row]
            Self.compact(src, t: t, count: first[row + 1] - e0) { k, m in
              time[e0 + k] = Int32(truncatingIfNeeded: m)
              value[e0 + k] = src[m].double
            }
          }
        }
      }
    }
    self.start = start
    self.time = time
    self.value = value
  }

  /// Events already listed: row r's at `start[r]..<start[r + 1]` of `time` and `value`.
  init(start: [Int], time: [Int32], value: [Double]) {
    precondition(start.last == time.count && time.count == value.count,
                 "RowEvents: \(start.last ?? -1) events by start, \(time.count) times, \(value.count) values")
    self.start = start
    self.time = time
    self.value = value
  }

  /// The events of a batch whose sample b has a spike of `value` at each flat offset of
  /// `samples[b]` (strictly ascending) and zeros elsewhere: what ``init(_:rows:t:)`` would find in
  /// that tensor (rows of `t` samples, `rowsPerSample` rows a sample), without reading it.
  init(spikesAt samples: [[Int32]], rowsPerSample: Int, t: Int, value: Double) {
    let rows = samples.count * rowsPerSample
    var first = [Int](repeating: 0, count: samples.count + 1)  // sample b's events from first[b]
    for (b, offsets) in samples.enumerated() { first[b + 1] = first[b] + offsets.count }
    let total = first[samples.count]
    var start: [Int] = uninitializedArray(rows + 1), time: [Int32] = uninitializedArray(total)
    // Sample by sample, in parallel (each writes its own rows and events): the offsets ascend, so
    // the row and the time within it follow by stepping through the rows, without dividing.
    Parallel.forEachChunk(samples.count, writing: &start, &time, cost: total / max(1, samples.count) + rowsPerSample) { range, start, time in
      for b in range {
        let base = b * rowsPerSample
        var e = first[b], row = 0, rowStart = 0
        start[base] = e
        for offset in samples[b] {
          let o = Int(offset)
          while o >= rowStart + t {
            row += 1
            rowStart += t
            start[base + row] = e
          }
          time[e] = Int32(truncatingIfNeeded: o - rowStart)
          e += 1
        }
        while row + 1 < rowsPerSample {
          row += 1
          start[base + row] = e
        }
      }
    }
    start[rows] = total
    self.start = start
    self.time = time
    self.value = [Double](repeating: value, count: total)
  }

  /// True when the eight elements from `offset` are all ±0.
  @inline(__always)
  static func blockIsZero<S: SpikeScalar>(_ x: UnsafeBufferPointer<S>, _ offset: Int) -> Bool {
    let raw = UnsafeRawPointer(x.baseAddress! + offset)
    if MemoryLayout<S>.size == 4 {
      var bits: UInt64 = 0
      for j in 0..<4 { bits |= raw.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self) }
      return bits & 0x7FFF_FFFF_7FFF_FFFF == 0
    }
    var bits: UInt64 = 0
    for j in 0..<8 { bits |= raw.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self) }
    return bits & 0x7FFF_FFFF_FFFF_FFFF == 0
  }

  /// Lists where the `count` non-zero samples among the `t` from `src` are (count known
  /// beforehand), in increasing m, by `write(k, m)` for the k-th: whole blocks of eight zeros are
  /// passed over by a bit test, and within a block every sample is written to the next free slot k,
  /// which advances only past a non-zero one (no branch per sample). It stops at the last non-zero,
  /// so no slot past `count − 1` is written.
  @inline(__always)
  static func compact<S: SpikeScalar>(_ src: UnsafePointer<S>, t: Int, count: Int, _ write: (_ k: Int, _ m: Int) -> Void) {
    let samples = UnsafeBufferPointer(start: src, count: t)
    var k = 0, n = 0
    scan: while k < count {
      if n + 8 <= t && blockIsZero(samples, n) {
        n += 8
        continue
      }
      for m in n..<min(n + 8, t) {
        write(k, m)
        k &+= nonZero(src[m])
        if k == count { break scan }
      }
      n += 8
    }
  }

  /// 1 if `v` is non-zero (or NaN), else 0, by the bit arithmetic of ``nonZeroCount(_:_:)``: no
  /// branch for the compactions that write every sample and advance past the non-zero ones.
  @inline(__always)
  static func nonZero<S: SpikeScalar>(_ v: S) -> Int {
    if MemoryLayout<S>.size == 4 {
      return Int(((unsafeBitCast(v, to: UInt32.self) & 0x7FFF_FFFF) &+ 0x7FFF_FFFF) >> 31)
    }
    return Int(((unsafeBitCast(v, to: UInt64.self) & 0x7FFF_FFFF_FFFF_FFFF) &+ 0x7FFF_FFFF_FFFF_FFFF) >> 63)
  }

  /// The number of non-zero values among the `count` from `p` (NaN counts as non-zero, as in
  /// `x != 0`). With the sign bit cleared, a value's bits b are non-zero exactly when b + (2³¹ − 1)
  /// reaches the top bit: integer arithmetic that the compiler vectorises (a floating comparison
  /// must treat NaN apart, and a mask select was compiled element by element).
  @inline(__always)
  static func nonZeroCount<S: SpikeScalar>(_ p: UnsafePointer<S>, _ count: Int) -> Int {
    let (k, n) = MemoryLayout<S>.size == 4
      ? nonZeroLanes(UnsafeRawPointer(p), count, as: SIMD8<UInt32>.self)
      : nonZeroLanes(UnsafeRawPointer(p), count, as: SIMD4<UInt64>.self)
    var total = n
    for j in k..<count { total &+= nonZero(p[j]) }  // the tail, one at a time
    return total
  }

  /// ``nonZeroCount(_:_:)`` over whole vectors of the values' bit patterns `V` from `raw`: how many
  /// values the vectors covered, and how many of those are non-zero.
  @inline(__always)
  private static func nonZeroLanes<V: SIMD>(_ raw: UnsafeRawPointer, _ count: Int, as _: V.Type) -> (covered: Int, nonZero: Int)
    where V.Scalar: FixedWidthInteger & UnsignedInteger {
    let magnitude = V(repeating: V.Scalar.max >> 1), top = V.Scalar(V.Scalar.bitWidth - 1)
    var acc = V.zero, k = 0
    while k + V.scalarCount <= count {
      acc &+= ((raw.loadUnaligned(fromByteOffset: MemoryLayout<V.Scalar>.size * k, as: V.self) & magnitude) &+ magnitude) &>> top
      k += V.scalarCount
    }
    return (k, Int(acc.wrappedSum()))
  }

  /// Total events.
  var count: Int { time.count }

  /// Events of row r.
  @inline(__always)
  func events(_ row: Int) -> Range<Int> { start[row]..<start[row + 1] }

  /// The same events regrouped by time: for each block of `rowsPerBlock` consecutive rows (a sample
  /// of a dense layer's input) and each time n, the rows active at n, ascending. Group
  /// `block·t + n` holds entries `groupStart[g]..<groupStart[g + 1]` of `row` (the row's index
  /// within its block) and `value`.
  func byTime(rowsPerBlock: Int, t: Int) -> ByTime {
    let rows = start.count - 1
    let blocks = rows / rowsPerBlock, groups = blocks * t
    // A counting sort, split over the threads by ranges of rows: each range counts its events per
    // group; a group's entries are then laid out range after range (so rows stay ascending within
    // the group), and each range copies its events to its own entries.
    let ranges = max(1, min(rows, count / 5_000, 4 * Parallel.threads))
    func rowRange(_ p: Int) -> Range<Int> { rows * p / ranges..<rows * (p + 1) / ranges }
    var counts = [Int](repeating: 0, count: ranges * groups)  // (range, group), then each entry's first slot
    start.withUnsafeBufferPointer { start in
      time.withUnsafeBufferPointer { time in
        nonisolated(unsafe) let start = start, time = time
        Parallel.forEachChunk(ranges, writing: &counts, cost: count / ranges) { ps, counts in
          for p in ps {
            for r in rowRange(p) {
              let g0 = p * groups + r / rowsPerBlock * t
              for e in start[r]..<start[r + 1] { counts[g0 + Int(time[e])] += 1 }
            }
          }
        }
      }
    }
    var groupStart = [Int](repeating: 0, count: groups + 1)
    var next = 0
    for g in 0..<groups {
      groupStart[g] = next
      for p in 0..<ranges {
        let c = counts[p * groups + g]
        counts[p * groups + g] = next
        next += c
      }
    }
    groupStart[groups] = next
    var rowOf: [Int32] = uninitializedArray(count), valueOf: [Double] = uninitializedArray(count)
    start.withUnsafeBufferPointer { start in
      time.withUnsafeBufferPointer { time in
        value.withUnsafeBufferPointer { value in
          counts.withUnsafeMutableBufferPointer { fill in
            nonisolated(unsafe) let start = start, time = time, value = value, fill = fill
            Parallel.forEachChunk(ranges, writing: &rowOf, &valueOf, cost: 2 * count / ranges) { ps, rowOf, valueOf in
              for p in ps {
                for r in rowRange(p) {
                  let g0 = p * groups + r / rowsPerBlock * t, local = Int32(r % rowsPerBlock)
                  for e in start[r]..<start[r + 1] {
                    let slot = g0 + Int(time[e])
                    rowOf[fill[slot]] = local
                    valueOf[fill[slot]] = value[e]
                    fill[slot] += 1
                  }
                }
              }
            }
          }
        }
      }
    }
    return ByTime(groupStart: groupStart, row: rowOf, value: valueOf)
  }

  /// Events grouped by (block, time), ``byTime(rowsPerBlock:t:)``.
  struct ByTime: Sendable {
    var groupStart: [Int], row: [Int32], value: [Double]
  }
}

extension RowEvents {
  /// Read-only views of the events and of the samples they were found in, for inner loops.
  struct Access<S: SpikeScalar> {
    let start: UnsafeBufferPointer<Int>, time: UnsafeBufferPointer<Int32>, value: UnsafeBufferPointer<Double>
    /// The rows' samples, `t` per row.
    let x: UnsafeBufferPointer<S>
    let t: Int

    /// Events in row r.
    @inline(__always)
    func count(_ r: Int) -> Int { start[r + 1] - start[r] }

    /// acc[n] += w·x[r, n] for every n: over the row's events when it has few, else over all its
    /// samples (the zero ones add ±0, which changes no accumulator that started at +0).
    @inline(__always)
    func add(_ w: Double, row r: Int, into acc: UnsafeMutablePointer<Double>) {
      let lo = start[r], hi = start[r + 1]
      if hi == lo { return }
      if 4 * (hi - lo) < t {
        for e in lo..<hi { acc[Int(time[e])] += w * value[e] }
      } else {
        let row = x.baseAddress! + r * t
        for n in 0..<t { acc[n] += w * row[n].double }
      }
    }
  }

  /// Runs `body` with views of these events and of `x`, the tensor they were found in.
  func withAccess<S: SpikeScalar, R>(_ x: [S], t: Int, _ body: (Access<S>) -> R) -> R {
    start.withUnsafeBufferPointer { start in
      time.withUnsafeBufferPointer { time in
        value.withUnsafeBufferPointer { value in
          x.withUnsafeBufferPointer { x in body(Access(start: start, time: time, value: value, x: x, t: t)) }
        }
      }
    }
  }
}
