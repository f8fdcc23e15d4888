import Synchronization

/// The spike function with its refractory response, and its surrogate derivative ρ
/// (`slayer.md` §2.3, §4.2, §9.4–§9.5, §10.6).
///
/// Forward, the real neuron (``SpikeMode/threshold``):
/// ```
/// continuous   s(t) gains δ(t − t⁽ᶠ⁾) each time u(t) reaches ϑ;  u(t) = wᵀa(t) + (ν * s)(t)
/// discrete     for n = 0 … T−1, per neuron, in time order:
///                  if u[n] ≥ ϑ:  s[n] = 1/Ts;  u[n+k] += ν[k] for k = 1 … Kν−1, n+k < T
///                  else:         s[n] = 0
/// ```
/// The refractory kernel is added into u in place, so the potential returned (and used by the
/// surrogate) is the **post-refractory** one. There is no reset and no interpolation of the crossing
/// time; ν[0] = 0, so consecutive-sample bursts are possible.
///
/// Operation order: each neuron's potential is carried in `Double`, ν[k] added in the order the
/// spikes occur; u_post[n] is rounded to the storage scalar once, when sample n is reached, and the
/// threshold test compares that stored value, so a saved potential and its spike always agree.
///
/// PAPER-DIFF: the paper's spike times are continuous crossings; the code tests `u ≥ ϑ` on samples
/// (`slayer.md` §9.11). slayerPytorch adds ν in float32; the oracle accumulates in `Double`.
/// PAPER-DIFF: ρ is evaluated on the post-refractory potential that this loop leaves behind
/// (`slayer.md` §9.4); the paper's ρ(u(t)) includes ν * s too, so the two agree, but an
/// implementation that kept the pre-refractory u would not.
///
/// The smooth twin (``SpikeMode/smooth``, `slayer.md` §10.6), for gradient checks only:
/// ```
/// s[n] = F(u[n]) = (scaleRho/Ts)·[1 + sgn(u − ϑ)·(1 − exp(−β·|u − ϑ|))],  ν = 0
/// F′(u) = (scaleRho·β/Ts)·exp(−β·|u − ϑ|) = ρ(u)/Ts
/// ```
public enum Spike {
  /// The output of the spike op: the spike trains and the post-refractory potential.
  public struct Output<S: SpikeScalar>: Sendable {
    /// s, spikes of height 1/Ts (or F(u) in the smooth twin), shape of the input.
    public var spikes: Tensor<S>
    /// u_post, the potential after the refractory response; the value ρ is evaluated on.
    public var potential: Tensor<S>
  }

  /// Runs the spike loop on the potential `u` (shape `(N, C, H, W, T)`).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func forward<S>(_ u: Tensor<S>, _ neuron: Neuron<S>) -> Output<S> {
    PSP.checkTime(u.shape, neuron)
    let t = u.shape.t
    let pre = u.scalars, nu = neuron.refKernel, theta = neuron.theta
    // The event-driven threshold loop clears s and copies u into u_post row by row, inside its
    // parallel chunks; the others start from zeros and a copy of u.
    let rowwise = neuron.mode == .threshold && !Engine.isDense
    var spikes = rowwise ? Tensor<S>.uninitialized(u.shape.count) : [S](repeating: 0, count: u.shape.count)
    var post = rowwise ? Tensor<S>.uninitialized(u.shape.count) : u.scalars
    let height = S(1 / neuron.Ts)
    let nuDouble = nu.map { $0.double }, nuCount = nu.count  // ν in Double, once
    let found = Mutex<[(first: Int, counts: [Int], times: [Int32])]>([])  // each chunk's spikes (threshold, event-driven)
    switch neuron.mode {
    case .threshold where Engine.isDense:
      Parallel.forEach(u.shape.rows, writing: &spikes, &post) { row, s, uOut in
        let base = row * t
        var acc = [Double](repeating: 0, count: t)  // u[n] in Double, refractory added in place
        for n in 0..<t { acc[n] = pre[base + n].double }
        for n in 0..<t {
          let un = S(acc[n])
          uOut[base + n] = un
          guard un >= theta else { continue }
          s[base + n] = height
          for k in 1..<max(1, min(nu.count, t - n)) { acc[n + k] += nu[k].double }
        }
      }
    case .threshold:
      Parallel.forEachChunk(u.shape.rows, writing: &spikes, &post, cost: t) { rows, s, uOut in
        // acc[n]: u[n] in Double with the refractory responses added in place, set up only where a
        // response is pending (n < ready). Elsewhere u_post[n] = S(Double(u[n])) = u[n] exactly, so
        // the copy already in uOut is right and the loop only has to find the next crossing.
        // The spikes' times are listed as they are found (the next op's events, see below).
        var counts = [Int](repeating: 0, count: rows.count), times: [Int32] = []
        withUnsafeTemporaryAllocation(of: Double.self, capacity: t) { acc in
        nuDouble.withUnsafeBufferPointer { nu in
        pre.withUnsafeBufferPointer { pre in
          let acc = acc.baseAddress!, nu = nu.baseAddress!
          for row in rows {
            // The row's spikes cleared and its potential copied while the row is in cache, then scanned.
            let base = row * t
            let x = pre.baseAddress! + base, spikes = s.baseAddress! + base, potential = uOut.baseAddress! + base
            spikes.update(repeating: 0, count: t)
            potential.update(from: x, count: t)
            var n = 0, ready = 0
            while n < t {
              let un: S
              if n >= ready {
                while n < t && !(x[n] >= theta) { n += 1 }
                if n == t { break }
                un = x[n]
              } else {
                un = S(acc[n])
                potential[n] = un
              }
              if un >= theta {
                spikes[n] = height
                counts[row - rows.lowerBound] += 1
                times.append(Int32(truncatingIfNeeded: n))
                let end = min(t, n + nuCount)
                var j = max(ready, n + 1)
                while j < end { acc[j] = x[j].double; j += 1 }
                ready = max(ready, end)
                var k = 1
                while k < end - n { acc[n + k] += nu[k]; k += 1 }
              }
              n += 1
            }
          }
        }
        }
        }
        found.withLock { $0.append((rows.lowerBound, counts, times)) }
      }
    case .smooth:
      let beta = surrogateBeta(neuron.parameters)
      let scale = neuron.parameters.scaleRho / neuron.Ts
      let thetaD = neuron.parameters.theta
      Parallel.forEach(u.shape.rows, writing: &spikes) { row, s in
        for n in row * t..<(row + 1) * t {
          let d = pre[n].double - thetaD
          let tail = 1 - Elementary.exp(-beta * abs(d))
          s[n] = S(scale * (1 + (d >= 0 ? tail : -tail)))
        }
      }
    }
    var output = Output(spikes: Tensor(shape: u.shape, scalars: spikes), potential: Tensor(shape: u.shape, scalars: post))
    if rowwise {
      // The spikes' events, as RowEvents would find them by scanning s (row order, times ascending,
      // every value 1/Ts), so that a dense or conv op after this one need not search s for them.
      let chunks = found.withLock { $0 }.sorted { $0.first < $1.first }
      var start = [Int](repeating: 0, count: u.shape.rows + 1), time: [Int32] = []
      time.reserveCapacity(chunks.reduce(0) { $0 + $1.times.count })
      for chunk in chunks {
        for (k, c) in chunk.counts.enumerated() { start[chunk.first + k + 1] = c }
        time += chunk.times
      }
      for r in 0..<u.shape.rows { start[r + 1] += start[r] }
      output.spikes.knownEvents = RowEvents(start: start, time: time, value: [Double](repeating: height.double, count: time.count))
    }
    return output
  }

  /// The pullback: g_u[n] = ρ(u_post[n])·g_s[n] (in the smooth twin, ρ/Ts, the exact F′).
  ///
  /// Chain-rule line: ∂E/∂u[n] = ∂E/∂s[n]·∂s[n]/∂u[n], with the undefined ∂s/∂u replaced by ρ
  /// (`slayer.md` §4.2). Dropped: the path through the neuron's own earlier spikes via ν
  /// (∂u[n]/∂s[m] = Ts·ν[n−m], `slayer.md` §4.6), and any gradient to ϑ, α, β.
  ///
  /// PAPER-DIFF: no gradient flows through the refractory term (`slayer.md` §9.5), as in
  /// slayerPytorch; the original C++ code had variants (`SLAYER_REFRACTORY`) of unknown definition.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func pullback<S>(_ gS: Tensor<S>, potential: Tensor<S>, _ neuron: Neuron<S>) -> Tensor<S> {
    precondition(gS.shape == potential.shape, "spike pullback: gradient \(gS.shape) vs potential \(potential.shape)")
    let p = neuron.parameters
    let beta = surrogateBeta(p)
    let alpha = p.scaleRho * beta / (neuron.mode == .smooth ? neuron.Ts : 1)
    let g = gS.scalars, u = potential.scalars, t = gS.shape.t
    var gU = Tensor<S>.uninitialized(g.count)  // every element written
    let theta = p.theta
    // In Float, the event-driven engine evaluates eight samples at once through
    // ``SurrogateProduct`` (the library's bits; the dense engine keeps the plain loop).
    let vectorized = S.self == Float.self && !Engine.isDense
    Parallel.forEachChunk(gS.shape.rows, writing: &gU, cost: 20 * t) { rows, out in
      g.withUnsafeBufferPointer { g in
        u.withUnsafeBufferPointer { u in
          if vectorized {
            let start = rows.lowerBound * t
            UnsafeRawPointer(g.baseAddress! + start).withMemoryRebound(to: Float.self, capacity: rows.count * t) { gf in
              UnsafeRawPointer(u.baseAddress! + start).withMemoryRebound(to: Float.self, capacity: rows.count * t) { uf in
                UnsafeMutableRawPointer(out.baseAddress! + start).withMemoryRebound(to: Float.self, capacity: rows.count * t) { of in
                  _ = SurrogateProduct.products(u: uf, g: gf, out: of, count: rows.count * t, theta: theta, alpha: alpha, beta: beta)
                }
              }
            }
            return
          }
          for n in rows.lowerBound * t..<rows.upperBound * t {
            out[n] = pullbackSample(u: u[n], g: g[n], theta: theta, alpha: alpha, beta: beta)
          }
        }
      }
    }
    return Tensor(shape: gS.shape, scalars: gU)
  }

  /// One sample of the pullback, g_u = ρ(u)·g_s computed in `Double` and rounded once; 0 where
  /// g_s = 0 (such a sample is not evaluated).
  @inline(__always)
  static func pullbackSample<S: SpikeScalar>(u: S, g: S, theta: Double, alpha: Double, beta: Double) -> S {
    g == 0 ? 0 : S(rho(u.double, theta: theta, alpha: alpha, beta: beta) * g.double)
  }

  /// ρ(u) = α·exp(−β·|u − ϑ|), the surrogate of ∂s/∂u (`slayer.md` §4.2), in `Double`.
  ///
  /// ```
  /// ρ(t) = α·exp(−β·|u(t) − ϑ|),   α = scaleRho/(tauRho·ϑ),   β = 1/(tauRho·ϑ)
  /// ```
  /// PAPER-DIFF: the paper leaves α and β free; the code ties them to θ through tauRho and
  /// scaleRho (`slayer.md` §9.3). No 1/Ts factor: weight gradients stay Ts-invariant because the
  /// loss's and the correlation's Ts supply the dt factors (`slayer.md` §9.17).
  @inlinable
  public static func rho(_ u: Double, theta: Double, alpha: Double, beta: Double) -> Double {
    alpha * Elementary.exp(-beta * abs(u - theta))
  }

  /// ρ for the neuron's own α and β, evaluated at `u`.
  public static func rho(_ u: Double, _ p: NeuronParameters) -> Double {
    let beta = surrogateBeta(p)
    return rho(u, theta: p.theta, alpha: p.scaleRho * beta, beta: beta)
  }

  /// β = 1/(tauRho·ϑ).
  static func surrogateBeta(_ p: NeuronParameters) -> Double { 1 / (p.tauRho * p.theta) }

  /// The crossing margin min_n |u_post[n] − ϑ| over all samples: how far the closest sample is from
  /// flipping its spike. A backend may legitimately differ on a spike whose margin is below its own
  /// rounding error.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func margin<S>(_ potential: Tensor<S>, theta: Double) -> Double {
    potential.scalars.reduce(Double.infinity) { min($0, abs($1.double - theta)) }
  }
}
