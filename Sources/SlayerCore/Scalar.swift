// The element types the engine runs in: `Float` (storage, as the GPU reference does) and `Double`
// (gradient checks, and measuring the rounding error of the `Float` results).
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A tensor element: `Float` or `Double`.
///
/// Every kernel is generic over its storage scalar but accumulates in `Double`, so the `Float`
/// engine and the `Double` engine run the same code and differ only in where results are rounded.
public protocol SpikeScalar: BinaryFloatingPoint, Sendable, Codable {
  /// The value rounded to this type from a `Double` accumulator.
  init(_ value: Double)
  /// The value, exactly, as a `Double`.
  var double: Double { get }
}

extension Float: SpikeScalar {
  @inlinable public var double: Double { Double(self) }
}

extension Double: SpikeScalar {
  @inlinable public var double: Double { self }
}

/// The elementary functions the equations need, in `Double`, from the platform's C library.
///
/// Kept in one place so that the core imports nothing but the standard library, Dispatch and libc.
public enum Elementary {
  /// eˣ, correctly rounded or within an ulp (the platform's `exp`).
  public static func exp(_ x: Double) -> Double { libcExp(x) }
  /// Natural logarithm.
  public static func log(_ x: Double) -> Double { libcLog(x) }
  /// Cosine.
  public static func cos(_ x: Double) -> Double { libcCos(x) }
}

private func libcExp(_ x: Double) -> Double { exp(x) }
private func libcLog(_ x: Double) -> Double { log(x) }
private func libcCos(_ x: Double) -> Double { cos(x) }
