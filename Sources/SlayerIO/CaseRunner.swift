// The case format, write side (`shared/spec/case-format.md`, `Docs/CaseFormat.md`): compute a
// loaded case and write `expected/`.
//
// Implementation goals, in order of priority:
//   1. `expected/` is replaced atomically (`AtomicFile.replaceDirectory`): a reader sees the old
//      directory or the complete new one, never a half-written one.
//   2. Deterministic bytes: the engine is deterministic, `.npy` bytes are `numpy.save`'s, and the
//      JSON is written by hand with sorted keys and shortest round-trip numbers (`"\(double)"`),
//      so that running twice, on any thread count, gives identical files.
//   3. One list of file names (`CaseRunner.expectedFiles`) shared by `run`, `check` and `compare`.
// JSON in and out lives here too: `JSON` writes, `JSONValue` reads.
import Foundation
import SlayerCore

/// One named array of `expected/`, as it is written to `<name>`.
public struct CaseArray: Sendable, Equatable {
  /// The file name inside `expected/`, for example `op2.u.npy`.
  public var name: String
  /// The extents, outermost first: `(N, C, H, W, T)` for tensors, `(out, in)` for weights.
  public var shape: [Int]
  /// The elements in C order.
  public var values: [Float]
}

/// The diagnostics of one spike op, as in `report.json`.
public struct SpikeReport: Sendable, Equatable {
  /// The op index k.
  public var op: Int
  /// The number of spikes (non-zero samples) over the whole batch and window.
  public var spikes: Int
  /// min |u_post[n] − θ| over every sample (`Spike.margin(_:theta:)`): how close the closest
  /// sample came to flipping its spike.
  public var margin: Double
  /// For a TSSL-BP `lif` op, min |a − 1/(4τs)|: how close the PSC came to the warm-up bound, whose
  /// side decides the gradient's branch (`TSSLCaseRunner.swift`); nil for SRMALPHA spike ops.
  public var warmupMargin: Double? = nil

  /// The smaller of the two margins: the one the fixture library's margin rule judges.
  public var narrowestMargin: Double { min(margin, warmupMargin ?? .infinity) }
}

/// Everything a case computes: the forward trace, the loss and the gradients.
public struct CaseResult: Sendable {
  /// `outputs[k]`: the output of op k.
  public var outputs: [Tensor<Float>]
  /// `potentials[k]`: for a spike op k, the post-refractory potential u; nil for other ops.
  public var potentials: [Tensor<Float>?]
  /// The loss E (accumulated in `Double`); nil for a forward-only case.
  public var loss: Double?
  /// For a numSpikes loss, Ts·Σ_n s[b, j, n] over the whole window, `(N, C·H·W)` row-major.
  public var spikeCounts: [Double]?
  /// For a numSpikes loss, the predicted class of each sample (most spikes, ties to the lowest).
  public var predictions: [Int]?
  /// ∂E/∂(input spikes); nil without a loss.
  public var inputGradient: Tensor<Float>?
  /// For each dense op k, `grad.op<k>.weights.npy`, `(out, in)`; nil for other ops or no loss.
  public var weightGradients: [CaseArray?]
  /// One entry per spike op.
  public var spikeReports: [SpikeReport]
  /// Further arrays of `expected/` (a TSSL-BP `lif` op's `op<k>.spikes.npy`), listed last.
  public var extraArrays: [CaseArray] = []

  /// Every `.npy` of `expected/`, in the order of ``CaseRunner/expectedFileNames(_:)``.
  public var arrays: [CaseArray] {
    var result: [CaseArray] = []
    for k in outputs.indices {
      result.append(Self.array("op\(k).npy", outputs[k]))
      if let u = potentials[k] { result.append(Self.array("op\(k).u.npy", u)) }
    }
    if let inputGradient { result.append(Self.array("grad.input.npy", inputGradient)) }
    result += weightGradients.compactMap { $0 }
    return result + extraArrays
  }

  /// One line for a terminal: files, loss, spikes per spike op.
  public var summary: String {
    let spikes = spikeReports.map { "op\($0.op) \($0.spikes)" }.joined(separator: ", ")
    let lossText = loss.map { "loss \($0)" } ?? "no loss"
    return "\(arrays.count) arrays, \(lossText), spikes: \(spikes.isEmpty ? "no spike op" : spikes)"
  }

  static func array(_ name: String, _ t: Tensor<Float>) -> CaseArray {
    CaseArray(name: name, shape: t.shape.dims, values: t.scalars)
  }
}

/// Computes cases and writes, checks and compares their `expected/` directories.
public enum CaseRunner {
  /// The oracle's version, written into `report.json` as `"generator": "slayer <version>"`.
  public static let version = "0.1.0"
  /// The engine precision of every stored value (kernels accumulate in `Double`).
  public static let precision = "float32"
  /// The directory name of the oracle's outputs inside a case.
  public static let expectedDirectoryName = "expected"

  /// One file of `expected/` and how it is compared.
  struct ExpectedFile {
    var name: String
    var kind: Tolerance.Kind
    /// For a spike op's output, the file of its potential, whose margin excuses flipped spikes.
    var potential: String?
  }

  /// The files `expected/` holds for `c`, in order, `report.json` last.
  public static func expectedFileNames(_ c: SlayerCase) -> [String] {
    expectedFiles(c).map(\.name) + ["report.json"]
  }

  static func expectedFiles(_ c: SlayerCase) -> [ExpectedFile] {
    var files: [ExpectedFile] = []
    for (k, name) in c.opNames.enumerated() {
      let spike = name == "spike"
      files.append(ExpectedFile(name: "op\(k).npy", kind: spike ? .spikes : .potentials,
                                potential: spike ? "op\(k).u.npy" : nil))
      if spike { files.append(ExpectedFile(name: "op\(k).u.npy", kind: .potentials)) }
    }
    guard c.loss != nil else { return files }
    files.append(ExpectedFile(name: "loss.json", kind: .loss))
    files.append(ExpectedFile(name: "grad.input.npy", kind: .gradients))
    for k in c.network.weightedLayers {
      files.append(ExpectedFile(name: "grad.op\(k).\(c.network.layers[k].parameterName!).npy", kind: .gradients))
    }
    return files
  }

  /// Runs the case: forward, and with a loss, the loss and backward.
  public static func compute(_ c: SlayerCase) -> CaseResult {
    let net = c.network
    let trace = net.forward(c.input)
    var result = CaseResult(
      outputs: Array(trace.values.dropFirst()), potentials: trace.potentials,
      weightGradients: [CaseArray?](repeating: nil, count: net.layers.count),
      spikeReports: trace.potentials.enumerated().compactMap { k, u in
        u.map { u in
          SpikeReport(op: k, spikes: trace.values[k + 1].scalars.count(where: { $0 != 0 }),
                      margin: Spike.margin(u, theta: c.neuronParameters.theta))
        }
      })
    guard let loss = c.loss else { return result }
    let evaluation = loss.evaluate(trace.output, net.neuron)
    let gradients = net.backward(trace, outputGradient: evaluation.gradient)
    result.loss = evaluation.loss
    result.inputGradient = gradients.input
    for k in net.weightedLayers {
      guard let g = gradients.weights[k], let shape = c.parameterShapes[k] else { continue }
      result.weightGradients[k] = CaseArray(name: "grad.op\(k).\(net.layers[k].parameterName!).npy", shape: shape, values: g)
    }
    if case .numSpikes = loss {
      result.spikeCounts = Classifier.spikeCounts(trace.output, Ts: c.simulation.Ts)
      result.predictions = Classifier.predict(trace.output, Ts: c.simulation.Ts)
    }
    return result
  }

  /// Loads the case in `directory`, computes it and replaces `directory/expected/` atomically.
  ///
  /// Writes `op<k>.npy`, `op<k>.u.npy` for spike ops, and `report.json`; with a loss also
  /// `loss.json`, `grad.input.npy` and `grad.op<k>.weights.npy` for dense ops.
  ///
  /// - Parameters:
  ///   - directory: the case directory.
  ///   - memoryLimit: the most bytes the case may need (``SlayerCase/memoryEstimate``).
  /// - Throws: ``IOError`` from ``SlayerCase/load(_:memoryLimit:)`` or from writing.
  @discardableResult
  public static func run(_ directory: URL, memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> CaseResult {
    if TSSLCase.declares(directory) { return try TSSLCaseRunner.run(directory, memoryLimit: memoryLimit) }
    let c = try SlayerCase.load(directory, memoryLimit: memoryLimit)
    let result = compute(c)
    let target = directory.appendingPathComponent(expectedDirectoryName)
    try AtomicFile.replaceDirectory(at: target) { temp in
      for a in result.arrays {
        try Npy.write(temp.appendingPathComponent(a.name), shape: a.shape, float32: a.values)
      }
      if let loss = lossJSON(result) {
        try AtomicFile.write(Data(loss.utf8), to: temp.appendingPathComponent("loss.json"))
      }
      try AtomicFile.write(Data(reportJSON(result, c).utf8),
                           to: temp.appendingPathComponent("report.json"))
    }
    return result
  }

  /// `{"loss": E, "predictions": […], "spikeCounts": [[…], …]}`; nil without a loss.
  static func lossJSON(_ r: CaseResult) -> String? {
    guard let loss = r.loss else { return nil }
    var fields: [String: JSON] = ["loss": .number(loss)]
    if let predictions = r.predictions {
      fields["predictions"] = .array(predictions.map { .number(Double($0)) })
      if let counts = r.spikeCounts, !predictions.isEmpty {
        let perSample = counts.count / predictions.count
        fields["spikeCounts"] = .array((0..<predictions.count).map { b in
          .array(counts[b * perSample..<(b + 1) * perSample].map { .number($0) })
        })
      }
    }
    return JSON.object(fields).text()
  }

  static func reportJSON(_ r: CaseResult, _ c: SlayerCase) -> String {
    JSON.object([
      "generator": .string("slayer \(version)"),
      "precision": .string(precision),
      "accumulation": .string("float64"),
      "description": .string(c.description),
      "theta": .number(c.neuronParameters.theta),
      "spikeOps": .array(r.spikeReports.map { s in
        .object(["op": .number(Double(s.op)), "spikes": .number(Double(s.spikes)),
                 "margin": .number(s.margin)])
      }),
      "tolerances": Tolerance.tableJSON,
    ]).text()
  }
}

/// A JSON value written with sorted keys and shortest round-trip numbers, so the bytes depend on
/// the values alone (JSONSerialization's number formatting is not specified).
public enum JSON: Sendable {
  /// A number, written as Swift's shortest round-trip text.
  case number(Double)
  /// A string, escaped.
  case string(String)
  /// An array.
  case array([JSON])
  /// An object, its keys written sorted.
  case object([String: JSON])

  /// Two-space indented text ending in a newline; arrays of numbers stay on one line.
  func text() -> String { render(indent: "") + "\n" }

  private func render(indent: String) -> String {
    switch self {
    case .number(let x):
      // Integers print without ".0"; JSON has no NaN or infinity, so those become null.
      guard x.isFinite else { return "null" }
      if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
      return "\(x)"
    case .string(let s): return Self.quoted(s)
    case .array(let items):
      if items.allSatisfy({ if case .number = $0 { true } else { false } }) {
        return "[" + items.map { $0.render(indent: "") }.joined(separator: ", ") + "]"
      }
      let inner = indent + "  "
      return "[\n" + items.map { inner + $0.render(indent: inner) }.joined(separator: ",\n")
        + "\n\(indent)]"
    case .object(let fields):
      let inner = indent + "  "
      return "{\n" + fields.keys.sorted().map { key in
        inner + Self.quoted(key) + ": " + fields[key]!.render(indent: inner)
      }.joined(separator: ",\n") + "\n\(indent)}"
    }
  }

  private static func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case _ where scalar.value < 0x20:
        out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
          + String(scalar.value, radix: 16)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

/// A JSON document as a tree, read with JSONDecoder: on Linux JSONSerialization rounds many
/// 17-digit numbers to a neighbouring Double (checked: 17 % of random doubles), and a case must
/// mean the same numbers to the oracle as to NumPy. A tree, not a Codable struct, so that a reader
/// can name unknown keys.
enum JSONValue: Decodable, Sendable {
  case null, bool(Bool), number(Double), string(String), array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if c.decodeNil() { self = .null; return }
    // Bool first: JSONDecoder does not turn `true` into 1 or 1 into `true`.
    if let b = try? c.decode(Bool.self) { self = .bool(b); return }
    if let x = try? c.decode(Double.self) { self = .number(x); return }
    if let s = try? c.decode(String.self) { self = .string(s); return }
    if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
    if let o = try? c.decode([String: JSONValue].self) { self = .object(o); return }
    throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a JSON value, "
      + "found a number beyond Double's range or a string with an unpaired surrogate")
  }

  /// Decodes `data`; a syntax error is an ``IOError`` on `file` with the position if known.
  static func decode(_ data: Data, file: String) throws -> JSONValue {
    do { return try JSONDecoder().decode(JSONValue.self, from: data) } catch {
      // JSONDecoder does not say where; JSONSerialization's message does ("around character 6").
      var detail = "\(error)"
      if case DecodingError.dataCorrupted(let context) = error {
        let at = context.codingPath.map(\.stringValue).joined(separator: ".")
        detail = context.debugDescription + (at.isEmpty ? "" : " at \(at)")
      }
      do { _ = try JSONSerialization.jsonObject(with: data) } catch {
        detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? detail
      }
      throw IOError(file: file, message: "JSON: expected a valid JSON document, found an error: "
        + detail)
    }
  }
}
