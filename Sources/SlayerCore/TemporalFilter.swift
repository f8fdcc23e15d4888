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
    precondition(t > 0 && x.count % t == 0, "conv: \(x.count) samples are not whole rows of \(t)")
    var y = [S](repeating: 0, count: x.count)
    let k = kernel.count
    Parallel.forEach(x.count / t, writing: &y) { row, out in
      // Event-driven: visit only the non-zero samples m of the row (spikes are sparse), and for
      // each output n the events in (n − K, n] in decreasing m, i.e. increasing k = n − m: the
      // same non-zero terms in the same order as the dense sum, so the same bits.
      let base = row * t
      var events: [Int] = []
      for m in 0..<t where x[base + m] != 0 { events.append(m) }
      var lo = 0, hi = 0  // events[lo..<hi] lie in (n − K, n]
      for n in 0..<t {
        while hi < events.count && events[hi] <= n { hi += 1 }
        while lo < hi && events[lo] <= n - k { lo += 1 }
        var acc = 0.0
        var j = hi - 1
        while j >= lo {
          let m = events[j]
          acc += kernel[n - m].double * x[base + m].double
          j -= 1
        }
        out[base + n] = S(acc * Ts)
      }
    }
    return y
  }

  /// corr_h over every row: the pullback of ``conv(_:kernel:t:Ts:)``.
  ///
  /// Chain-rule line: g_x[m] = Σ_n g_y[n]·∂y[n]/∂x[m] = Σ_k g_y[m+k]·Ts·h[k] = corr_h(g_y)[m].
  /// Nothing is dropped: this is the exact adjoint. No gradient is formed for h (fixed kernels).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func corr<S: SpikeScalar>(_ x: [S], kernel: [S], t: Int, Ts: Double) -> [S] {
    precondition(t > 0 && x.count % t == 0, "corr: \(x.count) samples are not whole rows of \(t)")
    var y = [S](repeating: 0, count: x.count)
    let k = kernel.count
    Parallel.forEach(x.count / t, writing: &y) { row, out in
      let base = row * t
      for n in 0..<t {
        var acc = 0.0
        for j in 0..<min(k, t - n) {
          let v = x[base + n + j]
          if v != 0 { acc += kernel[j].double * v.double }
        }
        out[base + n] = S(acc * Ts)
      }
    }
    return y
  }
}
