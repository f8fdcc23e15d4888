// NumPy `.npy` files, format version 1.0 written, 1.0 / 2.0 / 3.0 read.
//
// Spec: numpy/lib/format.py ("A Simple File Format for NumPy Arrays", NEP 1). Layout:
//
//   offset 0   6 bytes   magic  \x93 N U M P Y
//   offset 6   2 bytes   version major, minor        (1,0) | (2,0) | (3,0)
//   offset 8   2 or 4    header length HLEN, little-endian u16 (v1) or u32 (v2, v3)
//   offset 10 or 12      HLEN bytes: a Python dict literal, latin-1 (v1, v2) or UTF-8 (v3),
//                        padded with spaces and ending in '\n'
//   then                 the raw elements, C order, prod(shape) × itemsize bytes, nothing after
//
// Implementation goals, in order of priority:
//   1. Never crash on any input bytes: every index is checked, every product is overflow-checked,
//      and no buffer is allocated before the file is known to hold its bytes.
//   2. Errors name the file, the field or byte offset, what was expected and what came.
//   3. `encode` writes byte for byte what `numpy.save` (numpy ≥ 1.24) writes.
//   4. Bit-exact Float → file → Float: elements travel as bit patterns, never through text.
import Foundation
import SlayerCore

/// NumPy `.npy` reading and writing.
public enum Npy {
  /// A decoded `.npy` array: its shape, its elements in C order converted to `Double`, and the
  /// dtype string it was stored as.
  ///
  /// Every supported dtype converts to `Double` exactly except `<i8` values beyond ±2⁵³, which
  /// round to nearest. `|b1` reads as 0 or 1 (any non-zero byte is true, as in NumPy).
  public struct Array: Equatable, Sendable {
    /// The extents, outermost first; `[]` for a 0-d (scalar) array.
    public var shape: [Int]
    /// The elements in C order; `values.count` is the product of `shape` (1 for 0-d).
    public var values: [Double]
    /// The stored dtype, for example `<f4`.
    public var dtype: String

    /// An array from its parts.
    public init(shape: [Int], values: [Double], dtype: String) {
      self.shape = shape
      self.values = values
      self.dtype = dtype
    }
  }

  /// The element types read, keyed by descr, with their byte size.
  static let supportedDescrs: [(descr: String, size: Int)] = [
    ("<f4", 4), ("<f8", 8), ("|u1", 1), ("<u1", 1), ("<i4", 4), ("<i8", 8), ("|b1", 1),
  ]

  /// The six magic bytes `\x93NUMPY`.
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]

  /// Header alignment: numpy pads magic + version + length + header to a multiple of this.
  static let alignment = 64

  /// numpy leaves room for the first axis to grow to this many digits (`GROWTH_AXIS_MAX_DIGITS`).
  static let growthAxisDigits = 21

  // MARK: Reading

  /// Reads and decodes the `.npy` file at `url`.
  ///
  /// - Throws: ``IOError`` naming `url.path` if the file cannot be read or is not a supported
  ///   `.npy` array (see ``decode(_:file:)``).
  public static func read(_ url: URL) throws -> Npy.Array {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw IOError(file: url.path, message:
        "open: expected a readable .npy file, found error: \(error.localizedDescription)")
    }
    return try decode(data, file: url.path)
  }

  /// The header of the `.npy` file at `url`, reading only its first MiB (``decodeHeader(_:file:fileLength:)``):
  /// what a reader checks before it reads a file that could be gigabytes.
  ///
  /// - Throws: ``IOError`` naming `url.path` if the file cannot be read or its header is malformed.
  public static func readHeader(_ url: URL) throws -> HeaderInfo {
    let prefix: Data, length: Int
    do {
      let handle = try FileHandle(forReadingFrom: url)
      defer { try? handle.close() }
      length = Int(try handle.seekToEnd())
      try handle.seek(toOffset: 0)
      prefix = try handle.read(upToCount: 1 << 20) ?? Data()
    } catch {
      throw IOError(file: url.path, message:
        "open: expected a readable .npy file, found error: \(error.localizedDescription)")
    }
    return try decodeHeader(prefix, file: url.path, fileLength: length)
  }

  /// Decodes the bytes of a `.npy` file; `file` names it in errors.
  ///
  /// Accepts format versions 1.0, 2.0 and 3.0, C order, and the dtypes `<f4`, `<f8`, `|u1`, `<u1`,
  /// `<i4`, `<i8`, `|b1`.
  ///
  /// - Throws: ``IOError`` for a bad magic string, an unsupported version, a header that is not a
  ///   Python dict literal with exactly the keys `descr`, `fortran_order` and `shape`, a big-endian
  ///   or unsupported dtype, `fortran_order: True`, shape entries that are negative, not integers
  ///   or whose product overflows, and a data length that does not match the shape.
  public static func decode(_ data: Data, file: String) throws -> Npy.Array {
    let header = try decodeHeader(data, file: file)
    let values = data.withUnsafeBytes { raw in
      decodeElements(raw, from: header.dataOffset, count: header.count, descr: header.descr)
    }
    return Npy.Array(shape: header.shape, values: values, dtype: header.descr)
  }

  /// What a `.npy` file's header says, checked against the file's length: its shape and dtype,
  /// the element count and where the elements start.
  public struct HeaderInfo: Equatable, Sendable {
    /// The extents, outermost first.
    public var shape: [Int]
    /// The dtype, for example `<f4`.
    public var descr: String
    /// The element count, the product of ``shape``.
    public var count: Int
    /// The byte offset of the first element.
    public var dataOffset: Int
  }

  /// Checks everything of ``decode(_:file:)`` except the element values, without allocating
  /// anything in proportion to the shape: a reader can judge the size before decoding.
  ///
  /// - Parameters:
  ///   - data: the file's bytes, or only its first bytes when `fileLength` is given (enough to
  ///     hold the header; ``readHeader(_:)`` reads 1 MiB).
  ///   - file: the path named in errors.
  ///   - fileLength: the length of the whole file, when `data` is only its beginning.
  /// - Throws: ``IOError`` as ``decode(_:file:)``, and for a header longer than `data` holds.
  public static func decodeHeader(_ data: Data, file: String, fileLength: Int? = nil) throws -> HeaderInfo {
    let bytes = data.count <= 1 << 16 ? [UInt8](data) : [UInt8](data.prefix(1 << 16))
    let total = fileLength ?? data.count
    func failure(_ message: String) -> IOError { IOError(file: file, message: message) }

    // Magic and version.
    let present = bytes.prefix(magic.count)
    guard present.elementsEqual(magic.prefix(present.count)) else {
      throw failure("magic: expected bytes \(hex(magic)) (\\x93NUMPY) at byte offset 0, found "
        + hex(present))
    }
    guard bytes.count >= 8 else {
      throw failure("magic: expected at least 10 bytes (magic, version, header length), found "
        + "\(bytes.count) (file ends at byte offset \(bytes.count))")
    }
    let (major, minor) = (bytes[6], bytes[7])
    guard (1...3).contains(major), minor == 0 else {
      throw failure("version: expected 1.0, 2.0 or 3.0 at byte offset 6, found \(major).\(minor)")
    }

    // Header length and header.
    let lengthSize = major == 1 ? 2 : 4
    let headerStart = 8 + lengthSize
    guard bytes.count >= headerStart else {
      throw failure("header length: expected \(lengthSize) bytes at byte offset 8 for version "
        + "\(major).0, found \(bytes.count - 8) (file ends at byte offset \(bytes.count))")
    }
    let headerLength = littleEndian(bytes, at: 8, size: lengthSize)
    let available = total - headerStart
    guard UInt64(available) >= headerLength else {
      throw failure("header: expected \(headerLength) header bytes from byte offset \(headerStart) "
        + "(length field at byte offset 8), found \(available) (file ends at byte offset "
        + "\(total))")
    }
    let dataStart = headerStart + Int(headerLength)
    guard dataStart <= data.count else {
      throw failure("header: expected a header within the first \(data.count) bytes read (numpy itself reads "
        + "at most 10000), found one of \(headerLength) bytes (length field at byte offset 8)")
    }
    // A header beyond the first 64 KiB is read now (numpy's own limit is 10 000 bytes).
    let headerBytes = dataStart <= bytes.count ? bytes : [UInt8](data.prefix(dataStart))
    let header = try parseHeader(
      headerBytes[headerStart..<dataStart], utf8: major == 3, file: file)

    // Data.
    let (count, byteCount) = try checkedSizes(header.shape, itemSize: header.itemSize,
                                              descr: header.descr, file: file)
    let found = total - dataStart
    guard found == byteCount else {
      let shapeText = tupleText(header.shape)
      let detail = found < byteCount
        ? "file truncated at byte offset \(total)"
        : "\(found - byteCount) trailing bytes from byte offset \(dataStart + byteCount)"
      throw failure("data: expected \(byteCount) bytes for shape \(shapeText) of \(header.descr), "
        + "found \(found) (\(detail))")
    }
    return HeaderInfo(shape: header.shape, descr: header.descr, count: count, dataOffset: dataStart)
  }

  /// The element count and byte count of `shape`, or an error if either overflows `Int`.
  static func checkedSizes(_ shape: [Int], itemSize: Int, descr: String, file: String) throws
    -> (count: Int, bytes: Int)
  {
    var count = 1
    for extent in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      guard !overflow else {
        throw IOError(file: file, message: "header: expected a shape whose element count fits in "
          + "64 bits, found \(tupleText(shape)) (the product overflows)")
      }
      count = product
    }
    let (byteCount, overflow) = count.multipliedReportingOverflow(by: itemSize)
    guard !overflow else {
      throw IOError(file: file, message: "header: expected a shape whose byte count fits in 64 "
        + "bits, found \(tupleText(shape)) of \(descr) (\(count) × \(itemSize) bytes overflows)")
    }
    return (count, byteCount)
  }

  /// The `count` elements from `offset` on, converted to `Double`; the caller checked the bounds.
  static func decodeElements(_ bytes: UnsafeRawBufferPointer, from offset: Int, count: Int,
                             descr: String) -> [Double]
  {
    let size = supportedDescrs.first { $0.descr == descr }?.size ?? 1
    var values = [Double]()
    values.reserveCapacity(count)
    var at = offset
    for _ in 0..<count {
      var raw: UInt64 = 0
      for k in stride(from: size - 1, through: 0, by: -1) { raw = raw << 8 | UInt64(bytes[at + k]) }
      at += size
      switch descr {
      case "<f4": values.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw))))
      case "<f8": values.append(Double(bitPattern: raw))
      case "<i4": values.append(Double(Int32(bitPattern: UInt32(truncatingIfNeeded: raw))))
      case "<i8": values.append(Double(Int64(bitPattern: raw)))
      case "|b1": values.append(raw == 0 ? 0 : 1)
      default: values.append(Double(raw))  // |u1, <u1
      }
    }
    return values
  }

  /// The unsigned little-endian integer of `size` (≤ 8) bytes at `offset`.
  static func littleEndian(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
    var value: UInt64 = 0
    for k in stride(from: size - 1, through: 0, by: -1) {
      value = value << 8 | UInt64(bytes[offset + k])
    }
    return value
  }

  // MARK: Writing

  /// The bytes `numpy.save` writes for a C-order little-endian float32 (`<f4`) array.
  ///
  /// `shape` `[]` is a 0-d array holding one value. Preconditions: every extent is non-negative
  /// and `values.count` is their product.
  public static func encode(shape: [Int], float32 values: [Float]) -> Data {
    var bytes = headerBytes(descr: "<f4", shape: shape, count: values.count)
    bytes.reserveCapacity(bytes.count + 4 * values.count)
    for value in values { appendLittleEndian(UInt64(value.bitPattern), size: 4, to: &bytes) }
    return Data(bytes)
  }

  /// The bytes `numpy.save` writes for a C-order little-endian float64 (`<f8`) array.
  ///
  /// Preconditions as for ``encode(shape:float32:)``.
  public static func encode(shape: [Int], float64 values: [Double]) -> Data {
    var bytes = headerBytes(descr: "<f8", shape: shape, count: values.count)
    bytes.reserveCapacity(bytes.count + 8 * values.count)
    for value in values { appendLittleEndian(value.bitPattern, size: 8, to: &bytes) }
    return Data(bytes)
  }

  /// Writes a float32 `.npy` file atomically (see ``AtomicFile/write(_:to:)``).
  ///
  /// - Throws: ``IOError`` naming `url.path` if the file cannot be written.
  public static func write(_ url: URL, shape: [Int], float32 values: [Float]) throws {
    try AtomicFile.write(encode(shape: shape, float32: values), to: url)
  }

  /// Writes a float64 `.npy` file atomically (see ``AtomicFile/write(_:to:)``).
  ///
  /// - Throws: ``IOError`` naming `url.path` if the file cannot be written.
  public static func write(_ url: URL, shape: [Int], float64 values: [Double]) throws {
    try AtomicFile.write(encode(shape: shape, float64: values), to: url)
  }

  /// Magic, version, length and padded header, exactly as numpy's `_write_array_header`.
  ///
  /// numpy appends `21 − len(repr(shape[0]))` spaces (room for the first axis to grow), then pads
  /// with spaces so that magic + version + length + header + `'\n'` is a multiple of 64; the pad is
  /// `64 − (prefix + len + 1) mod 64`, so 64 spaces rather than none when already aligned.
  /// Version 1.0 unless the header length exceeds a u16, then 2.0.
  static func headerBytes(descr: String, shape: [Int], count: Int) -> [UInt8] {
    precondition(shape.allSatisfy { $0 >= 0 }, "Npy.encode: negative extent in shape \(shape)")
    let expected = shape.reduce(1) { product, extent in
      let (next, overflow) = product.multipliedReportingOverflow(by: extent)
      precondition(!overflow, "Npy.encode: element count of shape \(shape) overflows")
      return next
    }
    precondition(expected == count,
                 "Npy.encode: \(count) values do not fill shape \(shape) (\(expected) elements)")
    var text = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(tupleText(shape)), }"
    if let first = shape.first {
      text += String(repeating: " ", count: max(0, growthAxisDigits - String(first).count))
    }
    let dict = [UInt8](text.utf8)
    let withNewline = dict.count + 1
    func padding(_ lengthSize: Int) -> Int {
      alignment - (magic.count + 2 + lengthSize + withNewline) % alignment
    }
    let lengthSize = withNewline + padding(2) <= 0xFFFF ? 2 : 4
    let pad = padding(lengthSize)
    var bytes = magic + [lengthSize == 2 ? 1 : 2, 0]
    appendLittleEndian(UInt64(withNewline + pad), size: lengthSize, to: &bytes)
    bytes += dict
    bytes += [UInt8](repeating: 0x20, count: pad)
    bytes.append(0x0A)
    return bytes
  }

  /// Appends the low `size` bytes of `value`, least significant first.
  static func appendLittleEndian(_ value: UInt64, size: Int, to bytes: inout [UInt8]) {
    for k in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(k)))) }
  }

  // MARK: Tensors and checked shapes

  /// Reads a rank-5 `(N, C, H, W, T)` array as a tensor of `S`, rounding to `S` if narrower.
  ///
  /// - Parameters:
  ///   - url: the `.npy` file.
  ///   - type: the element type of the tensor, `Float.self` or `Double.self`.
  ///   - expectedShape: if given, the shape the file must have.
  ///   - field: what the array is (`"input"`, `"weights"`), named in errors.
  /// - Throws: ``IOError`` if the file is unreadable or malformed, its rank is not 5, or its shape
  ///   differs from `expectedShape`; the message names `field` and both shapes.
  public static func readTensor<S: SpikeScalar>(
    _ url: URL, as type: S.Type, expectedShape: [Int]? = nil, field: String
  ) throws -> Tensor<S> {
    let array = try read(url)
    guard array.shape.count == 5 else {
      throw IOError(file: url.path, message: "\(field): expected a rank-5 (N, C, H, W, T) array, "
        + "found rank \(array.shape.count) with shape \(tupleText(array.shape))")
    }
    if let expectedShape, expectedShape != array.shape {
      throw IOError(file: url.path, message: "\(field): expected shape "
        + "\(tupleText(expectedShape)), found \(tupleText(array.shape))")
    }
    let d = array.shape
    let shape = Shape(n: d[0], c: d[1], h: d[2], w: d[3], t: d[4])
    return Tensor(shape: shape, scalars: array.values.map { S($0) })
  }

  /// Writes a tensor as a float32 `(N, C, H, W, T)` `.npy` file, atomically.
  ///
  /// A `Double` tensor is rounded to nearest `Float`.
  ///
  /// - Throws: ``IOError`` naming `url.path` if the file cannot be written.
  public static func writeTensor<S: SpikeScalar>(_ url: URL, _ t: Tensor<S>) throws {
    try write(url, shape: t.shape.dims, float32: t.scalars.map { Float($0.double) })
  }

  /// Reads an array that must have exactly `expectingShape`, returning its elements in C order.
  ///
  /// - Throws: ``IOError`` if the file is unreadable or malformed, or its shape differs; the
  ///   message names `field` and both shapes.
  public static func read(_ url: URL, expectingShape: [Int], field: String) throws -> [Double] {
    let array = try read(url)
    guard array.shape == expectingShape else {
      throw IOError(file: url.path, message: "\(field): expected shape "
        + "\(tupleText(expectingShape)), found \(tupleText(array.shape))")
    }
    return array.values
  }

  // MARK: Text

  /// A shape as Python writes a tuple: `(2, 3)`, `(5,)`, `()`.
  static func tupleText(_ shape: [Int]) -> String {
    shape.count == 1
      ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  }

  /// Bytes as space-separated hex, `93 4E 55`.
  static func hex<C: Collection<UInt8>>(_ bytes: C) -> String {
    bytes.isEmpty ? "nothing" : bytes.map { byte in
      let digits = String(byte, radix: 16, uppercase: true)
      return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
  }
}
