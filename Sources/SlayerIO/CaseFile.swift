// The case format, read side (`shared/spec/case-format.md`, `Docs/CaseFormat.md`): `case.json` and
// its `.npy` arrays become a `SlayerCase` ready to run.
//
// Implementation goals, in order of priority:
//   1. No crash on any input: every value is type-checked, every shape checked before a tensor is
//      built, every time converted to a sample index only after it is known to fit, and tensor
//      sizes capped, so that no `precondition` of SlayerCore can fire on a loaded case.
//   2. Each error is one `IOError` naming the file (case.json or the .npy), the field path
//      (`ops[1].weights`), what was expected and what came.
//   3. Strict: unknown keys are errors (a misspelt `tauSr` must not silently become a default), and
//      `.npy` arrays must be `<f4`, the contract's only dtype, so a backend reads the same numbers.
// JSON is decoded into a generic `JSONValue` tree (CaseRunner.swift), so that unknown keys can be
// named, with exact numbers (JSONSerialization on Linux misreads many 17-digit ones).
import Foundation
import SlayerCore

/// One case directory, parsed and checked: the neuron, the time grid, the network of ops with
/// their weights, the input spikes and the optional loss.
public struct SlayerCase: Sendable {
  /// The case directory, which holds `case.json`.
  public var directory: URL
  /// The free-text `description` (empty when absent).
  public var description: String
  /// `neuron`, with slayerPytorch's names (times in ms).
  public var neuronParameters: NeuronParameters
  /// `simulation`: Ts and tSample, in ms.
  public var simulation: SimulationParameters
  /// The ops with their weights, in `Float`, the oracle's engine precision.
  public var network: Network<Float>
  /// The input spikes, `(N, C, H, W, T)` with T = `simulation.steps`.
  public var input: Tensor<Float>
  /// The loss, or nil for a forward-only case.
  public var loss: Loss<Float>?
  /// The `op` name of every op, in order (`"psp"`, `"dense"`, `"spike"`).
  public var opNames: [String]
  /// For each op with a learnable tensor, the shape of that tensor as the case gives it.
  public var parameterShapes: [Int: [Int]] = [:]
  /// The estimated bytes a run of the case holds at its peak (the formula is in
  /// `CaseMemory.swift`), already checked against the limit it was loaded with.
  public var memoryEstimate: Int = 0

  /// The name of the case description inside a case directory.
  public static let fileName = "case.json"
  /// The ops this oracle version computes.
  public static let supportedOps = ["psp", "dense", "spike", "conv", "convTranspose", "pool", "unpool", "dropout",
                                    "delay", "delayShift", "pspLayer", "pspFilter", "replicateInTime"]
  /// Ops of the contract that a later oracle version will compute; rejected for now.
  public static let laterOps: [String] = []
  /// The default ceiling on ``memoryEstimate``: 4 GB (4·10⁹ bytes). The oracle keeps every
  /// intermediate tensor, so a small weights file must not be able to ask for terabytes; a case
  /// that needs more is refused before any of its tensors is built (`--max-memory GB` raises it).
  public static let defaultMemoryLimit = 4_000_000_000

  /// Reads and checks the case in `directory`.
  ///
  /// - Parameters:
  ///   - directory: the case directory, which holds `case.json` and the `.npy` files it names.
  ///   - memoryLimit: the most bytes the case may need (``memoryEstimate``).
  /// - Throws: ``IOError`` naming the file, the field path, what was expected and what came, for
  ///   malformed JSON, a wrong `format`/`version`, a missing or mistyped field, an unknown key, an
  ///   unknown or not-yet-supported op, an unreadable, non-`<f4` or non-finite `.npy`, shapes
  ///   that do not chain, or a case that would need more than `memoryLimit` bytes.
  public static func load(_ directory: URL, memoryLimit: Int = defaultMemoryLimit) throws -> SlayerCase {
    try CaseReader(directory: directory, files: nil, memoryLimit: memoryLimit).read()
  }

  /// Checks a case held in memory: `caseJSON` is the text of `case.json`, and `arrays` maps each
  /// relative path the case names to the bytes of that `.npy` file. `directory` only names the
  /// files in errors. The fuzzer and the tests call this; every check of ``load(_:memoryLimit:)``
  /// applies.
  ///
  /// - Throws: ``IOError`` as ``load(_:memoryLimit:)``; a name missing from `arrays` is reported
  ///   as a missing file.
  public static func decode(caseJSON: Data, arrays: [String: Data], directory: URL,
                            memoryLimit: Int = defaultMemoryLimit) throws -> SlayerCase {
    try CaseReader(directory: directory, files: (caseJSON, arrays), memoryLimit: memoryLimit).read()
  }
}

/// The parser: one instance per load, holding the paths that errors name.
struct CaseReader {
  let directory: URL
  let jsonPath: String
  /// `case.json` and the arrays in memory, or nil to read them from `directory`.
  let files: (json: Data, arrays: [String: Data])?
  let memoryLimit: Int

  init(directory: URL, files: (json: Data, arrays: [String: Data])?, memoryLimit: Int) {
    self.directory = directory
    self.files = files
    self.memoryLimit = memoryLimit
    jsonPath = directory.appendingPathComponent(SlayerCase.fileName).path
  }

  func read() throws -> SlayerCase {
    let data: Data
    if let files {
      data = files.json
    } else {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
            isDirectory.boolValue else {
        throw IOError(file: directory.path, message: "case: expected a case directory holding "
          + "case.json, found no such directory")
      }
      do { data = try Data(contentsOf: URL(fileURLWithPath: jsonPath)) } catch {
        throw IOError(file: jsonPath, message: "open: expected a readable case.json, found error: "
          + error.localizedDescription)
      }
    }
    let root = try JSONValue.decode(data, file: jsonPath)
    let top = try object(root, "", allowed: ["format", "version", "description", "simulation",
                                             "neuron", "input", "ops", "loss"])
    let format = try string(top, "format", in: "")
    guard format == "slayer-case" else {
      throw fail("format", "expected \"slayer-case\", found \(Self.describe(format))")
    }
    guard try number(top, "version", in: "") == 1 else {
      throw fail("version", "expected 1 (the version this oracle reads), found "
        + Self.describe(top["version"]))
    }
    let description = top["description"] == nil ? "" : try string(top, "description", in: "")
    let simulation = try readSimulation(top["simulation"])
    let parameters = try readNeuron(top["neuron"])

    // The input fixes N and T; T must be the grid's.
    let (inputArray, inputURL) = try array(top, "input", in: "")
    let d = inputArray.shape
    guard d.count == 5, d.allSatisfy({ $0 > 0 }) else {
      throw IOError(file: inputURL.path, message: "input: expected a rank-5 (N, C, H, W, T) array "
        + "with positive extents, found rank \(d.count) with shape \(Npy.tupleText(d))")
    }
    let replicates = { if case .array(let ops)? = top["ops"], case .object(let o)? = ops.first,
                          case .string("replicateInTime")? = o["op"] { return true } else { return false } }()
    guard d[4] == simulation.steps || (replicates && d[4] == 1) else {
      throw IOError(file: inputURL.path, message: "input: expected T = \(simulation.steps) "
        + "samples (int(tSample / Ts) = int(\(simulation.tSample) / \(simulation.Ts))), found "
        + "T = \(d[4]) in shape \(Npy.tupleText(d))")
    }
    try checkSize(d, "input")

    let ops = try readOps(top["ops"], inputShape: d, steps: simulation.steps, Ts: simulation.Ts)
    let loss = try top["loss"].map { try readLoss($0, output: ops.output, simulation) }
    // Every shape is known now and nothing big is built yet: the input tensor, the kernels and
    // every intermediate tensor come after this check.
    let memory = CaseMemory(input: d, outputs: ops.shapes, names: ops.names,
                            parameters: ops.parameterShapes, hasLoss: loss != nil, steps: simulation.steps)
    try memory.check(limit: memoryLimit, file: jsonPath)
    let neuron = try NeuronCheck.check(parameters, simulation, file: jsonPath, prefix: "neuron")
    let input = Self.tensor(inputArray)
    return SlayerCase(directory: directory, description: description,
                      neuronParameters: parameters, simulation: simulation,
                      network: Network(neuron: neuron, layers: ops.layers), input: input, loss: loss,
                      opNames: ops.names, parameterShapes: ops.parameterShapes,
                      memoryEstimate: memory.bytes)
  }

  // MARK: Sections

  func readSimulation(_ value: JSONValue?) throws -> SimulationParameters {
    let s = try object(value, "simulation", allowed: ["Ts", "tSample"])
    let ts = try number(s, "Ts", in: "simulation")
    guard ts > 0 else {
      throw fail("simulation.Ts", "expected a sampling time > 0 ms, found \(Self.text(ts))")
    }
    let tSample = try number(s, "tSample", in: "simulation")
    guard tSample >= ts else {
      throw fail("simulation.tSample", "expected a duration ≥ Ts = \(ts) ms (at least one "
        + "sample), found \(Self.text(tSample))")
    }
    // Checked before `steps` converts the quotient to Int, which would trap beyond Int's range.
    guard tSample / ts <= Double(Int32.max) else {
      throw fail("simulation", "expected tSample / Ts ≤ \(Int32.max) samples, found "
        + "\(tSample) / \(ts) = \(tSample / ts)")
    }
    return SimulationParameters(Ts: ts, tSample: tSample)
  }

  func readNeuron(_ value: JSONValue?) throws -> NeuronParameters {
    let keys = ["theta", "tauSr", "tauRef", "scaleRef", "tauRho", "scaleRho", "refKernelEpsilon"]
    let n = try object(value, "neuron", allowed: ["type"] + keys)
    let type = try string(n, "type", in: "neuron")
    guard type == "SRMALPHA" else {
      throw fail("neuron.type", "expected \"SRMALPHA\" (the only neuron model), found "
        + Self.describe(type))
    }
    var v: [String: Double] = [:]
    for key in keys {
      v[key] = try number(n, key, in: "neuron", default: key == "refKernelEpsilon" ? 0.01 : nil)
    }
    // The kernels divide by these and stop only once below the epsilon: each must be positive.
    for key in ["theta", "tauSr", "tauRef", "tauRho", "refKernelEpsilon"] where !(v[key]! > 0) {
      throw fail("neuron.\(key)", "expected a value > 0, found \(Self.text(v[key]!))")
    }
    return NeuronParameters(theta: v["theta"]!, tauSr: v["tauSr"]!, tauRef: v["tauRef"]!,
                            scaleRef: v["scaleRef"]!, tauRho: v["tauRho"]!,
                            scaleRho: v["scaleRho"]!, refKernelEpsilon: v["refKernelEpsilon"]!)
  }

  /// The ops, checking that shapes chain: psp and spike keep the shape, dense maps
  /// `(N, C, H, W, T)` to `(N, out, 1, 1, T)`.
  func readOps(_ value: JSONValue?, inputShape: [Int], steps: Int, Ts: Double) throws
    -> (layers: [Layer<Float>], names: [String], output: [Int], parameterShapes: [Int: [Int]],
        shapes: [[Int]])
  {
    guard case .array(let list)? = value, !list.isEmpty else {
      throw fail("ops", "expected a non-empty list of ops, found " + Self.describe(value))
    }
    var layers: [Layer<Float>] = [], names: [String] = [], shape = inputShape
    var parameterShapes: [Int: [Int]] = [:], shapes: [[Int]] = []
    for (k, entry) in list.enumerated() {
      defer { shapes.append(shape) }
      let field = "ops[\(k)]"
      let op = try object(entry, field, allowed: nil)
      let name = try string(op, "op", in: field)
      if name != "replicateInTime" && shape[4] != steps {
        throw fail("\(field).op", "expected a tensor of T = \(steps) samples entering '\(name)', found "
          + "\(Npy.tupleText(shape)) (only replicateInTime takes T = 1)")
      }
      if let (layer, newShape, parameterShape) = try readSharedOp(name, op, field: field, shape: shape, steps: steps, Ts: Ts) {
        layers.append(layer)
        shape = newShape
        try checkSize(shape, field)
        if let parameterShape { parameterShapes[k] = parameterShape }
        names.append(name)
        continue
      }
      switch name {
      case "psp", "spike":
        _ = try object(entry, field, allowed: ["op"])
        layers.append(name == "psp" ? .psp : .spike)
      default:
        throw fail("\(field).op", "expected one of \(SlayerCase.supportedOps.joined(separator: ", ")), "
          + "found \(Self.describe(name))")
      }
      names.append(name)
    }
    return (layers, names, shape, parameterShapes, shapes)
  }

  func readLoss(_ value: JSONValue, output: [Int], _ simulation: SimulationParameters) throws
    -> Loss<Float>
  {
    let l = try object(value, "loss", allowed: nil)
    switch try string(l, "type", in: "loss") {
    case "spikeTime":
      _ = try object(value, "loss", allowed: ["type", "target"])
      let (target, url) = try array(l, "target", in: "loss")
      guard target.shape == output else {
        throw IOError(file: url.path, message: "loss.target: expected the output's shape "
          + "\(Npy.tupleText(output)), found \(Npy.tupleText(target.shape))")
      }
      return .spikeTime(target: Self.tensor(target))
    case "numSpikes":
      _ = try object(value, "loss", allowed: ["type", "labels", "tgtSpikeRegion", "tgtSpikeCount",
                                              "numSpikesScale"])
      let (labels, url) = try array(l, "labels", in: "loss")
      guard labels.shape == [output[0]] else {
        throw IOError(file: url.path, message: "loss.labels: expected shape (\(output[0]),) "
          + "(one class index per sample), found \(Npy.tupleText(labels.shape))")
      }
      let classes = output[1] * output[2] * output[3]
      if let bad = labels.values.firstIndex(where: {
        $0 != $0.rounded() || $0 < 0 || $0 >= Double(classes) }) {
        throw IOError(file: url.path, message: "loss.labels: expected integer class indices in "
          + "0..<\(classes) (C·H·W of the output), found \(labels.values[bad]) at index (\(bad),)")
      }
      let region = try object(l["tgtSpikeRegion"], "loss.tgtSpikeRegion", allowed: ["start", "stop"])
      let start = try number(region, "start", in: "loss.tgtSpikeRegion")
      let stop = try number(region, "stop", in: "loss.tgtSpikeRegion")
      // NumSpikesLoss.region rounds the same way; checked in Double, before any Int.
      try TrainingCheck.region(start: start, stop: stop, Ts: simulation.Ts, steps: simulation.steps, file: jsonPath,
                               field: "loss.tgtSpikeRegion")
      let count = try object(l["tgtSpikeCount"], "loss.tgtSpikeCount", allowed: ["true", "false"])
      var counts: [Double] = []
      for key in ["true", "false"] {
        let c = try number(count, key, in: "loss.tgtSpikeCount")
        guard c >= 0 else {
          throw fail("loss.tgtSpikeCount.\(key)", "expected a count ≥ 0, found \(Self.text(c))")
        }
        counts.append(c)
      }
      let scale = try number(l, "numSpikesScale", in: "loss", default: 1)
      return .numSpikes(NumSpikesLoss(labels: labels.values.map { Int($0) }, start: start,
                                      stop: stop, trueCount: counts[0], falseCount: counts[1],
                                      scale: scale))
    case let other:
      throw fail("loss.type", "expected \"spikeTime\" or \"numSpikes\", found \(Self.describe(other))")
    }
  }

  // MARK: Fields

  func fail(_ field: String, _ message: String) -> IOError {
    IOError(file: jsonPath, message: "\(field.isEmpty ? "top level" : field): \(message)")
  }

  static func join(_ parent: String, _ key: String) -> String {
    parent.isEmpty ? key : "\(parent).\(key)"
  }

  /// The object at `field`; with `allowed`, any other key is an error naming it.
  func object(_ value: JSONValue?, _ field: String, allowed: [String]?) throws
    -> [String: JSONValue]
  {
    guard case .object(let dict)? = value else {
      throw fail(field, "expected an object, found " + Self.describe(value))
    }
    if let allowed, let key = dict.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw fail(field, "unknown key \"\(key)\" (expected only \(allowed.joined(separator: ", ")))")
    }
    return dict
  }

  /// A finite number; `default` when the key is absent, if given.
  func number(_ dict: [String: JSONValue], _ key: String, in parent: String, default value: Double? = nil)
    throws -> Double
  {
    let field = Self.join(parent, key)
    if dict[key] == nil, let value { return value }
    guard case .number(let x)? = dict[key] else {
      throw fail(field, "expected a number, found " + Self.describe(dict[key]))
    }
    guard x.isFinite else { throw fail(field, "expected a finite number, found \(x)") }
    return x
  }

  func string(_ dict: [String: JSONValue], _ key: String, in parent: String) throws -> String {
    guard case .string(let s)? = dict[key] else {
      throw fail(Self.join(parent, key), "expected a string, found " + Self.describe(dict[key]))
    }
    return s
  }

  /// The `.npy` named by `dict[key]`, relative to the case directory: `<f4`, every value finite.
  ///
  /// The header is checked (dtype, and the element count against the memory limit) before the
  /// elements are decoded, so a file cannot make the reader allocate more than the limit.
  func array(_ dict: [String: JSONValue], _ key: String, in parent: String) throws -> (Npy.Array, URL) {
    let field = Self.join(parent, key)
    let name = try string(dict, key, in: parent)
    guard !name.isEmpty, !name.hasPrefix("/") else {
      throw fail(field, "expected an .npy path relative to the case directory, found "
        + Self.describe(name))
    }
    let url = directory.appendingPathComponent(name)
    let missing = fail(field, "expected the .npy file \(Self.describe(name)) in the case directory, "
      + "found no such file")
    let array: Npy.Array
    do {
      // On disk, only the header is read before the size is judged: the file itself could be
      // larger than the limit.
      let header: Npy.HeaderInfo
      if let files {
        guard let bytes = files.arrays[name] else { throw missing }
        header = try Npy.decodeHeader(bytes, file: url.path)
      } else {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { throw missing }
        header = try Npy.readHeader(url)
      }
      guard header.descr == "<f4" else {
        throw IOError(file: url.path, message: "expected dtype '<f4' (float32, the case format's only "
          + "dtype), found '\(header.descr)'")
      }
      // Decoding holds the elements as Double (8 bytes) and the case as Float (4 bytes).
      let bytes = Double(header.count) * 12
      guard bytes <= Double(memoryLimit) else {
        throw IOError(file: url.path, message: "memory: expected an array of at most "
          + "\(CaseMemory.text(Double(memoryLimit))) once decoded (the memory limit; raise it with "
          + "--max-memory GB), found shape \(Npy.tupleText(header.shape)), \(CaseMemory.text(bytes))")
      }
      array = try files.map { try Npy.decode($0.arrays[name]!, file: url.path) } ?? Npy.read(url)
    } catch let error as IOError where error.file != jsonPath {
      throw IOError(file: error.file, message: "\(field): \(error.message)")
    }
    if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
      throw IOError(file: url.path, message: "\(field): expected finite values, found "
        + "\(array.values[bad]) at index \(Npy.tupleText(multiIndex(bad, in: array.shape)))")
    }
    return (array, url)
  }

  /// Refuses a tensor whose element count overflows (the memory limit, ``CaseMemory``, then
  /// judges the sizes; this only keeps the shape arithmetic of later ops within `Int`).
  func checkSize(_ shape: [Int], _ field: String) throws {
    var count = 1
    for extent in shape {
      let (product, overflow) = count.multipliedReportingOverflow(by: extent)
      count = overflow ? Int.max : product
    }
    guard count <= CaseMemory.maxElements else {
      throw fail(field, "expected a tensor of at most \(CaseMemory.maxElements) elements, found "
        + "shape \(Npy.tupleText(shape)) (the oracle keeps every intermediate tensor in memory)")
    }
  }

  static func tensor(_ a: Npy.Array) -> Tensor<Float> {
    let d = a.shape
    return Tensor(shape: Shape(n: d[0], c: d[1], h: d[2], w: d[3], t: d[4]),
                  scalars: a.values.map { Float($0) })
  }

  /// A JSON value as a message shows it: `"abc"`, `3.5`, `true`, `null`, `a list of 2 items`.
  static func describe(_ value: JSONValue?) -> String {
    switch value {
    case nil: "nothing (the key is missing)"
    case .string(let s)?: describe(s)
    case .number(let x)?: text(x)
    case .bool(let b)?: b ? "true" : "false"
    case .null?: "null"
    case .array(let list)?: "a list of \(list.count) item" + (list.count == 1 ? "" : "s")
    case .object?: "an object"
    }
  }

  /// `3` for an integral value, else Swift's shortest round-trip text (`0.1`, `1e+300`).
  static func text(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
  }

  /// A string quoted and escaped, at most 40 characters shown.
  static func describe(_ s: String) -> String {
    "\"" + s.unicodeScalars.prefix(40).map { $0.escaped(asASCII: true) }.joined()
      + (s.unicodeScalars.count > 40 ? "…\"" : "\"")
  }
}

/// The C-order multi-index of flat offset `flat` in `shape`, for messages.
func multiIndex(_ flat: Int, in shape: [Int]) -> [Int] {
  var rest = flat
  var index = [Int](repeating: 0, count: shape.count)
  for axis in shape.indices.reversed() where shape[axis] > 0 {
    index[axis] = rest % shape[axis]
    rest /= shape[axis]
  }
  return index
}
