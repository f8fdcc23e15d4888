// The case format for TSSL-BP (`Docs/CaseFormat.md` "TSSL-BP cases"): `"neuron": {"type": "TSSLBP",
// "tauM", "tauS", "theta", "rule"}` selects TSSL-BP's network (``TSSLNetwork``), its ops (`psc`,
// `dense`, `conv`, `lif`, `pscPool`, `dropout`, `replicateInTime`) and its losses (`kernel`,
// `count`). The same strictness as SRMALPHA cases: every key, shape and value checked, each error
// naming the file, the field, what was expected and what came; the shared parsing helpers of
// `CaseReader` (CaseFile.swift, CaseOps.swift) read the fields and the synapse ops.
import Foundation
import SlayerCore

/// One TSSL-BP case directory, parsed and checked.
public struct TSSLCase: Sendable {
  /// The case directory, which holds `case.json`.
  public var directory: URL
  /// The free-text `description`.
  public var description: String
  /// The network of ops with their weights, in `Float`; its neuron holds τm, τs, V_th and the rule.
  public var network: TSSLNetwork<Float>
  /// The input `(N, C, H, W, T)` (T = 1 before `replicateInTime`): spikes 0/1 or analog values.
  public var input: Tensor<Float>
  /// The loss, or nil for a forward-only case.
  public var loss: TSSLLoss?
  /// The `op` name of every op, in order.
  public var opNames: [String]
  /// For each op with weights, the weights' shape as the case gives it.
  public var parameterShapes: [Int: [Int]]

  /// The neuron type that selects a TSSL-BP case.
  public static let neuronType = "TSSLBP"
  /// The ops a TSSL-BP case may use.
  public static let supportedOps = ["replicateInTime", "psc", "dense", "conv", "lif", "pscPool", "dropout"]

  /// Reads and checks the TSSL-BP case in `directory`.
  ///
  /// - Parameters:
  ///   - directory: the case directory.
  ///   - memoryLimit: the most bytes the case may need, as for ``SlayerCase/load(_:memoryLimit:)``.
  /// - Throws: ``IOError`` naming the file, the field, what was expected and what came.
  public static func load(_ directory: URL, memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> TSSLCase {
    try CaseReader(directory: directory, files: nil, memoryLimit: memoryLimit).readTSSL()
  }

  /// Checks a TSSL-BP case held in memory, as ``SlayerCase/decode(caseJSON:arrays:directory:memoryLimit:)``
  /// does an SRMALPHA one (for the fuzzer and the tests).
  ///
  /// - Throws: ``IOError`` as ``load(_:memoryLimit:)``.
  public static func decode(caseJSON: Data, arrays: [String: Data], directory: URL,
                            memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> TSSLCase {
    try CaseReader(directory: directory, files: (caseJSON, arrays), memoryLimit: memoryLimit).readTSSL()
  }

  /// Whether `directory/case.json` declares `"neuron": {"type": "TSSLBP", …}`; false for anything
  /// unreadable, so that the SRMALPHA reader reports the problem.
  public static func declares(_ directory: URL) -> Bool {
    guard let data = try? Data(contentsOf: directory.appendingPathComponent(SlayerCase.fileName)),
          case .object(let top)? = try? JSONValue.decode(data, file: ""),
          case .object(let neuron)? = top["neuron"], case .string(let type)? = neuron["type"] else { return false }
    return type == neuronType
  }
}

extension CaseReader {
  func readTSSL() throws -> TSSLCase {
    let data: Data
    if let files { data = files.json } else {
      do { data = try Data(contentsOf: URL(fileURLWithPath: jsonPath)) } catch {
        throw IOError(file: jsonPath, message: "open: expected a readable case.json, found error: " + error.localizedDescription)
      }
    }
    let top = try object(try JSONValue.decode(data, file: jsonPath), "",
                         allowed: ["format", "version", "description", "simulation", "neuron", "input", "ops", "loss"])
    guard try string(top, "format", in: "") == "slayer-case", try number(top, "version", in: "") == 1 else {
      throw fail("format", "expected \"slayer-case\" version 1, found \(Self.describe(top["format"])) version \(Self.describe(top["version"]))")
    }
    let description = top["description"] == nil ? "" : try string(top, "description", in: "")
    let simulation = try readSimulation(top["simulation"])
    guard simulation.Ts == 1 else {
      throw fail("simulation.Ts", "expected 1 (TSSL-BP's unit time step; tauM and tauS are in steps), found \(Self.text(simulation.Ts))")
    }
    let steps = simulation.steps
    let (parameters, rule) = try readTSSLNeuron(top["neuron"])

    let (inputArray, inputURL) = try array(top, "input", in: "")
    let d = inputArray.shape
    let replicates = { if case .array(let ops)? = top["ops"], case .object(let o)? = ops.first,
                          case .string("replicateInTime")? = o["op"] { return true } else { return false } }()
    guard d.count == 5, d.allSatisfy({ $0 > 0 }), d[4] == (replicates ? 1 : steps) else {
      throw IOError(file: inputURL.path, message: "input: expected a rank-5 (N, C, H, W, T) array with positive extents and "
        + "T = \(replicates ? "1 (before replicateInTime)" : "\(steps) (tSample)"), found \(Npy.tupleText(d))")
    }
    try checkSize(d, "input")

    guard case .array(let list)? = top["ops"], !list.isEmpty else {
      throw fail("ops", "expected a non-empty list of ops, found " + Self.describe(top["ops"]))
    }
    var layers: [TSSLLayer<Float>] = [], names: [String] = [], shapes: [Int: [Int]] = [:], shape = d
    var outputs: [[Int]] = []
    for (k, entry) in list.enumerated() {
      defer { outputs.append(shape) }
      let field = "ops[\(k)]"
      let op = try object(entry, field, allowed: nil)
      let name = try string(op, "op", in: field)
      guard TSSLCase.supportedOps.contains(name) else {
        throw fail("\(field).op", "expected one of \(TSSLCase.supportedOps.joined(separator: ", ")) (the TSSLBP ops), found "
          + Self.describe(name))
      }
      if name != "replicateInTime" && shape[4] != steps {
        throw fail("\(field).op", "expected a tensor of T = \(steps) steps entering '\(name)', found \(Npy.tupleText(shape))")
      }
      switch name {
      case "psc", "lif":
        _ = try object(entry, field, allowed: ["op"])
        layers.append(name == "psc" ? .psc : .lif)
      case "pscPool":
        _ = try object(entry, field, allowed: ["op", "size", "stride"])
        let size = try integer(op, "size", in: field, default: nil, min: 1)
        let stride = try integer(op, "stride", in: field, default: size, min: 1)
        guard shape[2] >= size, shape[3] >= size else {
          throw fail(field, "expected the pool window \(size) to fit the input \(shape[2])×\(shape[3]), found it larger")
        }
        layers.append(.pool(TSSLPool(size: size, stride: stride)))
        shape = [shape[0], shape[1], (shape[2] - size) / stride + 1, (shape[3] - size) / stride + 1, shape[4]]
      default:  // dense, conv, dropout, replicateInTime: SLAYER's parsing of the same ops
        guard let (layer, newShape, parameterShape) = try readSharedOp(name, op, field: field, shape: shape, steps: steps, Ts: 1)
        else { throw fail("\(field).op", "expected a supported op, found \(Self.describe(name))") }
        switch layer {
        case .dense(let d): layers.append(.dense(d))
        case .conv(let c): layers.append(.conv(c))
        case .dropout(let m): layers.append(.dropout(m))
        case .replicateInTime: layers.append(.replicateInTime)
        default: throw fail("\(field).op", "expected dense, conv, dropout or replicateInTime, found \(Self.describe(name))")
        }
        if let parameterShape { shapes[k] = parameterShape }
        shape = newShape
      }
      try checkSize(shape, field)
      names.append(name)
    }
    let loss = try top["loss"].map { try readTSSLLoss($0, output: shape, steps: steps) }
    // As for SRMALPHA cases: every shape known, nothing big built yet (the neuron's kernel is T
    // samples long, T up to 2³¹); a `lif` op keeps its potential as a spike op does.
    try CaseMemory(input: d, outputs: outputs, names: names.map { $0 == "lif" ? "spike" : $0 }, parameters: shapes,
                   hasLoss: loss != nil, steps: steps).check(limit: memoryLimit, file: jsonPath)
    let neuron = TSSLNeuron<Float>(parameters, steps: steps, rule: rule)
    return TSSLCase(directory: directory, description: description, network: TSSLNetwork(neuron: neuron, layers: layers),
                    input: Self.tensor(inputArray), loss: loss, opNames: names, parameterShapes: shapes)
  }

  /// `{"type": "TSSLBP", "tauM", "tauS", "theta", "rule"}`: τm, τs ≥ 1 (steps), θ > 0, rule
  /// `final` (default) or `paper`.
  func readTSSLNeuron(_ value: JSONValue?) throws -> (TSSLParameters, TSSLRule) {
    let n = try object(value, "neuron", allowed: ["type", "tauM", "tauS", "theta", "rule"])
    let type = try string(n, "type", in: "neuron")
    guard type == TSSLCase.neuronType else {
      throw fail("neuron.type", "expected \"TSSLBP\", found \(Self.describe(type))")
    }
    var v: [String: Double] = [:]
    for (key, least) in [("tauM", 1.0), ("tauS", 1.0)] {
      v[key] = try number(n, key, in: "neuron")
      guard v[key]! >= least else { throw fail("neuron.\(key)", "expected a time constant ≥ 1 step, found \(Self.text(v[key]!))") }
    }
    let theta = try number(n, "theta", in: "neuron")
    guard theta > 0 else { throw fail("neuron.theta", "expected a threshold > 0, found \(Self.text(theta))") }
    var rule = TSSLRule.final
    if n["rule"] != nil {
      let text = try string(n, "rule", in: "neuron")
      guard let r = TSSLRule(rawValue: text) else {
        throw fail("neuron.rule", "expected \"final\" or \"paper\", found \(Self.describe(text))")
      }
      rule = r
    }
    return (TSSLParameters(tauM: v["tauM"]!, tauS: v["tauS"]!, theta: theta), rule)
  }

  /// `{"type": "kernel", "labels", "pattern"}` or `{"type": "count", "labels", "desired", "undesired"}`.
  func readTSSLLoss(_ value: JSONValue, output: [Int], steps: Int) throws -> TSSLLoss {
    let l = try object(value, "loss", allowed: nil)
    let type = try string(l, "type", in: "loss")
    guard type == "kernel" || type == "count" else {
      throw fail("loss.type", "expected \"kernel\" or \"count\" (the TSSLBP losses), found \(Self.describe(type))")
    }
    _ = try object(value, "loss", allowed: type == "kernel" ? ["type", "labels", "pattern"] : ["type", "labels", "desired", "undesired"])
    let (labels, url) = try array(l, "labels", in: "loss")
    let classes = output[1] * output[2] * output[3]
    guard labels.shape == [output[0]] else {
      throw IOError(file: url.path, message: "loss.labels: expected shape (\(output[0]),) (one class index per sample), found "
        + Npy.tupleText(labels.shape))
    }
    if let bad = labels.values.firstIndex(where: { $0 != $0.rounded() || $0 < 0 || $0 >= Double(classes) }) {
      throw IOError(file: url.path, message: "loss.labels: expected integer class indices in 0..<\(classes) (C·H·W of the "
        + "output), found \(labels.values[bad]) at index (\(bad),)")
    }
    let classOf = labels.values.map { Int($0) }
    if type == "kernel" {
      let text = try string(l, "pattern", in: "loss")
      guard let pattern = DesiredPattern(rawValue: text) else {
        throw fail("loss.pattern", "expected \"final\" or \"paper\", found \(Self.describe(text))")
      }
      guard DesiredPattern.accepts(steps: steps) else {
        throw fail("loss.pattern", "expected T a multiple of 10, or T = 5, for the desired spike pattern, found T = \(steps)")
      }
      return .kernel(TSSLKernelLoss(labels: classOf, pattern: pattern))
    }
    var counts: [Double] = []
    for key in ["desired", "undesired"] {
      let c = try number(l, key, in: "loss")
      guard c >= 0 else { throw fail("loss.\(key)", "expected a PSC-sum target ≥ 0, found \(Self.text(c))") }
      counts.append(c)
    }
    return .count(TSSLCountLoss(labels: classOf, desired: counts[0], undesired: counts[1]))
  }
}
