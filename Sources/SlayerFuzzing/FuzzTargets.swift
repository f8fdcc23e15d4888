// Fuzz targets (issue 8): each parser a user's file reaches, behind one function that takes any
// bytes. A target returns normally when the parser accepts the bytes or throws an `IOError`;
// anything else is a finding: a trap (out-of-range index, overflow, a SlayerCore precondition), an
// error of another type, or a broken invariant, checked with `precondition` so that the fuzzer
// sees it as a crash.
//
// Implementation goals, in order of priority:
//   1. Reach what a user's file reaches: `.npy` through `Npy.decode`, `case.json` through the case
//      reader with real fixture arrays (and, when the case is small, through a whole forward and
//      backward pass, which no SlayerCore precondition may stop), event files through the decoders,
//      the data-set checks and the binning, YAML through `NetworkParameters`, sample lists.
//   2. Invariants beyond "no crash": what decodes re-encodes to the same bits.
//   3. Cheap: no file system, no printing, so that libFuzzer runs tens of thousands a second.
// The same functions run under libFuzzer (`Fuzz/LibFuzzerEntry.swift`, `.ci/fuzz`) and replay
// the corpus of past crashes in `Tests/FuzzCorpus` (`swift test`).
import Foundation
import SlayerCore
import SlayerIO

/// One parser under test.
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// `Npy.decode`: the bytes are a `.npy` file.
  case npy
  /// The case reader: the bytes are `case.json`, optionally followed by a zero byte and the bytes
  /// of one more array, `x.npy`; the other arrays it names come from ``FuzzContext``. So the fuzzer
  /// mutates the JSON and one array together (shapes that do not chain, odd dtypes in a case).
  case `case`
  /// The event decoders: the first byte picks the format (`.bs1`, `.bs2`, `.bs3`, `.bsn`) and a
  /// sampling time, the rest is the file.
  case events
  /// `NetworkParameters.parse`: the bytes are a `network.yaml`.
  case yaml
  /// `NMNISTDataset.parseList`: the bytes are a sample list such as `train1K.txt`.
  case list

  /// Runs the parser on `bytes`; returns unless a finding stops the process.
  public func run(_ bytes: [UInt8], context: FuzzContext) {
    do {
      switch self {
      case .npy: try Self.npy(bytes)
      case .case: try Self.caseJSON(bytes, context: context)
      case .events: try Self.events(bytes)
      case .yaml:
        let p = try NetworkParameters.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz.yaml")
        // What every reader of the file does next: count the samples of its grid.
        precondition(p.simulation.steps >= 1, "yaml: a grid of \(p.simulation.steps) samples was accepted")
      case .list: _ = try NMNISTDataset.parseList(String(decoding: bytes, as: UTF8.self), file: "fuzz.txt")
      }
    } catch is IOError {
    } catch {
      preconditionFailure("\(rawValue): a parser threw \(type(of: error)), not IOError: \(error)")
    }
  }

  // MARK: Targets

  static func npy(_ bytes: [UInt8]) throws {
    let data = Data(bytes)
    let header = try Npy.decodeHeader(data, file: "fuzz.npy")
    let a = try Npy.decode(data, file: "fuzz.npy")
    precondition(a.shape == header.shape && a.dtype == header.descr && a.values.count == header.count,
                 "npy: decodeHeader says \(header), decode gives shape \(a.shape), \(a.values.count) values")
    guard a.dtype == "<f4" else { return }
    // float32 elements travel as bit patterns: decode → encode → decode keeps every bit (NaN too).
    let floats = a.values.map { Float($0) }
    let again = try Npy.decode(Npy.encode(shape: a.shape, float32: floats), file: "again.npy")
    precondition(again.shape == a.shape && zip(again.values, a.values).allSatisfy {
      Float($0).bitPattern == Float($1).bitPattern
    }, "npy: a float32 array did not survive encode → decode")
  }

  static func caseJSON(_ bytes: [UInt8], context: FuzzContext) throws {
    let (json, arrays) = caseFiles(bytes, context: context)
    // Both readers see every input: each must refuse the other's cases cleanly.
    do { try tsslCase(json, arrays, context) } catch is IOError {}
    let c = try SlayerCase.decode(caseJSON: json, arrays: arrays,
                                  directory: URL(fileURLWithPath: "/fuzz"), memoryLimit: context.memoryLimit)
    precondition(c.memoryEstimate <= context.memoryLimit, "case: loaded with an estimate above the limit")
    // A loaded case must compute without tripping a SlayerCore precondition. Only small ones, to
    // keep the fuzzer fast: the forward and backward pass cost about elements × kernel length.
    guard c.memoryEstimate <= context.computeLimit else { return }
    let result = CaseRunner.compute(c)
    precondition(result.outputs.count == c.opNames.count, "case: \(result.outputs.count) outputs for \(c.opNames.count) ops")
  }

  /// The TSSL-BP reader, and for a small loaded case the forward and backward pass.
  static func tsslCase(_ json: Data, _ arrays: [String: Data], _ context: FuzzContext) throws {
    let c = try TSSLCase.decode(caseJSON: json, arrays: arrays, directory: URL(fileURLWithPath: "/fuzz"),
                                memoryLimit: context.computeLimit)
    let result = TSSLCaseRunner.compute(c)
    precondition(result.outputs.count == c.opNames.count, "tssl case: \(result.outputs.count) outputs for \(c.opNames.count) ops")
  }

  /// The `case` target's input split into `case.json` and the arrays (the context's, plus `x.npy`
  /// after a zero byte).
  public static func caseFiles(_ bytes: [UInt8], context: FuzzContext) -> (json: Data, arrays: [String: Data]) {
    guard let split = bytes.firstIndex(of: 0) else { return (Data(bytes), context.arrays) }
    var arrays = context.arrays
    arrays["x.npy"] = Data(bytes[(split + 1)...])
    return (Data(bytes[..<split]), arrays)
  }

  static func events(_ bytes: [UInt8]) throws {
    guard let selector = bytes.first else { return }
    let data = Data(bytes.dropFirst())
    let Ts = [0.1, 1, 3.5, 1000][Int(selector >> 2 & 3)]
    let mode: BinningMode = selector & 16 == 0 ? .or : .sum
    let shape = Shape(n: 1, c: 2, h: 3, w: 5, t: 16)
    let events: Events
    switch selector & 3 {
    case 0:
      events = try EventFile.decode1D(data, file: "fuzz.bs1")
      let again = try EventFile.encode1D(events, file: "e")
      precondition(again == data, "bs1: decode → encode changed the bytes")
      try? EventFile.validate1D(events, neurons: 200, timeOrdered: selector & 32 != 0, file: "fuzz.bs1")
    case 1:
      events = try EventFile.decode2D(data, file: "fuzz.bs2")
      let again = try EventFile.encode2D(events, file: "e")
      precondition(again == data, "bs2: decode → encode changed the bytes")
      try? EventFile.validate2D(events, width: 34, height: 34, channels: 2, timeOrdered: true, file: "fuzz.bs2")
    case 2:
      events = try EventFile.decode3D(data, file: "fuzz.bs3")
      let again = try EventFile.encode3D(events, file: "e")
      precondition(again == data, "bs3: decode → encode changed the bytes")
    default:
      let targets = try EventFile.decodeNumSpikes(data, file: "fuzz.bsn")
      let again = try EventFile.encodeNumSpikes(targets, file: "e")
      precondition(again == data, "bsn: decode → encode changed the bytes")
      try? EventFile.validateNumSpikes(targets, neurons: 10, file: "fuzz.bsn")
      return
    }
    let x: Tensor<Float> = SpikeBinning.toSpikeTensor(events, shape: shape, Ts: Ts, mode: mode,
                                                      startMs: Double(selector >> 6))
    precondition(x.scalars.count == shape.count, "binning: \(x.scalars.count) values for \(shape)")
  }
}

/// What the targets share: the fixture arrays a fuzzed `case.json` may name, and the limits.
public struct FuzzContext: Sendable {
  /// `"<case>/<file>.npy"` → the bytes of that array of `Fixtures/<case>/`.
  public var arrays: [String: Data]
  /// The memory limit a fuzzed case is loaded with (64 MB: the fuzzer must not be the one to
  /// exhaust memory).
  public var memoryLimit = 64_000_000
  /// Cases whose estimate is at most this many bytes are also computed.
  public var computeLimit = 2_000_000

  /// A context with the given arrays.
  public init(arrays: [String: Data]) { self.arrays = arrays }

  /// Reads every input `.npy` of every case under `fixtures` (not `expected/`); no arrays when
  /// the directory is missing (the case target then only exercises the JSON checks).
  public init(fixtures: URL) {
    var arrays: [String: Data] = [:]
    let fm = FileManager.default
    for name in (try? fm.contentsOfDirectory(atPath: fixtures.path)) ?? [] {
      let dir = fixtures.appendingPathComponent(name)
      for file in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where file.hasSuffix(".npy") {
        arrays["\(name)/\(file)"] = try? Data(contentsOf: dir.appendingPathComponent(file))
      }
    }
    self.init(arrays: arrays)
  }
}
