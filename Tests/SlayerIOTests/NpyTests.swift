// Tests for Npy.swift, NpyHeader.swift and AtomicFile.swift: bit-exact round trips, byte identity
// with `numpy.save` (when numpy is installed), a table of malformed files, a mutation fuzz, and the
// atomic file and directory replacement.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("Npy")
struct NpyTests {
  // MARK: Round trips

  /// Shapes covering 0-d, empty, 1-D, the engine's rank 5, and a 14-D shape whose header needs a
  /// full 64 spaces of padding (numpy pads 64, not 0, when already aligned).
  static let shapes: [[Int]] = [
    [], [0], [5], [2, 3], [0, 3], [3, 0], [2, 3, 1, 1, 200], [1, 1, 1, 1, 1, 1, 1, 1],
    [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 10, 10], [123_456_789_012, 0],
  ]

  @Test("float32 round trip is bit-exact", arguments: shapes)
  func float32RoundTrip(shape: [Int]) throws {
    let values = float32Values(count: shape.reduce(1, *), seed: 1)
    let data = Npy.encode(shape: shape, float32: values)
    let array = try Npy.decode(data, file: "f4.npy")
    #expect(array.shape == shape)
    #expect(array.dtype == "<f4")
    #expect(array.values.map { Float($0).bitPattern } == values.map(\.bitPattern))
  }

  @Test("float64 round trip is bit-exact", arguments: shapes)
  func float64RoundTrip(shape: [Int]) throws {
    let count = shape.reduce(1, *)
    var rng = SplitMix64(seed: 2)
    let values = (0..<count).map { i in
      i < 4 ? [-0.0, .infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude][i]
        : rng.uniform(-1e300, 1e300)
    }
    let array = try Npy.decode(Npy.encode(shape: shape, float64: values), file: "f8.npy")
    #expect(array.shape == shape)
    #expect(array.dtype == "<f8")
    #expect(array.values.map(\.bitPattern) == values.map(\.bitPattern))
  }

  @Test("header is magic, version 1.0, length, padded dict and newline, a multiple of 64",
        arguments: shapes)
  func headerLayout(shape: [Int]) throws {
    let bytes = [UInt8](Npy.encode(shape: shape, float32: [Float](repeating: 1, count:
      shape.reduce(1, *))))
    let headerEnd = 10 + Int(bytes[8]) + 256 * Int(bytes[9])
    #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
    #expect(headerEnd % 64 == 0)
    #expect(bytes[headerEnd - 1] == 0x0A)
    #expect(bytes.count - headerEnd == 4 * shape.reduce(1, *))
    let text = String(decoding: bytes[10..<headerEnd], as: UTF8.self)
    let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': \(Npy.tupleText(shape)), }"
    #expect(text.hasPrefix(dict))
  }

  @Test("tuples are written as Python writes them")
  func tupleText() {
    #expect(Npy.tupleText([]) == "()")
    #expect(Npy.tupleText([5]) == "(5,)")
    #expect(Npy.tupleText([2, 3]) == "(2, 3)")
  }

  @Test("version 2.0 and 3.0 headers, and every supported dtype, decode")
  func otherVersionsAndDtypes() throws {
    let f4 = littleEndian([Float(1.5).bitPattern, Float(-2).bitPattern].map(UInt64.init), size: 4)
    for major: UInt8 in [2, 3] {
      let file = npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", f4, major)
      let array = try Npy.decode(Data(file), file: "v\(major).npy")
      #expect(array.values == [1.5, -2])
    }
    let cases: [(descr: String, payload: [UInt8], values: [Double])] = [
      ("|u1", [0, 255], [0, 255]),
      ("<u1", [7, 8], [7, 8]),
      ("|b1", [0, 2], [0, 1]),
      ("<i4", littleEndian([UInt64(UInt32(bitPattern: -3)), 4], size: 4), [-3, 4]),
      ("<i8", littleEndian([UInt64(bitPattern: -5), 1 << 40], size: 8), [-5, 0x1p40]),
      ("<f8", littleEndian([(0.25).bitPattern, (-1e300).bitPattern], size: 8), [0.25, -1e300]),
    ]
    for c in cases {
      let header = "{'descr': '\(c.descr)', 'fortran_order': False, 'shape': (2,), }\n"
      let array = try Npy.decode(Data(npyFile(header, c.payload)), file: "\(c.descr).npy")
      #expect(array.values == c.values, "\(c.descr)")
      #expect(array.dtype == c.descr)
    }
  }

  @Test("files and tensors round-trip through disk")
  func filesAndTensors() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let shape = Shape(n: 2, c: 3, h: 1, w: 1, t: 7)
    let tensor = Tensor<Float>(shape: shape, scalars: float32Values(count: shape.count, seed: 3))
    let url = dir.appendingPathComponent("input.npy")
    try Npy.writeTensor(url, tensor)
    #expect(try Npy.readTensor(url, as: Float.self, expectedShape: shape.dims, field: "input")
      .scalars.map(\.bitPattern) == tensor.scalars.map(\.bitPattern))
    // The values include a NaN, and NaN ≠ NaN: compare bit patterns.
    let wide = try Npy.readTensor(url, as: Double.self, field: "input")
    #expect(wide.shape == shape)
    #expect(wide.scalars.map(\.bitPattern) == tensor.scalars.map { Double($0).bitPattern })

    let wrong = [2, 3, 1, 1, 8]
    let shapeError = #expect(throws: IOError.self) {
      try Npy.readTensor(url, as: Float.self, expectedShape: wrong, field: "input")
    }
    #expect(shapeError?.message == "input: expected shape (2, 3, 1, 1, 8), found (2, 3, 1, 1, 7)")
    #expect(shapeError?.file == url.path)

    let matrix = dir.appendingPathComponent("weights.npy")
    try Npy.write(matrix, shape: [3, 2], float32: [1, 2, 3, 4, 5, 6])
    #expect(try Npy.read(matrix, expectingShape: [3, 2], field: "weights") == [1, 2, 3, 4, 5, 6])
    let matrixError = #expect(throws: IOError.self) {
      try Npy.read(matrix, expectingShape: [2, 3], field: "weights")
    }
    #expect(matrixError?.message == "weights: expected shape (2, 3), found (3, 2)")
    let rankError = #expect(throws: IOError.self) {
      try Npy.readTensor(matrix, as: Float.self, field: "weights")
    }
    #expect(rankError?.message.contains("expected a rank-5 (N, C, H, W, T) array, found rank 2")
      == true)
    let missing = #expect(throws: IOError.self) {
      try Npy.read(dir.appendingPathComponent("absent.npy"))
    }
    #expect(missing?.description.hasPrefix(dir.appendingPathComponent("absent.npy").path) == true)
  }

  // MARK: numpy itself

  @Test("encoder output is byte-identical to numpy.save, and numpy's files decode")
  func matchesNumpy() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Values i·0.5 − 1 are exact in both precisions, so both sides compute the same bits.
    var lines = ["import numpy as np, sys, os", "d = sys.argv[1]"]
    for (i, shape) in Self.shapes.enumerated() {
      let tuple = Npy.tupleText(shape)
      lines.append("for t in ('f4', 'f8'):")
      lines.append("    n = np.prod(\(tuple), dtype=np.int64)")
      lines.append("    a = (np.arange(n) * 0.5 - 1).astype('<' + t)")
      lines.append("    np.save(os.path.join(d, '\(i)-' + t + '.npy'), a.reshape(\(tuple)))")
    }
    lines.append("np.save(os.path.join(d, 'u1.npy'), np.array([[0, 200]], dtype=np.uint8))")
    lines.append("np.save(os.path.join(d, 'i8.npy'), np.array([-7, 1 << 40], dtype='<i8'))")
    lines.append("np.save(os.path.join(d, 'b1.npy'), np.array([True, False]))")
    lines.append("np.save(os.path.join(d, 'be.npy'), np.array([1.5], dtype='>f4'))")
    let script = dir.appendingPathComponent("make.py")
    try Data(lines.joined(separator: "\n").utf8).write(to: script)
    guard let status = runPython([script.path, dir.path]), status == 0 else {
      print("Npy.matchesNumpy skipped: `python3` with numpy is not available")
      return
    }
    for (i, shape) in Self.shapes.enumerated() {
      let values = (0..<shape.reduce(1, *)).map { Double($0) * 0.5 - 1 }
      let f4 = try Data(contentsOf: dir.appendingPathComponent("\(i)-f4.npy"))
      let f8 = try Data(contentsOf: dir.appendingPathComponent("\(i)-f8.npy"))
      #expect(Npy.encode(shape: shape, float32: values.map(Float.init)) == f4, "shape \(shape)")
      #expect(Npy.encode(shape: shape, float64: values) == f8, "shape \(shape)")
    }
    #expect(try Npy.read(dir.appendingPathComponent("u1.npy")) ==
      Npy.Array(shape: [1, 2], values: [0, 200], dtype: "|u1"))
    #expect(try Npy.read(dir.appendingPathComponent("i8.npy")).values == [-7, 0x1p40])
    #expect(try Npy.read(dir.appendingPathComponent("b1.npy")).values == [1, 0])
    let bigEndian = #expect(throws: IOError.self) {
      try Npy.read(dir.appendingPathComponent("be.npy"))
    }
    #expect(bigEndian?.message.contains("found '>f4' (big-endian") == true)
  }

  // MARK: Malformed input

  @Test("malformed files throw IOError naming the problem", arguments: MalformedCase.all)
  func malformed(_ c: MalformedCase) {
    let error = #expect(throws: IOError.self) { try Npy.decode(Data(c.bytes), file: "case.npy") }
    #expect(error?.file == "case.npy")
    #expect(error?.message.contains(c.fragment) == true,
            "message: \(error?.message ?? "none")\nwanted: \(c.fragment)")
    #expect(error?.description == "case.npy: \(error?.message ?? "")")
  }

  @Test("no truncation or byte mutation crashes the decoder")
  func fuzz() {
    let valid = [UInt8](Npy.encode(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6]))
    for length in 0...valid.count + 1 {
      let bytes = length <= valid.count ? Array(valid.prefix(length)) : valid + [0]
      expectDecodesOrThrowsIOError(bytes)
    }
    let seed: UInt64 = 0x4E50_5946
    var rng = SplitMix64(seed: seed)
    let alphabet = Array("{}()[],:'\" -0123456789.eTFN<>|fiub\n\\".utf8)
    for _ in 0..<3000 {
      var bytes = valid
      for _ in 0..<Int(rng.next() % 4 + 1) {
        let at = Int(rng.next() % UInt64(bytes.count))
        let random = rng.next()
        // Half the time a byte the header grammar cares about, half the time any byte.
        bytes[at] = random % 2 == 0
          ? alphabet[Int(random / 2 % UInt64(alphabet.count))]
          : UInt8(truncatingIfNeeded: random >> 8)
      }
      expectDecodesOrThrowsIOError(bytes, seed: seed)
    }
  }

  // MARK: AtomicFile

  @Test("AtomicFile.write creates, then replaces, leaving no temporary file")
  func atomicWrite() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("a.bin")
    try AtomicFile.write(Data([1, 2, 3]), to: url)
    try AtomicFile.write(Data([4, 5]), to: url)
    #expect(try Data(contentsOf: url) == Data([4, 5]))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.bin"])
    let error = #expect(throws: IOError.self) {
      try AtomicFile.write(Data([1]), to: dir.appendingPathComponent("no/such/dir/b.bin"))
    }
    #expect(error?.file == dir.appendingPathComponent("no/such/dir/b.bin").path)
  }

  @Test("AtomicFile.replaceDirectory creates, then swaps in, a directory")
  func replaceDirectory() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let final = dir.appendingPathComponent("out")
    try AtomicFile.replaceDirectory(at: final) { temp in
      try Data([1]).write(to: temp.appendingPathComponent("old.txt"))
    }
    try AtomicFile.replaceDirectory(at: final) { temp in
      #expect(temp.deletingLastPathComponent().path == dir.path)
      #expect(temp.lastPathComponent.hasPrefix(".out.tmp-"))
      try Data([2]).write(to: temp.appendingPathComponent("new.txt"))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: final.path) == ["new.txt"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
  }

  @Test("a failing build leaves the old directory intact and no temporary directory")
  func replaceDirectoryFailure() throws {
    struct BuildFailed: Error, Equatable {}
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let final = dir.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: final, withIntermediateDirectories: false)
    try Data([1]).write(to: final.appendingPathComponent("old.txt"))
    #expect(throws: BuildFailed()) {
      try AtomicFile.replaceDirectory(at: final) { temp in
        try Data([2]).write(to: temp.appendingPathComponent("half.txt"))
        throw BuildFailed()
      }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: final.path) == ["old.txt"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out"])
  }
}

// MARK: - Malformed cases

/// One malformed file and a fragment its error message must contain.
struct MalformedCase: Sendable, CustomTestStringConvertible {
  var name: String
  var bytes: [UInt8]
  var fragment: String
  var testDescription: String { name }

  static let all: [MalformedCase] = {
    let valid = [UInt8](Npy.encode(shape: [2, 3], float32: [1, 2, 3, 4, 5, 6]))
    let rank5 = [UInt8](Npy.encode(shape: [2, 3, 1, 1, 200], float32: [Float](repeating: 0,
      count: 1200)))
    func header(_ descr: String = "'<f4'", order: String = "False", shape: String) -> String {
      "{'descr': \(descr), 'fortran_order': \(order), 'shape': \(shape), }\n"
    }
    var badMagic = valid
    badMagic[5] = UInt8(ascii: "Z")
    var version9 = valid
    version9[6] = 9
    var tooLong = valid
    tooLong[8] = 0xE8  // 1000 = 0x03E8
    tooLong[9] = 0x03
    return [
      .init(name: "bad magic", bytes: badMagic,
            fragment: "magic: expected bytes 93 4E 55 4D 50 59 (\\x93NUMPY) at byte offset 0, "
              + "found 93 4E 55 4D 50 5A"),
      .init(name: "empty file", bytes: [], fragment: "expected at least 10 bytes"),
      .init(name: "short file", bytes: Array(valid.prefix(5)),
            fragment: "found 5 (file ends at byte offset 5)"),
      .init(name: "no header length", bytes: Array(valid.prefix(9)),
            fragment: "header length: expected 2 bytes at byte offset 8"),
      .init(name: "version 9", bytes: version9,
            fragment: "version: expected 1.0, 2.0 or 3.0 at byte offset 6, found 9.0"),
      .init(name: "header length beyond the file", bytes: tooLong,
            fragment: "expected 1000 header bytes from byte offset 10 (length field at byte "
              + "offset 8), found 142 (file ends at byte offset 152)"),
      .init(name: "non-dict header", bytes: npyFile("[1, 2]\n"),
            fragment: "expected a Python dict literal such as"),
      .init(name: "unterminated string", bytes: npyFile("{'descr': '<f4\n"),
            fragment: "expected a closing quote for the string opened at byte offset 20"),
      .init(name: "missing comma", bytes: npyFile("{'descr': '<f4' 'shape': ()}"),
            fragment: "expected ',' or '}' at byte offset 26, found ''shape': ()}'"),
      .init(name: "bare word", bytes: npyFile("{'descr': float32}"),
            fragment: "expected a value at byte offset 20"),
      .init(name: "deep nesting", bytes: npyFile("{'shape': " + String(repeating: "(", count: 100)),
            fragment: "expected at most 32 levels of nesting"),
      .init(name: "missing 'shape'", bytes: npyFile("{'descr': '<f4', 'fortran_order': False}"),
            fragment: "expected key 'shape', found keys 'descr', 'fortran_order'"),
      .init(name: "extra key", bytes: npyFile("{'descr': '<f4', 'fortran_order': False, "
              + "'shape': (1,), 'x': 1}"),
            fragment: "found key 'x'"),
      .init(name: "structured descr", bytes: npyFile(header("[('a', '<f4')]", shape: "(1,)")),
            fragment: "found a list [('a', '<f4')] (structured dtypes are not supported)"),
      .init(name: "big-endian", bytes: npyFile(header("'>f4'", shape: "(1,)"), [0, 0, 0, 0]),
            fragment: "header: expected a little-endian descr such as '<f4', found '>f4'"),
      .init(name: "complex dtype", bytes: npyFile(header("'<c8'", shape: "(1,)")),
            fragment: "expected descr one of '<f4', '<f8', '|u1', '<u1', '<i4', '<i8', '|b1', "
              + "found '<c8'"),
      .init(name: "fortran_order True", bytes: npyFile(header(order: "True", shape: "(2, 2)")),
            fragment: "expected 'fortran_order': False (C order), found True"),
      .init(name: "fortran_order not a bool", bytes: npyFile(header(order: "0", shape: "(1,)")),
            fragment: "expected fortran_order to be False, found an integer 0"),
      .init(name: "negative extent", bytes: npyFile(header(shape: "(2,-1)")),
            fragment: "expected non-negative shape entries, found -1 at entry 1 of shape (2, -1)"),
      .init(name: "float extent", bytes: npyFile(header(shape: "(2.0, 3)")),
            fragment: "expected integer shape entries, found 2.0 at entry 0"),
      .init(name: "shape as a list", bytes: npyFile(header(shape: "[2, 3]")),
            fragment: "expected shape to be a tuple of integers such as (2, 3), found a list"),
      .init(name: "extent beyond 64 bits", bytes: npyFile(header(shape: "(99999999999999999999,)")),
            fragment: "expected shape entries that fit in 64 bits, found 99999999999999999999"),
      .init(name: "element count overflows",
            bytes: npyFile(header(shape: "(4611686018427387904, 4)")),
            fragment: "found (4611686018427387904, 4) (the product overflows)"),
      .init(name: "byte count overflows", bytes: npyFile(header(shape: "(2305843009213693952,)")),
            fragment: "(2305843009213693952 × 4 bytes overflows)"),
      .init(name: "huge shape, little data", bytes: npyFile(header(shape: "(1000000000000,)")),
            fragment: "expected 4000000000000 bytes for shape (1000000000000,) of <f4, found 0"),
      .init(name: "truncated data", bytes: Array(rank5.dropLast(4)),
            fragment: "data: expected 4800 bytes for shape (2, 3, 1, 1, 200) of <f4, found 4796 "
              + "(file truncated at byte offset 4924)"),
      .init(name: "trailing data", bytes: rank5 + [1, 2, 3, 4],
            fragment: "data: expected 4800 bytes for shape (2, 3, 1, 1, 200) of <f4, found 4804 "
              + "(4 trailing bytes from byte offset 4928)"),
    ]
  }()
}

// MARK: - Helpers

/// A `.npy` file with the given header text (not padded) and payload, version `major`.0.
func npyFile(_ header: String, _ payload: [UInt8] = [], _ major: UInt8 = 1) -> [UInt8] {
  let text = [UInt8](header.utf8)
  return Npy.magic + [major, 0] + littleEndian([UInt64(text.count)], size: major == 1 ? 2 : 4)
    + text + payload
}

/// Each value's low `size` bytes, least significant first.
func littleEndian(_ values: [UInt64], size: Int) -> [UInt8] {
  var bytes: [UInt8] = []
  for value in values { Npy.appendLittleEndian(value, size: size, to: &bytes) }
  return bytes
}

/// Awkward Floats first (signed zero, infinities, a NaN with payload, extremes), then seeded noise.
func float32Values(count: Int, seed: UInt64) -> [Float] {
  let special: [Float] = [
    -0.0, .infinity, -.infinity, Float(nan: 0x1234, signaling: false), .leastNonzeroMagnitude,
    .greatestFiniteMagnitude, -.leastNormalMagnitude, 1,
  ]
  var rng = SplitMix64(seed: seed)
  return (0..<count).map { i in
    i < special.count ? special[i] : Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
  }
}

/// Decoding `bytes` either succeeds or throws an `IOError`; anything else is recorded.
func expectDecodesOrThrowsIOError(
  _ bytes: [UInt8], seed: UInt64? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    _ = try Npy.decode(Data(bytes), file: "fuzz.npy")
  } catch is IOError {
  } catch {
    Issue.record("non-IOError \(error) for \(bytes) (seed \(seed.map(String.init) ?? "none"))",
                 sourceLocation: sourceLocation)
  }
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("NpyTests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Runs `python3 arguments…` and returns its exit status, or nil if it cannot be started.
func runPython(_ arguments: [String]) -> Int32? {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3"] + arguments
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return nil }
  process.waitUntilExit()
  return process.terminationStatus
}
