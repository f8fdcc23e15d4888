/// Learnable temporal filters in place of the fixed ε (`slayer.md` §5): slayerPytorch's `pspLayer`
/// (one filter, initialised to ε, shared by every neuron) and `pspFilter` (a bank of F filters, each
/// applied to every channel; output channel f·C + c).
///
/// ```
/// a[b, f·C + c, h, w, n] = conv_{h_f}(s[b, c, h, w])[n] = Ts · Σ_k h_f[k]·s[b, c, h, w, n − k]
/// ```
/// Output shape `(N, F·C, H, W, T)`; with F = 1 it is the input's shape.
public struct PSPFilter<Scalar: SpikeScalar>: Equatable, Sendable {
  /// The filters h_f[0 … L−1], F·L values, filter-major.
  public var filters: [Scalar]
  /// Number of filters F.
  public let count: Int

  /// `count` filters of equal length, `filters` filter-major.
  public init(count: Int, filters: [Scalar]) {
    precondition(count > 0 && filters.count % count == 0 && !filters.isEmpty,
                 "PSPFilter: \(filters.count) taps are not \(count) filters of equal length")
    self.count = count; self.filters = filters
  }

  /// slayerPytorch's `pspLayer`: one filter initialised to ε.
  public init(pspLayer neuron: Neuron<Scalar>) {
    self.init(count: 1, filters: neuron.srmKernel)
  }

  /// Taps per filter, L.
  public var length: Int { filters.count / count }

  func filter(_ f: Int) -> [Scalar] { Array(filters[f * length..<(f + 1) * length]) }

  /// a = conv_{h_f}(s) for every filter f.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ s: Tensor<Scalar>, Ts: Double) -> Tensor<Scalar> {
    let inS = s.shape, t = inS.t
    var outS = inS
    outS.c = inS.c * count
    var a = [Scalar](repeating: 0, count: outS.count)
    let block = inS.neurons * t  // one sample, one filter
    for f in 0..<count {
      let y = TemporalFilter.conv(s.scalars, kernel: filter(f), t: t, Ts: Ts)
      for b in 0..<inS.n {
        let from = b * block, to = (b * count + f) * block
        for i in 0..<block { a[to + i] = y[from + i] }
      }
    }
    return Tensor(shape: outS, scalars: a)
  }

  /// The pullback: g_s = Σ_f corr_{h_f}(g_a of filter f), and
  /// ∂E/∂h_f[k] = Ts·Σ_b Σ_{c, h, w} Σ_n g_a[b, f·C + c, h, w, n]·s[b, c, h, w, n − k].
  ///
  /// Chain-rule lines: the psp pullback per filter (summed over filters in increasing f, each term
  /// rounded as its own corr), and the derivative of the linear map in h. Exact.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pullback(_ gA: Tensor<Scalar>, input s: Tensor<Scalar>, Ts: Double) -> (input: Tensor<Scalar>, filters: [Scalar]) {
    let inS = s.shape, t = inS.t, block = inS.neurons * t, L = length
    precondition(gA.shape == Shape(n: inS.n, c: inS.c * count, h: inS.h, w: inS.w, t: t),
                 "pspFilter pullback: gradient \(gA.shape) for input \(inS) and \(count) filters")
    var perFilter: [[Scalar]] = []
    for f in 0..<count {
      var g = [Scalar](repeating: 0, count: inS.count)
      for b in 0..<inS.n { for i in 0..<block { g[b * block + i] = gA.scalars[(b * count + f) * block + i] } }
      perFilter.append(g)
    }
    var gS = [Scalar](repeating: 0, count: inS.count)
    let pulled = (0..<count).map { TemporalFilter.corr(perFilter[$0], kernel: filter($0), t: t, Ts: Ts) }
    for i in gS.indices {
      var acc = 0.0
      for f in 0..<count { acc += pulled[f][i].double }
      gS[i] = Scalar(acc)
    }
    var gH = [Scalar](repeating: 0, count: filters.count)
    let x = s.scalars
    Parallel.forEach(filters.count, writing: &gH) { j, out in
      let f = j / L, k = j % L, g = perFilter[f]
      var acc = 0.0
      for row in 0..<inS.rows {
        for n in k..<t {
          let v = g[row * t + n]
          if v != 0 { acc += v.double * x[row * t + n - k].double }
        }
      }
      out[j] = Scalar(Ts * acc)
    }
    return (Tensor(shape: inS, scalars: gS), gH)
  }
}
