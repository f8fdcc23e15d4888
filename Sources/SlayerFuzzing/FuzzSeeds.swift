// Starting inputs for each fuzz target: valid files, so that mutations start deep inside the
// parsers instead of at their first byte. Built here rather than stored, from the fixture library
// (its arrays and `case.json` files) and from the writers, so that they follow the formats as the
// code changes.
import Foundation
import SlayerCore
import SlayerIO

extension FuzzTarget {
  /// Valid inputs for this target; the case seeds name the arrays of `context`.
  public func seeds(context: FuzzContext, fixtures: URL) -> [[UInt8]] {
    switch self {
    case .npy: Self.npySeeds(context)
    case .case: Self.caseSeeds(fixtures, context)
    case .events: Self.eventSeeds()
    case .yaml: Self.yamlSeeds.map { Array($0.utf8) }
    case .list: [Array("#sample #class\r\n1\t5\r\n2\t0\r\n\n# end\n17 9\n".utf8)]
    }
  }

  /// Distinct fixture arrays (the smallest few hundred bytes of each shape), plus every dtype and
  /// header version the reader accepts.
  static func npySeeds(_ context: FuzzContext) -> [[UInt8]] {
    var seeds = Set(context.arrays.values.filter { $0.count <= 4096 }.map { [UInt8]($0) })
    seeds.insert([UInt8](Npy.encode(shape: [], float32: [1.5])))
    seeds.insert([UInt8](Npy.encode(shape: [2, 0, 3], float32: [])))
    seeds.insert([UInt8](Npy.encode(shape: [3], float64: [0.25, -1e300, .nan])))
    for (descr, body) in [("|u1", [UInt8]([1, 2, 3])), ("<i4", [255, 255, 255, 255, 4, 0, 0, 0]), ("|b1", [0, 7])] {
      let count = descr == "<i4" ? 2 : body.count
      seeds.insert(header(version: 1, "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(count),), }") + body)
    }
    seeds.insert(header(version: 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }") + [0, 0, 128, 63])
    seeds.insert(header(version: 3, "{\"descr\": \"<i8\", \"fortran_order\": False, \"shape\": (1,)}") + [1, 0, 0, 0, 0, 0, 0, 128])
    return seeds.sorted { $0.lexicographicallyPrecedes($1) }
  }

  /// Magic, version, little-endian length and `dict` padded with spaces and a newline to 64 bytes.
  static func header(version: UInt8, _ dict: String) -> [UInt8] {
    let lengthSize = version == 1 ? 2 : 4
    var text = Array(dict.utf8)
    while (8 + lengthSize + text.count + 1) % 64 != 0 { text.append(0x20) }
    text.append(0x0A)
    let length = (0..<lengthSize).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + text
  }

  /// Every fixture's `case.json` with its array names prefixed by the case (`"w.npy"` →
  /// `"op-dense/w.npy"`), the keys ``FuzzContext/arrays`` uses; mutations then mix arrays of
  /// different cases, which is how shapes fail to chain. Each case also comes with its input as
  /// the trailing `x.npy`, so that the array's bytes are mutated with the JSON.
  static func caseSeeds(_ fixtures: URL, _ context: FuzzContext) -> [[UInt8]] {
    caseTexts(fixtures).flatMap { name, text in
      let plain = Array(text.utf8)
      let key = "\"input\": \"\(name)/input.npy\""
      guard text.contains(key), let input = context.arrays["\(name)/input.npy"] else { return [plain] }
      let withArray = Array(text.replacingOccurrences(of: key, with: "\"input\": \"x.npy\"").utf8) + [0] + [UInt8](input)
      return [plain, withArray]
    }
  }

  /// The rewritten `case.json` of every fixture, by case name.
  static func caseTexts(_ fixtures: URL) -> [(String, String)] {
    let fm = FileManager.default
    let names = ((try? fm.contentsOfDirectory(atPath: fixtures.path)) ?? []).sorted()
    return names.compactMap { name in
      guard let data = try? Data(contentsOf: fixtures.appendingPathComponent(name).appendingPathComponent("case.json")),
            let text = String(data: data, encoding: .utf8) else { return nil }
      // The description is long free text the fuzzer gains nothing from mutating.
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("  \"description\"") }
        .map { line in line.replacing(/: "([A-Za-z0-9_.-]+\.npy)"/) { ": \"\(name)/\($0.output.1)\"" } }
      return (name, lines.joined(separator: "\n"))
    }
  }

  /// A few events of each format, written by the writers, each behind its selector byte.
  static func eventSeeds() -> [[UInt8]] {
    let oneD = Events(neuron: [0, 3, 199, 256], channel: [1, 0, 1, 1], timeMs: [0.5, 1, 1, 2.75])
    let twoD = Events(x: [0, 33, 4, 4], y: [0, 33, 2, 2], channel: [1, 0, 1, 0], timeMs: [0.001, 1.5, 2, 2])
    let threeD = Events(x: [4095, 1, 300], y: [0, 2, 4095], channel: [255, 0, 7], timeMs: [0, 16777.215, 3])
    let targets = SpikeCountTargets(id: [0, 9, 3], tStartMs: [0, 0, 100], tEndMs: [300, 300, 200], count: [60, 10, 65535])
    var seeds: [[UInt8]] = []
    for selector: UInt8 in [0, 4, 32 | 8, 16 | 64] {
      seeds.append([selector] + [UInt8]((try? EventFile.encode1D(oneD, file: "s")) ?? Data()))
      seeds.append([selector | 1] + [UInt8]((try? EventFile.encode2D(twoD, file: "s")) ?? Data()))
      seeds.append([selector | 2] + [UInt8]((try? EventFile.encode3D(threeD, file: "s")) ?? Data()))
    }
    seeds.append([3] + [UInt8]((try? EventFile.encodeNumSpikes(targets, file: "s")) ?? Data()))
    return seeds
  }

  /// Network files in slayerPytorch's styles: flow maps, block maps, comments, the quirks.
  static let yamlSeeds = [
    """
    simulation:
      Ts: 1.0
      tSample: 300
      nSample: 12
    neuron:
      type:     SRMALPHA
      theta:    10
      tauSr:    1.0
      tauRef:   1.0
      scaleRef: 2     # relative to theta
      tauRho:   1     # relative to theta
      scaleRho: 1
    layer:
      - {dim: 34x34x2, wScale: 0.5}
      - {dim: 512}
      - {dim: 10}
    training:
      error:
        type: NumSpikes
        tgtSpikeRegion: {start: 0, stop: 300}
        tgtSpikeCount: {true: 60, false: 10}
      path:
        out: Trained/
        in: ../NMNISTsmall/
        train: ../NMNISTsmall/train1K.txt

    """,
    """
    ---
    simulation: {Ts: 0.1, tSample: 50}
    neuron: {type: SRMALPHA, theta: 10, tauSr: 1.0, tauRef: 1.0, scaleRef: 2, tauRho: 0.1, scaleRho: 1, refKernelEpsilon: 1e-4}
    layer: [{dim: 250}, {dim: 25}, {dim: 1}]
    training:
      error: {type: SpikeTime, probSlidingWin: 20, tgtSpikeRegion: {start: 0, end: 50}, tgtSpikeRate: {true: 0.2, false: 0.02}}
      learning: {etaW: 0.01, lambda: "1e-4"}
      stopif: {maxIter: 10000, minCost: 1.0e-6}

    """,
    """
    # Oxford
    simulation:
        Ts: 1.0
        tSample: 1900
    neuron:
        type: 'SRMALPHA'
        theta: 10
        tauSr: 10.0
        tauRef: 1.0
        scaleRef: 2
        tauRho: 1
        scaleRho: 1
    layer:
        - dim: 200
        - dim: 256
        - dim: 200
    training:
        error:
            type: SpikeTime
            tgtSpikeRegion:
                start: 0
                stop: 1900
        optimizer: "Adam"

    """,
  ]
}
