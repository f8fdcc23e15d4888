@testable import SlayerCore
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The vectorised surrogate product of the spike pullback must give the C library's bits.
@Suite("Surrogate product")
struct SurrogateProductTests {
  /// `SurrogateProduct.products` against the library path, sample by sample; returns the mismatches
  /// and the first one described, and how many samples the vectorised path left to the library.
  func mismatches(u: [Float], g: [Float], theta: Double, alpha: Double, beta: Double) -> (count: Int, first: String, libraryCalls: Int) {
    var out = [Float](repeating: .nan, count: u.count), libraryCalls = 0
    u.withUnsafeBufferPointer { ub in
      g.withUnsafeBufferPointer { gb in
        out.withUnsafeMutableBufferPointer { ob in
          libraryCalls = SurrogateProduct.products(u: ub.baseAddress!, g: gb.baseAddress!, out: ob.baseAddress!, count: u.count,
                                    theta: theta, alpha: alpha, beta: beta)
        }
      }
    }
    var count = 0, first = ""
    for j in u.indices {
      let expected = Spike.pullbackSample(u: u[j], g: g[j], theta: theta, alpha: alpha, beta: beta)
      if expected.bitPattern != out[j].bitPattern {
        if count == 0 { first = "[\(j)] u \(u[j]), g \(g[j]): library \(expected), vectorised \(out[j])" }
        count += 1
      }
    }
    return (count, first, libraryCalls)
  }

  @Test("random samples, far and near threshold, with zeros, tiny, huge and non-finite g: the library's bits", arguments: [81 as UInt64, 82])
  func random(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let n = 30_003  // not a multiple of the eight lanes
    let scales: [Double] = [0.1, 1, 10, 1000]
    let u = (0..<n).map { _ in Float(10 + rng.uniform(-1, 1) * scales[Int(rng.next() % 4)]) }
    let special: [Float] = [0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1e-38]
    let g = (0..<n).map { _ -> Float in
      rng.uniform() < 0.02 ? special[Int(rng.next() % 8)] : Float(rng.uniform(-1, 1) * [1e-30, 1e-6, 1, 1e20][Int(rng.next() % 4)])
    }
    for tauRho in [0.1, 1, 0.01] {
      let beta = 1 / (tauRho * 10), alpha = 0.25 * beta
      let (count, first, libraryCalls) = mismatches(u: u, g: g, theta: 10, alpha: alpha, beta: beta)
      #expect(count == 0, "seed \(seed), tauRho \(tauRho): \(count) of \(n) products differ; first \(first)")
      // The vectorised path must decide nearly every sample it is meant for (y ≥ −700, finite g not
      // tiny), or this would test only the library.
      let outside = u.indices.filter { beta * abs(Double(u[$0]) - 10) > 700 || !g[$0].isFinite || abs(g[$0]) < 1e-37 }.count
      #expect(libraryCalls <= outside + n / 1000, "seed \(seed), tauRho \(tauRho): \(libraryCalls) of \(n) samples went to the library, \(outside) outside its range")
    }
  }

  @Test("next to the midpoint between two Floats the rounding is left undecided; where decided, it is every nearby product's", arguments: [83 as UInt64])
  func nearRoundingBoundaries(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var undecided = 0, wrong = 0, first = ""
    for _ in 0..<5000 {
      // Eight products at relative distances from 2⁻⁵⁵ to 2⁻³⁰ of a Float midpoint, either side.
      var p = SurrogateProduct.Vector()
      for lane in 0..<8 {
        let f = Float(rng.uniform(-1, 1) * [1e-30, 1e-3, 1, 1e30][Int(rng.next() % 4)])
        let midpoint = (Double(f) + Double(f.nextUp)) / 2
        let distance = Double(sign: rng.next() % 2 == 0 ? .plus : .minus, exponent: -30 - Int(rng.next() % 26), significand: 1)
        p[lane] = midpoint * (1 + distance * rng.uniform(1, 2))
      }
      let (rounded, alike, inRange) = SurrogateProduct.certainRounding(p)
      for lane in 0..<8 {
        guard alike[lane] && inRange[lane] else { undecided += 1; continue }
        // A decided lane must be the rounding of every product within a relative 2⁻⁴⁴.
        for q in [p[lane], p[lane] * (1 - 0x1p-44), p[lane] * (1 + 0x1p-44)] where Float(q).bitPattern != rounded[lane].bitPattern {
          if wrong == 0 { first = "p′ \(p[lane]): decided \(rounded[lane]), but \(q) rounds to \(Float(q))" }
          wrong += 1
        }
      }
    }
    #expect(wrong == 0, "seed \(seed): \(wrong) decided roundings are not certain; first \(first)")
    #expect(undecided > 0 && undecided < 40_000, "seed \(seed): \(undecided) of 40000 lanes undecided")
  }

  @Test("the table holds 2^(j/64) for j in 0..<64, each within half an ulp of the library's exp2")
  func powersOfTwo() {
    let table = SurrogateProduct.powersOfTwo64ths
    #expect(table.count == 64)
    for (j, t) in table.enumerated() {
      let library = exp2(Double(j) / 64)
      #expect(abs(t - library) <= library.ulp / 2, "2^(\(j)/64): table \(t), exp2 \(library)")
    }
  }

  @Test("the approximation of exp is within a relative 2⁻⁴⁹ of the library's on [−700, 0]", arguments: [84 as UInt64])
  func approximationAccuracy(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    var worst = 0.0, worstY = 0.0
    for _ in 0..<8000 {
      var y = SurrogateProduct.Vector()
      for lane in 0..<8 { y[lane] = -rng.uniform(0, 1) * [0.01, 1, 10, 100, 700][Int(rng.next() % 5)] }
      let e = SurrogateProduct.powersOfTwo64ths.withUnsafeBufferPointer { SurrogateProduct.approximateExp(y, table: $0.baseAddress!) }
      for lane in 0..<8 {
        let exact = Elementary.exp(y[lane])
        let error = abs(e[lane] - exact) / exact
        if error > worst { (worst, worstY) = (error, y[lane]) }
      }
    }
    // The bound is 2⁻⁵⁰ (see SurrogateProduct), the library's own error up to an ulp.
    #expect(worst <= 0x1p-49, "seed \(seed): worst relative error \(worst) at y = \(worstY)")
  }
}
