/// The surrogate's pullback product in `Float`, g_u = Float((α·exp(−β·|u − ϑ|))·g), eight samples
/// at a time, with the bits that the C library's `exp` gives (``Spike/pullback(_:potential:_:)``).
///
/// ```
/// wanted     p  = (α·exp(y))·g,   y = −β·|u − ϑ|,   every step in Double; g_u = Float(p)
/// computed   p′ = (α·e)·g,        e ≈ exp(y) within a relative 2⁻⁴⁵
/// ```
/// Why the bits are the library's. The result is a `Float`, rounded from a `Double` that carries
/// 29 more bits. The library's `exp` is within an ulp of eʸ and e within 2⁻⁴⁵, so p′ lies within a
/// relative 2⁻⁴⁴ of p. Rounding to `Float` is monotonic: when both ends of
/// [p′·(1 − 2⁻⁴⁰), p′·(1 + 2⁻⁴⁰)] round to the same `Float`, so does p, which lies between them.
/// Only when a `Float` rounding boundary falls inside that interval (a chance of about 2⁻¹⁵ per
/// sample), when y is outside [−700, 0], or when |p′| is outside [2⁻¹⁰⁰⁰, 2¹⁰⁰⁰) (where relative
/// bounds fail, or g is not finite) is the library's `exp` called instead, for that sample.
///
/// The approximation: k = rint(64·y/ln 2) (by adding and subtracting 1.5·2⁵²), r = (y − k·ln2Hi/64)
/// − k·ln2Lo/64 with fdlibm's split of ln 2 (ln2Hi has 32 significant bits, so k·ln2Hi/64 is exact
/// for |k| < 2²¹, and |r| ≤ ln 2/128 with an error near 2⁻⁷⁰), exp(y) = 2ᵉ·2^(j/64)·P(r) with
/// k = 64·e + j, 0 ≤ j < 64, 2^(j/64) from a table of correctly rounded values, P the degree-5
/// Taylor polynomial of eʳ (truncation error below r⁶/6!·eʳ, a relative 2⁻⁵⁴ on |r| ≤ ln 2/128)
/// evaluated by Estrin's scheme, and 2ᵉ built from its exponent bits. With the table's half ulp and
/// a few roundings in P and the last product, e is within a relative 2⁻⁵⁰ of eʸ, well inside the
/// 2⁻⁴⁵ the guard assumes. Every operation is a lane-wise IEEE operation (the table lookup a load
/// per lane), so the eight lanes are eight independent scalar computations.
///
/// Measured on `nmnist-mlp-train` (1.2 M samples per batch): ~5.6 ms per batch against ~8.3 ms
/// for the library's `exp` one sample at a time, with a degree-11 polynomial on |r| ≤ ln 2/2; the
/// table then took the whole spike pullback from 4.6 to 4.15 ms per batch (one thread, CPU time). The "Surrogate product" tests compare this with the
/// library path on random samples and on products placed next to `Float` rounding boundaries;
/// `slayer bench --check` compares the whole pullback with the dense engine's, which always calls
/// the library.
enum SurrogateProduct {
  typealias Vector = SIMD8<Double>
  typealias FloatVector = SIMD8<Float>
  static let lanes = 8

  /// 2^(j/64) for j in 0..<64, each correctly rounded (written out in hexadecimal; the "Surrogate
  /// product" tests check every entry against the library's `exp2`).
  static let powersOfTwo64ths: [Double] = [
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
    0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
    0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
    0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
    0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
    0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
    0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
    0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
    0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
    0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
  ]

  /// e ≈ exp(y) within a relative 2⁻⁵⁰ (see above), lane by lane, for −700 ≤ y ≤ 0 (callers check the range; other
  /// lanes give meaningless values, never a trap). `table` is ``powersOfTwo64ths``.
  @inline(__always)
  static func approximateExp(_ y: Vector, table: UnsafePointer<Double>) -> Vector {
    let shift = Vector(repeating: 0x1.8p52)  // adding it rounds to an integer, held in the low bits
    let shifted = y * (64 / 0.693_147_180_559_945_3) + shift
    let k = shifted - shift
    let ln2Hi = 6.931_471_803_691_238_164_90e-01 / 64  // fdlibm's split of ln 2, over 64: k·ln2Hi is exact
    let ln2Lo = 1.908_214_929_270_587_700_02e-10 / 64
    let r = (y - k * ln2Hi) - k * ln2Lo
    // P(r) = Σ_{i=0}^{5} rⁱ/i!, by Estrin's scheme, so that the multiplications run side by side.
    let r2 = r * r, r4 = r2 * r2
    let p01 = 1 + r, p23 = 0.5 + r * (1.0 / 6), p45 = 1.0 / 24 + r * (1.0 / 120)
    let p = (p01 + r2 * p23) + r4 * p45
    // k = 64·e + j with 0 ≤ j < 64: 2^(k/64) = 2ᵉ·2^(j/64). k sits in the low bits of `shifted`
    // (two's complement relative to the shift); j is its low six bits, e the rest (rounded down).
    let kBits = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- Int64(bitPattern: (0x1.8p52 as Double).bitPattern)
    let j = kBits & 63
    var t = Vector()
    for lane in 0..<8 { t[lane] = table[Int(j[lane])] }
    let scale = unsafeBitCast(((kBits &>> 6) &+ 1023) &<< 52, to: Vector.self)
    return scale * (t * p)
  }

  /// Float(p) for every p within a relative 2⁻⁴⁴ of `p′`, lane by lane, and whether that rounding is
  /// certain: both ends of [p′·(1 − 2⁻⁴⁰), p′·(1 + 2⁻⁴⁰)] round alike (`alike`) and
  /// 2⁻¹⁰⁰⁰ ≤ |p′| < 2¹⁰⁰⁰ (`inRange`). The two ends are compared as `Float`s (widening them to
  /// compare as `Double`s gives the same answer, at twelve more instructions per eight lanes).
  @inline(__always)
  static func certainRounding(_ p: Vector) -> (rounded: FloatVector, alike: SIMDMask<SIMD8<Int32>>, inRange: SIMDMask<SIMD8<Int64>>) {
    let lo = FloatVector(p * (1 - 0x1p-40)), hi = FloatVector(p * (1 + 0x1p-40))
    let size = magnitude(p)
    return (lo, lo .== hi, (size .>= 0x1p-1000) .& (size .< 0x1p1000))
  }

  /// |v| lane by lane, as `Double.magnitude` (and so `abs`) computes it: the sign bit cleared. One
  /// bitwise and per two lanes, where a compare-and-select takes five instructions.
  @inline(__always)
  static func magnitude(_ v: Vector) -> Vector {
    unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt64>.self) & (UInt64.max >> 1), to: Vector.self)
  }

  /// out[j] = g[j] == 0 ? 0 : Float((α·exp(−β·|u[j] − ϑ|))·g[j]) for j in 0..<count.
  /// - Returns: how many samples needed the library's `exp` (for the tests).
  @discardableResult
  static func products(u: UnsafePointer<Float>, g: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int,
                       theta: Double, alpha: Double, beta: Double) -> Int {
    @inline(__always) func library(_ j: Int) -> Float {
      Spike.pullbackSample(u: u[j], g: g[j], theta: theta, alpha: alpha, beta: beta)
    }
    return powersOfTwo64ths.withUnsafeBufferPointer { powers in
      let table = powers.baseAddress!
      var j = 0, libraryCalls = 0
      while j + lanes <= count {
        let uf = UnsafeRawPointer(u + j).loadUnaligned(as: FloatVector.self)
        let gf = UnsafeRawPointer(g + j).loadUnaligned(as: FloatVector.self)
        let d = Vector(uf) - theta
        let y = -beta * magnitude(d)
        let p = (alpha * approximateExp(y, table: table)) * Vector(gf)
        let (rounded, alike, inRange) = certainRounding(p)
        // A lane is decided where the rounding is certain and y lies in the approximation's range,
        // or where g = 0 (the result is 0 whatever the exponential). The Float and the Double
        // conditions are kept apart, each in its own lane width.
        let zero = gf .== 0
        let decidedFloat = alike .| zero
        let decidedDouble = (inRange .& (y .>= -700) .& (y .<= 0)) .| (Vector(gf) .== 0)
        let result = rounded.replacing(with: 0, where: zero)
        if all(decidedFloat) && all(decidedDouble) {
          UnsafeMutableRawPointer(out + j).storeBytes(of: result, as: FloatVector.self)
        } else {
          for lane in 0..<lanes {
            if decidedFloat[lane] && decidedDouble[lane] {
              out[j + lane] = result[lane]
            } else {
              out[j + lane] = library(j + lane)
              libraryCalls += 1
            }
          }
        }
        j += lanes
      }
      while j < count {
        out[j] = library(j)
        j += 1
      }
      return libraryCalls + count % lanes
    }
  }
}
