/// Causal convolution in time and its adjoint, correlation (`slayer.md` §1, §4.5).
///
/// ```
/// continuous   (h * x)(t) = ∫₀ᵗ h(τ)·x(t − τ) dτ              causal: looks into the past
///              (h ⊙ x)(t) = ∫₀^{T−t} h(τ)·x(t + τ) dτ         anticausal: looks into the future
/// discrete     conv_h(x)[n] = Ts · Σ_{k=0}^{K−1} h[k]·x[n−k]   terms with n−k < 0 dropped
///              corr_h(x)[n] = Ts · Σ_{k=0}^{K−1} h[k]·x[n+k]   terms with n+k ≥ T dropped
/// ```
/// corr_h is exactly the transpose of conv_h: ⟨conv_h x, y⟩ = ⟨x, corr_h y⟩.
///
/// Operation order (it decides bit-for-bit agreement): each output sums its products in `Double`
/// in increasing k, multiplies by Ts once after the sum, and rounds to the storage scalar once.
/// Products with an exact zero factor are skipped; this never changes a bit, because adding ±0 to a
/// `Double` accumulator that started at +0 leaves it unchanged.
///
/// PAPER-DIFF: slayerPytorch accumulates in float32; the oracle accumulates in `Double` and rounds
/// once, so its `Float` results are the correctly rounded value of a far more accurate sum
/// (`slayer.md` §9.16).
///
/// The event-driven engine (``Engine/Mode/sparse``) visits a row's non-zero samples when it has
/// few (a spike train), each adding its products to the outputs it reaches, in the order that gives
/// every output its terms in increasing k; otherwise it computes eight outputs at once over the
/// non-zero taps. Both skip only products with a zero factor, so both give the dense loop's bits.
public enum TemporalFilter {
  /// conv_h over every row of `x`, where a row is one neuron's `t` contiguous samples.
  ///
  /// - Parameters:
  ///   - x: `rows·t` samples, row-major.
  ///   - kernel: h[0 … K−1].
  ///   - t: samples per row.
  ///   - Ts: sampling time, in ms.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func conv<S: SpikeScalar>(_ x: [S], kernel: [S], t: Int, Ts: Double) -> [S] {
    filter(x, kernel: kernel, t: t, Ts: Ts, causal: true)
  }

  /// corr_h over every row: the pullback of ``conv(_:kernel:t:Ts:)``.
  ///
  /// Chain-rule line: g_x[m] = Σ_n g_y[n]·∂y[n]/∂x[m] = Σ_k g_y[m+k]·Ts·h[k] = corr_h(g_y)[m].
  /// Nothing is dropped: this is the exact adjoint. No gradient is formed for h (fixed kernels).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func corr<S: SpikeScalar>(_ x: [S], kernel: [S], t: Int, Ts: Double) -> [S] {
    filter(x, kernel: kernel, t: t, Ts: Ts, causal: false)
  }

  /// conv_h (`causal`) or corr_h over every row: y[n] = Ts·Σ_k h[k]·x[n ∓ k], in increasing k.
  @inline(__always)
  static func filter<S: SpikeScalar>(_ x: [S], kernel: [S], t: Int, Ts: Double, causal: Bool) -> [S] {
    precondition(t > 0 && x.count % t == 0, "\(causal ? "conv" : "corr"): \(x.count) samples are not whole rows of \(t)")
    if Engine.isDense { return denseFilter(x, kernel: kernel, t: t, Ts: Ts, causal: causal) }
    let rows = x.count / t
    let h = kernel.map(\.double)
    let taps = h.indices.filter { h[$0] != 0 }  // the non-zero taps, increasing k
    guard let last = taps.last else { return [S](repeating: 0, count: x.count) }
    let tapWeights = taps.map { h[$0] }
    // For the dense rows: each tap's input as a byte offset from the output's (−k samples for conv,
    // +k for corr), and its weight in both lanes of a pair, so that the inner loop neither branches
    // on the direction, nor checks index arithmetic for overflow, nor broadcasts the weight (12–13 %
    // of the op, for ε's 8 taps as for the demo's 77).
    let tapOffsets = taps.map { (causal ? -$0 : $0) * MemoryLayout<Double>.stride }
    let weightPairs = tapWeights.map { SIMD2<Double>(repeating: $0) }
    var y = Tensor<S>.uninitialized(x.count)  // every row is written
    let span = last + 1
    let rowLength = (t + 2 * Lanes.width - 1) / (2 * Lanes.width) * (2 * Lanes.width)  // whole pairs of vectors
    Parallel.forEachChunk(rows, writing: &y, cost: t * taps.count) { rows, out in
      // The row in Double with `span` zeros before (conv) or after (corr) it and room for whole
      // pairs of vectors (only the row's own part is ever written); the row's event times; the sums
      // of one row before rounding.
      var paddedRow = [Double](repeating: 0, count: span + rowLength)
      var eventList = [Int](repeating: 0, count: t + 1)
      var sums = [Double](repeating: 0, count: rowLength)
      let offset = causal ? span - 1 : 0
      x.withUnsafeBufferPointer { xb in
        paddedRow.withUnsafeMutableBufferPointer { padded in
          eventList.withUnsafeMutableBufferPointer { events in
            sums.withUnsafeMutableBufferPointer { acc in
              taps.withUnsafeBufferPointer { taps in
                tapWeights.withUnsafeBufferPointer { weights in
                tapOffsets.withUnsafeBufferPointer { tapOffsets in
                weightPairs.withUnsafeBufferPointer { weightPairs in
                  for row in rows {
                    let src = xb.baseAddress! + row * t, dst = out.baseAddress! + row * t
                    let count = RowEvents.nonZeroCount(src, t)
                    if count == 0 {
                      for n in 0..<t { dst[n] = 0 }
                      continue
                    }
                    if 3 * count < t {
                      // Few events: each adds h[k]·x[m] to the outputs it reaches. conv visits the
                      // events in decreasing m (so output n sees k = n − m increasing), corr in
                      // increasing m (k = m − n). The events are compacted without branches into a
                      // list (RowEvents.compact).
                      RowEvents.compact(src, t: t, count: count) { k, m in events[k] = m }
                      // Only outputs in `reached` can receive a term; the others are the +0 that
                      // an empty sum gives (+0·Ts rounds to +0), written directly.
                      let firstEvent = events[0], lastEvent = events[count - 1]
                      let reached = causal ? firstEvent..<min(t, lastEvent + span) : max(0, firstEvent - last)..<lastEvent + 1
                      for n in reached { acc[n] = 0 }
                      if causal {
                        for e in stride(from: count - 1, through: 0, by: -1) {
                          let m = events[e], v = src[m].double
                          for (j, k) in taps.enumerated() where m + k < t { acc[m + k] += weights[j] * v }
                        }
                      } else {
                        for e in 0..<count {
                          let m = events[e], v = src[m].double
                          for (j, k) in taps.enumerated() where m - k >= 0 { acc[m - k] += weights[j] * v }
                        }
                      }
                      for n in 0..<reached.lowerBound { dst[n] = 0 }
                      for n in reached { dst[n] = S(acc[n] * Ts) }
                      for n in reached.upperBound..<t { dst[n] = 0 }
                    } else {
                      // Eight outputs at once over the non-zero taps, in increasing k; two such
                      // vectors side by side, so that their chains of additions overlap.
                      let p = padded.baseAddress! + offset
                      for m in 0..<t { p[m] = src[m].double }
                      let width = Lanes.width, tapCount = taps.count
                      let tapOffset = tapOffsets.baseAddress!, weightPair = weightPairs.baseAddress!
                      let first = padded.baseAddress! + (causal ? offset : 0)  // the input at output 0, tap 0
                      for n0 in stride(from: 0, to: t, by: 2 * width) {
                        var sum1 = Lanes.Vector.zero, sum2 = Lanes.Vector.zero
                        let base = UnsafeRawPointer(first + n0)
                        for j in 0..<tapCount {
                          let at = base + tapOffset[j], pair = weightPair[j]
                          let w = Lanes.Vector(lowHalf: SIMD4(lowHalf: pair, highHalf: pair), highHalf: SIMD4(lowHalf: pair, highHalf: pair))
                          sum1 += at.loadUnaligned(as: Lanes.Vector.self) * w
                          sum2 += at.loadUnaligned(fromByteOffset: MemoryLayout<Lanes.Vector>.stride, as: Lanes.Vector.self) * w
                        }
                        Lanes.store(sum1 * Ts, acc, n0)
                        Lanes.store(sum2 * Ts, acc, n0 + width)
                      }
                      for n in 0..<t { dst[n] = S(acc[n]) }
                    }
                  }
                }
                }
                }
              }
            }
          }
        }
      }
    }
    return y
  }

  /// The plain loops of ``filter(_:kernel:t:Ts:causal:)`` over every term (``Engine/Mode/dense``).
  static func denseFilter<S: SpikeScalar>(_ x: [S], kernel: [S], t: Int, Ts: Double, causal: Bool) -> [S] {
    var y = [S](repeating: 0, count: x.count)
    let k = kernel.count, h = kernel.map(\.double)
    Parallel.forEachChunk(x.count / t, writing: &y, cost: t * k) { rows, out in
      for row in rows {
        let base = row * t
        for n in 0..<t {
          var acc = 0.0
          if causal {
            for j in 0..<min(k, n + 1) { acc += h[j] * x[base + n - j].double }
          } else {
            for j in 0..<min(k, t - n) { acc += h[j] * x[base + n + j].double }
          }
          out[base + n] = S(acc * Ts)
        }
      }
    }
    return y
  }
}
