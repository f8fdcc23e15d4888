// The golden-case library in `Fixtures/` (`Docs/FixtureFormat.md`): case definitions with their
// seeds, and the generator that writes them (`slayer fixtures generate`).
//
// Implementation goals, in order of priority:
//   1. Deterministic bytes: every array is drawn from a seeded SplitMix64 or written by hand, every
//      file with fixed formatting, so the bytes depend on the definitions alone (any thread count).
//   2. The margin rule: no case whose spikes a correct float32 backend may legitimately flip. A
//      spike op's crossing margin min |u − θ| must be ≥ `Tolerance.marginTolerance` (1e-3, the
//      potentials' atol), and so must a TSSL-BP `lif` op's warm-up margin min |a − 1/(4τs)|, whose
//      side picks the gradient's branch; the generator tries a definition's candidate seeds in order and keeps the
//      first that passes, and refuses the case (an `IOError` naming the case, the op and the margin)
//      when none does, unless the definition is `borderline`.
//   3. One code path: `slayer fixtures generate` and the regression test build a case the same way
//      (`FixtureLibrary.build(_:in:)`).
import Foundation
import SlayerCore

/// The arrays a case names: file name → (shape, values in C order).
public typealias FixtureArrays = [String: (shape: [Int], values: [Float])]

/// One case of the library, before its seed is chosen: what `case.json` says, and how to draw the
/// arrays it names from a seed.
public struct CaseDefinition: Sendable {
  /// Directory name under `Fixtures/`.
  public var name: String
  /// What the case exercises and why a backend gets it wrong. The generator appends the seed it
  /// used and, for a borderline case, that the margin rule does not apply.
  public var description: String
  /// The neuron of `case.json`.
  public var neuron: NeuronParameters
  /// The time grid of `case.json`.
  public var simulation: SimulationParameters
  /// The ops as case-format JSON objects.
  public var ops: [[String: JSON]]
  /// The loss as a case-format JSON object, or nil.
  public var loss: [String: JSON]?
  /// Candidate seeds, tried in order: the generator keeps the first whose crossing margins are all
  /// ≥ ``Tolerance/marginTolerance``. Empty for a case built by hand (`arrays` ignores its seed).
  public var seeds: [UInt64] = []
  /// The case is about a crossing closer to θ than ``Tolerance/marginTolerance``: the margin rule
  /// does not apply to it, and at least one margin must be below it. Not a `case.json` key (the
  /// contract fixes those); the description says so instead.
  public var borderline = false
  /// The `neuron` object of `case.json` when it is not SRMALPHA's (a TSSL-BP case's
  /// `{"type": "TSSLBP", …}`); `neuron` is then unused.
  public var neuronObject: [String: JSON]? = nil
  /// Every `.npy` the case names, drawn from a seed.
  public var arrays: @Sendable (UInt64) -> FixtureArrays

  /// The case with `seed` (nil for a seedless case): its final description and its arrays.
  public func instance(seed: UInt64?) -> FixtureCase {
    var text = description
    if let seed {
      let candidates = seeds.map(String.init).joined(separator: ", ")
      text += " Seed \(seed) (candidates \(candidates): the generator keeps the first whose crossing margins "
        + "are all ≥ \(Tolerance.marginTolerance))."
    }
    if borderline {
      text += " Borderline: true (a flag of the definition): the margin rule does not apply, and `compare` "
        + "excuses a spike that differs where the expected |u − θ| < \(Tolerance.marginTolerance)."
    }
    return FixtureCase(definition: self, seed: seed, description: text, arrays: arrays(seed ?? 0))
  }
}

/// One case with its seed chosen: the bytes of `case.json` and its arrays.
public struct FixtureCase: Sendable {
  /// The definition the case was generated from.
  public var definition: CaseDefinition
  /// The seed used, nil for a case built by hand.
  public var seed: UInt64?
  /// The description written to `case.json`.
  public var description: String
  /// The arrays, generated from the seed.
  public var arrays: FixtureArrays

  /// The `case.json` text.
  public var caseJSON: String {
    let neuron = definition.neuron, simulation = definition.simulation
    var root: [String: JSON] = [
      "format": .string("slayer-case"), "version": .number(1), "description": .string(description),
      "simulation": .object(["Ts": .number(simulation.Ts), "tSample": .number(simulation.tSample)]),
      "neuron": .object(definition.neuronObject ?? [
        "type": .string("SRMALPHA"), "theta": .number(neuron.theta), "tauSr": .number(neuron.tauSr),
        "tauRef": .number(neuron.tauRef), "scaleRef": .number(neuron.scaleRef), "tauRho": .number(neuron.tauRho),
        "scaleRho": .number(neuron.scaleRho), "refKernelEpsilon": .number(neuron.refKernelEpsilon),
      ]),
      "input": .string("input.npy"),
      "ops": .array(definition.ops.map { .object($0) }),
    ]
    if let loss = definition.loss { root["loss"] = .object(loss) }
    return JSON.object(root).text()
  }

  /// Writes `case.json` and the arrays into `directory` (which must exist).
  public func write(to directory: URL) throws {
    try AtomicFile.write(Data(caseJSON.utf8), to: directory.appendingPathComponent(SlayerCase.fileName))
    for name in arrays.keys.sorted() {
      let a = arrays[name]!
      try Npy.write(directory.appendingPathComponent(name), shape: a.shape, float32: a.values)
    }
  }
}

/// The cases of `Fixtures/` and their generator.
public enum FixtureLibrary {
  /// Every case definition, in the order they are written.
  public static var definitions: [CaseDefinition] {
    CoreFixtures.all + LayerFixtures.all + OpFixtures.all + EdgeFixtures.all + TSSLFixtures.all
  }

  /// Writes every case (inputs and `expected/`) under `root`, replacing each case directory
  /// atomically, and returns one summary line per case.
  ///
  /// - Throws: ``IOError`` from writing, or from ``build(_:in:)`` for a case that breaks the
  ///   margin rule with every candidate seed (the case's directory is then left as it was).
  public static func generate(into root: URL) throws -> [String] {
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    var lines: [String] = []
    for definition in definitions {
      var built: (FixtureCase, CaseResult)!
      try AtomicFile.replaceDirectory(at: root.appendingPathComponent(definition.name)) { temp in
        built = try build(definition, in: temp)
      }
      let (fixture, result) = built!
      let margins = result.spikeReports.map { String(format: "%.3g", $0.margin) }.joined(separator: ", ")
      let seed = fixture.seed.map { "seed \($0), " } ?? ""
      lines.append("\(definition.name): \(result.summary); \(seed)margins [\(margins)]"
        + (definition.borderline ? " (borderline)" : ""))
    }
    return lines
  }

  /// Writes `definition` into the empty directory `dir` with the first candidate seed that passes
  /// the margin rule, computes its `expected/`, and returns the case and its result.
  ///
  /// The margin rule: every spike op's min |u − θ| (and a `lif` op's warm-up margin) ≥
  /// ``Tolerance/marginTolerance``, or, for a
  /// `borderline` definition, at least one below it (a flag that no longer describes its case is
  /// an error too).
  ///
  /// - Throws: ``IOError`` naming the case, the op and its margin when no candidate passes.
  public static func build(_ definition: CaseDefinition, in dir: URL) throws -> (FixtureCase, CaseResult) {
    let candidates: [UInt64?] = definition.seeds.isEmpty ? [nil] : definition.seeds.map { $0 }
    var rejected: [String] = []
    for seed in candidates {
      try clear(dir)
      let fixture = definition.instance(seed: seed)
      try fixture.write(to: dir)
      let result = try CaseRunner.run(dir)
      let narrow = result.spikeReports.filter { $0.narrowestMargin < Tolerance.marginTolerance }
      if definition.borderline {
        guard !narrow.isEmpty else {
          let all = result.spikeReports.map { "op \($0.op) \($0.margin)" }.joined(separator: ", ")
          throw IOError(file: dir.path, message: "case '\(definition.name)': marked borderline, but every "
            + "spike op's crossing margin is ≥ \(Tolerance.marginTolerance) (\(all)); drop the flag")
        }
        return (fixture, result)
      }
      if narrow.isEmpty { return (fixture, result) }
      rejected += narrow.map { s in
        (seed.map { "seed \($0): " } ?? "") + "op \(s.op) (spike) margin min |u − θ| = \(s.margin)"
          + (s.warmupMargin.map { ", warm-up margin min |a − 1/(4τs)| = \($0)" } ?? "")
      }
    }
    throw IOError(file: dir.path, message: "case '\(definition.name)': expected every spike op's crossing "
      + "margin ≥ \(Tolerance.marginTolerance), found \(rejected.joined(separator: "; ")); add candidate seeds, "
      + "change the inputs, or mark the definition borderline: true")
  }

  /// Removes everything inside `dir` (a rejected candidate's files).
  static func clear(_ dir: URL) throws {
    let fm = FileManager.default
    do {
      for item in try fm.contentsOfDirectory(atPath: dir.path) {
        try fm.removeItem(at: dir.appendingPathComponent(item))
      }
    } catch {
      throw IOError(file: dir.path, message: "clear: expected a writable directory, found error: "
        + error.localizedDescription)
    }
  }
}

/// A family of definitions (one file each), with the helpers they share.
protocol FixtureSet {
  /// The family's definitions, in the order they are written.
  static var all: [CaseDefinition] { get }
}

extension FixtureSet {
  /// An op object `{"op": name, …fields}`.
  static func op(_ name: String, _ fields: [String: JSON] = [:]) -> [String: JSON] {
    fields.merging(["op": .string(name)]) { a, _ in a }
  }

  /// Seeded Poisson spikes of height 1/Ts, as a flat array of `shape`.
  static func spikes(_ shape: Shape, rateHz: Double, Ts: Double, seed: UInt64) -> [Float] {
    (RandomSpikes.poisson(shape, rateHz: rateHz, Ts: Ts, seed: seed) as Tensor<Float>).scalars
  }

  /// Seeded uniform values in [lo, hi).
  static func uniform(_ count: Int, _ lo: Double, _ hi: Double, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in Float(rng.uniform(lo, hi)) }
  }
}

extension JSON {
  /// A JSON array of numbers.
  static func numbers(_ values: [Double]) -> JSON { .array(values.map { .number($0) }) }
}
