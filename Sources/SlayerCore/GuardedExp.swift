/// Float((α·exp(y))·g) with the bits the C library's `exp` gives, computed mostly without calling it.
///
/// Implementation goals, in order of priority:
///   1. The same bits as `Float((α·Elementary.exp(y))·g)`, always.
///   2. Fast: the surrogate's pullback evaluates ρ once per sample of every spiking layer, and the
///      library's `exp` is a function call of ~15–20 cycles.
///
/// Why it is exact. The result is a `Float`, rounded from a `Double` that carries 29 more bits. An
/// approximation e ≈ exp(y) with a relative error of a few `Double` ulps (measured ≤ 4; the library's
/// own is ≤ 1) gives p′ = (α·e)·g within a relative 2⁻⁴⁸ of the library's p = (α·exp(y))·g. Rounding
/// to `Float` is monotonic, so if both ends of [p′·(1 − 2⁻⁴⁰), p′·(1 + 2⁻⁴⁰)] round to the same
/// `Float`, so does p, which lies between them. Only when a `Float` rounding boundary falls inside
/// that interval (a chance of about 2⁻¹⁵ per element), or outside the range the approximation is
/// checked for, is the library's `exp` called. The `Engine modes` tests compare both paths on
/// random and on adversarial inputs, and `slayer bench --check` on every benchmark.
///
/// The approximation (Tang's method): k = rint(y·32/ln 2), r = y − k·ln2/32 (ln 2 split in two, so
/// r is exact to ~2⁻⁷⁰), exp(y) = 2^⌊k/32⌋ · 2^((k mod 32)/32) · P(r), with P the degree-6 Taylor
/// polynomial of exp on |r| ≤ ln2/64 (truncation error < 2⁻⁵⁸).
enum GuardedExp {
  /// 2^(j/32), j = 0 … 31, from the library's `exp` (each within an ulp).
  static let table: [Double] = (0..<32).map { Elementary.exp(Double($0) * 0.693_147_180_559_945_3 / 32) }

  /// exp(y) within a few ulps, for −700 ≤ y ≤ 0 (callers check the range).
  @inline(__always)
  static func approximate(_ y: Double, _ table: UnsafeBufferPointer<Double>) -> Double {
    let shift = 0x1.8p52                                     // adding it rounds to an integer
    let kd = (y * (32 / 0.693_147_180_559_945_3) + shift) - shift
    let k = Int(kd)
    let ln2Hi = 6.931_471_803_691_238_164_90e-01 / 32       // fdlibm's split of ln 2: k·ln2Hi is exact
    let ln2Lo = 1.908_214_929_270_587_700_02e-10 / 32
    let r = (y - kd * ln2Hi) - kd * ln2Lo
    let p = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720))))))
    let scale = Double(bitPattern: UInt64(bitPattern: Int64((k >> 5) + 1023)) << 52)
    return scale * (table[k & 31] * p)
  }

  /// Float((α·exp(y))·g), bit for bit as with the library's `exp`.
  @inline(__always)
  static func product(alpha: Double, y: Double, g: Double, _ table: UnsafeBufferPointer<Double>) -> Float {
    if y >= -700 && y <= 0 {
      let p = (alpha * approximate(y, table)) * g
      let lo = Float(p * (1 - 0x1p-40)), hi = Float(p * (1 + 0x1p-40))
      if lo.bitPattern == hi.bitPattern && abs(p) >= 0x1p-1000 && abs(p) < 0x1p1000 { return lo }
    }
    return Float((alpha * Elementary.exp(y)) * g)
  }
}
