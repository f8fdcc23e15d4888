// The golden-case library in `Fixtures/`: case definitions with their seeds, and the generator
// that writes them (`slayer fixtures generate`). Deterministic: every array is drawn from a seeded
// SplitMix64, every file written with fixed formatting, so the bytes depend on the definitions alone.
import Foundation
import SlayerCore

/// One case of the library, in memory: what `case.json` says, and the arrays it names.
public struct CaseDefinition: Sendable {
  /// Directory name under `Fixtures/`.
  public var name: String
  /// What the case exercises and why it is hard (written to `case.json`).
  public var description: String
  public var neuron: NeuronParameters
  public var simulation: SimulationParameters
  /// The ops as case-format JSON objects.
  public var ops: [[String: JSON]]
  /// The loss as a case-format JSON object, or nil.
  public var loss: [String: JSON]?
  /// Every `.npy` the case names: file name → (shape, values).
  public var arrays: [String: (shape: [Int], values: [Float])]

  /// The `case.json` text.
  public var caseJSON: String {
    var root: [String: JSON] = [
      "format": .string("slayer-case"), "version": .number(1), "description": .string(description),
      "simulation": .object(["Ts": .number(simulation.Ts), "tSample": .number(simulation.tSample)]),
      "neuron": .object([
        "type": .string("SRMALPHA"), "theta": .number(neuron.theta), "tauSr": .number(neuron.tauSr),
        "tauRef": .number(neuron.tauRef), "scaleRef": .number(neuron.scaleRef), "tauRho": .number(neuron.tauRho),
        "scaleRho": .number(neuron.scaleRho), "refKernelEpsilon": .number(neuron.refKernelEpsilon),
      ]),
      "input": .string("input.npy"),
      "ops": .array(ops.map { .object($0) }),
    ]
    if let loss { root["loss"] = .object(loss) }
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
  public static var definitions: [CaseDefinition] { CoreFixtures.all + LayerFixtures.all }

  /// Writes every case (inputs and `expected/`) under `root`, replacing each case directory
  /// atomically, and returns one summary line per case.
  public static func generate(into root: URL) throws -> [String] {
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    var lines: [String] = []
    for definition in definitions {
      let dir = root.appendingPathComponent(definition.name)
      try AtomicFile.replaceDirectory(at: dir) { temp in
        try definition.write(to: temp)
        try CaseRunner.run(temp)
      }
      let result = CaseRunner.compute(try SlayerCase.load(dir))
      let margins = result.spikeReports.map { String(format: "%.3g", $0.margin) }.joined(separator: ", ")
      lines.append("\(definition.name): \(result.summary); margins [\(margins)]")
    }
    return lines
  }
}

extension JSON {
  /// A JSON array of numbers.
  static func numbers(_ values: [Double]) -> JSON { .array(values.map { .number($0) }) }
}
