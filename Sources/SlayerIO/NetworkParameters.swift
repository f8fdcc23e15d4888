// slayerPytorch's `network.yaml` (`slayer.md` §7): the `simulation`, `neuron`, `layer` and `training`
// blocks, read into the oracle's parameter types. What slayerPytorch needs is required here too (it
// has no defaults for the neuron); what it ignores is reported as a warning, never dropped silently;
// the two key quirks of the published files (`slayer.md` §9.15) are read as meant, with a warning.
import Foundation
import SlayerCore

/// The parameters of a slayerPytorch network file (`network.yaml`, `slayer.md` §7).
///
/// PAPER-DIFF: published files spell two keys differently from what slayerPytorch reads
/// (`tgtSpikeRate` for `tgtSpikeCount`, `end` for `stop`); they are read as meant, with a warning
/// (`slayer.md` §9.15).
///
/// ```
/// simulation: {Ts: 0.1, tSample: 50}                      # ms
/// neuron: {type: SRMALPHA, theta: 10, tauSr: 1.0, tauRef: 1.0, scaleRef: 2, tauRho: 1, scaleRho: 1}
/// layer: [{dim: 250}, {dim: 25}, {dim: 1}]
/// training:
///   error: {type: NumSpikes, tgtSpikeRegion: {start: 0, stop: 300}, tgtSpikeCount: {true: 60, false: 10}}
/// ```
public struct NetworkParameters: Sendable {
  /// `simulation`: `Ts` and `tSample` in ms (`nSample` is ignored).
  public var simulation: SimulationParameters
  /// `neuron`: the SRMALPHA neuron; `refKernelEpsilon` is optional (0.01), the rest is required.
  public var neuron: NeuronParameters
  /// `training.error`, when present.
  public var error: ErrorDescription?
  /// `layer`: the list of layer descriptions, kept as parsed (`{dim: 34x34x2}` and the like).
  public var layers: [YAMLValue]
  /// One line per unknown key or known quirk, such as
  /// `network.yaml: line 9: unknown key 'neuron.tauFoo' (ignored)`.
  public var warnings: [String]

  /// `training.error`: the loss and its targets (`slayer.md` §3.2, §3.3).
  public struct ErrorDescription: Hashable, Sendable {
    /// `type`: `SpikeTime`, `NumSpikes`, or another name (`ProbSpikes` is a stub in slayerPytorch).
    public var type: String
    /// `probSlidingWin`, in ms (only meaningful for `ProbSpikes`).
    public var probSlidingWin: Double?
    /// `tgtSpikeRegion.start`, in ms.
    public var start: Double?
    /// `tgtSpikeRegion.stop` (exclusive), in ms.
    public var stop: Double?
    /// `tgtSpikeCount.true`: the target spike count of the true class's neuron.
    public var trueCount: Double?
    /// `tgtSpikeCount.false`: the target spike count of every other neuron.
    public var falseCount: Double?
    /// `numSpikesScale` (slayerPytorch passes it as an argument; 1 when absent).
    public var numSpikesScale: Double?

    /// A description with the given fields.
    public init(type: String, probSlidingWin: Double? = nil, start: Double? = nil, stop: Double? = nil,
                trueCount: Double? = nil, falseCount: Double? = nil, numSpikesScale: Double? = nil) {
      self.type = type; self.probSlidingWin = probSlidingWin; self.start = start; self.stop = stop
      self.trueCount = trueCount; self.falseCount = falseCount; self.numSpikesScale = numSpikesScale
    }

    /// The spike-count loss for a batch with these `labels`, or nil when the region or a count is missing.
    public func numSpikesLoss(labels: [Int]) -> NumSpikesLoss? {
      guard let start, let stop, let trueCount, let falseCount else { return nil }
      return NumSpikesLoss(labels: labels, start: start, stop: stop, trueCount: trueCount,
                           falseCount: falseCount, scale: numSpikesScale ?? 1)
    }
  }

  /// Parameters with the given blocks.
  public init(simulation: SimulationParameters, neuron: NeuronParameters, error: ErrorDescription? = nil,
              layers: [YAMLValue] = [], warnings: [String] = []) {
    self.simulation = simulation; self.neuron = neuron; self.error = error
    self.layers = layers; self.warnings = warnings
  }

  /// Reads and parses the file at `url`; errors are ``IOError``s naming its path.
  public static func load(_ url: URL) throws -> NetworkParameters {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw IOError(file: url.path, message: "cannot read the file: \(error.localizedDescription)")
    }
    let bytes = [UInt8](data)
    if let offset = invalidUTF8Offset(bytes) {
      throw IOError(file: url.path, message: "byte offset \(offset): expected UTF-8 text, found byte "
        + String(format: "%02X", bytes[offset]) + ", which does not begin or continue a UTF-8 character there")
    }
    let text = String(decoding: bytes, as: UTF8.self)
    return try parse(text, file: url.path)
  }

  /// Parses the text of a network file; `file` names it in errors and warnings.
  ///
  /// Errors (``IOError``, `line N: path: expected …, found …`): YAML syntax, a missing `simulation`,
  /// `neuron` or required key, a wrong type, a non-finite number, `Ts` ≤ 0, `tSample` < `Ts`, a
  /// non-positive `theta`/`tauSr`/`tauRef`/`tauRho`/`scaleRho`/`refKernelEpsilon`, a negative
  /// `scaleRef`, `stop` ≤ `start`, a negative count, or `NumSpikes` without region and counts.
  public static func parse(_ text: String, file: String) throws -> NetworkParameters {
    var r = Reader(file: file, document: try YAMLDocument(parsing: text, file: file))
    let root = r.document.root
    guard root.entries != nil else {
      throw IOError(file: file, message: "line \(r.document.line(of: "[0]") ?? 1): top level: expected a map with "
        + "simulation, neuron, layer and training, found " + (root.items != nil ? "a list" : root.kind))
    }
    r.warnUnknown(root, "", known: ["simulation", "neuron", "layer", "training"])

    let sim = try r.map(root, "simulation", required: true)!
    r.warnUnknown(sim, "simulation", known: ["Ts", "tSample", "nSample"])
    let Ts = try r.number(sim, "simulation.Ts", atLeast: 0, inclusive: false)
    let tSample = try r.number(sim, "simulation.tSample", atLeast: Ts, inclusive: true, bound: "Ts = \(Ts)")
    // Checked in Double before `SimulationParameters.steps` converts the quotient to Int, which
    // traps beyond Int's range: libFuzzer found `tSample: 50e300` (Tests/SlayerFuzzingTests/Corpus/yaml),
    // which crashed `train nmnist --config` there.
    guard tSample / Ts <= Double(Int32.max) else {
      throw r.fail("simulation.tSample", "expected tSample / Ts ≤ \(Int32.max) samples, found \(tSample) / \(Ts) = \(tSample / Ts)")
    }

    let n = try r.map(root, "neuron", required: true)!
    let keys = ["theta", "tauSr", "tauRef", "scaleRef", "tauRho", "scaleRho"]
    r.warnUnknown(n, "neuron", known: Set(keys + ["type", "refKernelEpsilon"]))
    let type = try r.string(n, "neuron.type", required: true)!
    guard type == "SRMALPHA" else {
      throw r.fail("neuron.type", "expected SRMALPHA (the spike response model of this oracle), found '\(type)'")
    }
    var v: [String: Double] = [:]
    for key in keys { v[key] = try r.number(n, "neuron." + key, atLeast: 0, inclusive: key == "scaleRef") }
    let epsilon = try r.optionalNumber(n, "neuron.refKernelEpsilon", atLeast: 0, inclusive: false) ?? 0.01
    let neuron = NeuronParameters(theta: v["theta"]!, tauSr: v["tauSr"]!, tauRef: v["tauRef"]!,
                                  scaleRef: v["scaleRef"]!, tauRho: v["tauRho"]!, scaleRho: v["scaleRho"]!,
                                  refKernelEpsilon: epsilon)
    try NeuronCheck.checkScalars(neuron, file: file, prefix: r.at("neuron") + "neuron")

    var layers: [YAMLValue] = []
    if let layer = root["layer"], layer != .scalar("") {
      guard let items = layer.items else { throw r.fail("layer", "expected a list of layers, found \(layer.kind)") }
      layers = items
    }

    var error: ErrorDescription?
    if let training = try r.map(root, "training", required: false) {
      r.warnUnknown(training, "training", known: ["error", "learning", "stopif", "path", "optimizer"])
      if let e = try r.map(training, "training.error", required: false) { error = try r.errorDescription(e) }
    }
    return NetworkParameters(simulation: SimulationParameters(Ts: Ts, tSample: tSample), neuron: neuron,
                             error: error, layers: layers, warnings: r.warnings)
  }
}

/// Typed access to a parsed network file, with `line N: path:` in every message.
private struct Reader {
  let file: String
  let document: YAMLDocument
  /// Warnings with their line (0 when unknown), reported in line order.
  var notes: [(line: Int, text: String)] = []
  var warnings: [String] { notes.enumerated().sorted { ($0.1.line, $0.0) < ($1.1.line, $1.0) }.map(\.1.text) }

  init(file: String, document: YAMLDocument) { self.file = file; self.document = document }

  func at(_ path: String) -> String { document.line(of: path).map { "line \($0): " } ?? "" }

  func fail(_ path: String, _ message: String) -> IOError {
    IOError(file: file, message: "\(at(path))\(path): \(message)")
  }

  mutating func warn(_ path: String, _ message: String) {
    notes.append((document.line(of: path) ?? 0, "\(file): \(at(path))\(message)"))
  }

  static func key(_ path: String) -> String { String(path.split(separator: ".").last ?? "") }

  /// Reports every key of `map` not in `known` as `unknown key 'path.key' (ignored)`.
  mutating func warnUnknown(_ map: YAMLValue, _ path: String, known: Set<String>) {
    for (key, _) in map.entries ?? [] where !known.contains(key) {
      let p = path.isEmpty ? key : path + "." + key
      warn(p, "unknown key '\(p)' (ignored)")
    }
  }

  /// The map at `path` in `parent`; an absent or empty value is nil unless `required`.
  func map(_ parent: YAMLValue, _ path: String, required: Bool) throws -> YAMLValue? {
    guard let value = parent[Self.key(path)], value != .scalar("") else {
      if !required { return nil }
      throw fail(path, "expected a map, found nothing (the key is missing)")
    }
    guard value.entries != nil else { throw fail(path, "expected a map, found \(value.kind)") }
    return value
  }

  func string(_ parent: YAMLValue, _ path: String, required: Bool) throws -> String? {
    guard let value = parent[Self.key(path)] else {
      if required { throw fail(path, "expected a name, found nothing (the key is missing)") }
      return nil
    }
    guard let text = value.string, !text.isEmpty else { throw fail(path, "expected a name, found \(value.kind)") }
    return text
  }

  /// A finite number at `path`, ≥ (or >) `atLeast`; absent is nil.
  func optionalNumber(_ parent: YAMLValue, _ path: String, atLeast bound: Double?, inclusive: Bool,
                      bound name: String? = nil) throws -> Double? {
    guard let value = parent[Self.key(path)] else { return nil }
    guard let x = value.number, x.isFinite else {
      throw fail(path, "expected a finite number, found \(value.kind)")
    }
    if let bound, inclusive ? x < bound : x <= bound {
      throw fail(path, "expected \(inclusive ? "at least" : "more than") \(name ?? "\(bound)"), found \(x)")
    }
    return x
  }

  /// A required finite number at `path`; slayerPytorch has no default for it either.
  func number(_ parent: YAMLValue, _ path: String, atLeast bound: Double?, inclusive: Bool,
              bound name: String? = nil) throws -> Double {
    guard let x = try optionalNumber(parent, path, atLeast: bound, inclusive: inclusive, bound: name) else {
      throw fail(path, "expected a number, found nothing (the key is missing; slayerPytorch has no default)")
    }
    return x
  }

  /// `training.error`, reading `tgtSpikeRate` as `tgtSpikeCount` and `end` as `stop` with a warning.
  mutating func errorDescription(_ e: YAMLValue) throws -> NetworkParameters.ErrorDescription {
    let path = "training.error"
    let known = ["type", "probSlidingWin", "tgtSpikeRegion", "tgtSpikeCount", "numSpikesScale", "tgtSpikeRate"]
    warnUnknown(e, path, known: Set(known))
    var d = NetworkParameters.ErrorDescription(type: try string(e, path + ".type", required: true)!)
    d.probSlidingWin = try optionalNumber(e, path + ".probSlidingWin", atLeast: 0, inclusive: false)
    d.numSpikesScale = try optionalNumber(e, path + ".numSpikesScale", atLeast: nil, inclusive: true)

    if let region = try map(e, path + ".tgtSpikeRegion", required: false) {
      let p = path + ".tgtSpikeRegion"
      warnUnknown(region, p, known: ["start", "stop", "end"])
      d.start = try number(region, p + ".start", atLeast: nil, inclusive: true)
      let stopKey = quirk(region, p, written: "end", meant: "stop")
      d.stop = try number(region, p + "." + stopKey, atLeast: d.start, inclusive: false,
                          bound: "start = \(d.start ?? 0)")
    }

    let countKey = quirk(e, path, written: "tgtSpikeRate", meant: "tgtSpikeCount")
    if let counts = try map(e, path + "." + countKey, required: false) {
      let p = path + "." + countKey
      for (key, _) in counts.entries ?? [] {
        guard let flag = YAMLValue.scalar(key).bool else {
          warn(p + "." + key, "unknown key '\(p).\(key)' (ignored)")
          continue
        }
        let count = try optionalNumber(counts, p + "." + key, atLeast: 0, inclusive: true)
        if flag { d.trueCount = count } else { d.falseCount = count }
      }
      if d.trueCount == nil || d.falseCount == nil {
        throw fail(p, "expected the counts 'true' and 'false', found \(counts.entries!.map { "'\($0.key)'" })")
      }
    }
    if d.type == "NumSpikes" && (d.start == nil || d.trueCount == nil) {
      throw fail(path, "expected tgtSpikeRegion {start, stop} and tgtSpikeCount {true, false} for type NumSpikes, "
        + "found \(d.start == nil ? "no tgtSpikeRegion" : "no tgtSpikeCount")")
    }
    return d
  }

  /// The key to read for `meant`: `written` (with a warning) when only the quirk's spelling is there.
  mutating func quirk(_ map: YAMLValue, _ path: String, written: String, meant: String) -> String {
    guard map[written] != nil else { return meant }
    let message = "'\(path).\(written)' is not read by slayerPytorch, which needs '\(meant)' (slayer.md §9.15); "
    let use = map[meant] == nil
    warn(path + "." + written, message + (use ? "read as \(meant)" : "ignored, '\(meant)' is given"))
    return use ? written : meant
  }
}

/// The offset of the first byte that does not start or continue a valid UTF-8 sequence, or nil.
func invalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
  var iterator = bytes.makeIterator()
  var decoder = UTF8()
  var offset = 0
  while true {
    switch decoder.decode(&iterator) {
    case .scalarValue(let scalar): offset += UTF8.width(scalar)
    case .emptyInput: return nil
    case .error: return offset
    }
  }
}
