// TSSL-BP cases, write and compare side (`Docs/CaseFormat.md` "TSSL-BP cases"): the same
// `expected/` layout, atomic writes, deterministic bytes and tolerances as SRMALPHA cases
// (CaseRunner.swift, Comparison.swift). `CaseRunner.run/check/compare` hand a directory whose
// neuron is `TSSLBP` to this file.
//
// A `lif` op k writes three files: `op<k>.npy` (its output, the PSC a, compared as potentials),
// `op<k>.u.npy` (u before the reset) and `op<k>.spikes.npy` (s, exact except where the expected
// |u − V_th| < 1e-3). `report.json` adds the warm-up margin min |a − 1/(4τs)|, the second
// threshold test of the final rule (`tssl-bp.md` §10.6), and the firing fraction the paper-era rule
// switches on.
import Foundation
import SlayerCore

/// Everything a TSSL-BP case computes.
public struct TSSLCaseResult: Sendable {
  /// `outputs[k]`: the output of op k.
  public var outputs: [Tensor<Float>]
  /// For each `lif` op k, its saved state (u, Δu, s, a); nil for other ops.
  public var states: [TSSLState<Float>?]
  /// E, or nil without a loss.
  public var loss: Double?
  /// Σ_t a per sample and output neuron, and the predicted classes (largest sum); nil without a loss.
  public var pscSums: [Double]?, predictions: [Int]?
  /// ∂E/∂input; nil without a loss.
  public var inputGradient: Tensor<Float>?
  /// For each weighted op k, `grad.op<k>.weights.npy`.
  public var weightGradients: [CaseArray?]
  /// Per `lif` op: spikes, spike margin, warm-up margin.
  public var reports: [SpikeReport]
  /// Per `lif` op: the fraction of entries that spike (the paper-era rule switches at 0.1).
  public var firingFractions: [Double]

  /// Every `.npy` of `expected/`, in the order of ``TSSLCaseRunner/expectedFileNames(_:)``.
  public var arrays: [CaseArray] {
    var result: [CaseArray] = []
    for k in outputs.indices {
      result.append(CaseResult.array("op\(k).npy", outputs[k]))
      if let s = states[k] {
        result.append(CaseResult.array("op\(k).u.npy", s.potential))
        result.append(CaseResult.array("op\(k).spikes.npy", s.spikes))
      }
    }
    if let inputGradient { result.append(CaseResult.array("grad.input.npy", inputGradient)) }
    return result + weightGradients.compactMap { $0 }
  }

  /// The same result as a ``CaseResult`` (for the fixture generator and the CLI's summary line).
  public var caseResult: CaseResult {
    CaseResult(outputs: outputs, potentials: states.map { $0?.potential }, loss: loss, spikeCounts: nil,
               predictions: predictions, inputGradient: inputGradient, weightGradients: weightGradients,
               spikeReports: reports, extraArrays: states.enumerated().compactMap { k, s in
                 s.map { CaseResult.array("op\(k).spikes.npy", $0.spikes) }
               })
  }
}

/// Computes TSSL-BP cases and writes, checks and compares their `expected/`.
public enum TSSLCaseRunner {
  static func expectedFiles(_ c: TSSLCase) -> [CaseRunner.ExpectedFile] {
    var files: [CaseRunner.ExpectedFile] = []
    for (k, name) in c.opNames.enumerated() {
      files.append(CaseRunner.ExpectedFile(name: "op\(k).npy", kind: .potentials))
      guard name == "lif" else { continue }
      files.append(CaseRunner.ExpectedFile(name: "op\(k).u.npy", kind: .potentials))
      files.append(CaseRunner.ExpectedFile(name: "op\(k).spikes.npy", kind: .spikes, potential: "op\(k).u.npy"))
    }
    guard c.loss != nil else { return files }
    files.append(CaseRunner.ExpectedFile(name: "loss.json", kind: .loss))
    files.append(CaseRunner.ExpectedFile(name: "grad.input.npy", kind: .gradients))
    for k in c.network.weightedLayers { files.append(CaseRunner.ExpectedFile(name: "grad.op\(k).weights.npy", kind: .gradients)) }
    return files
  }

  /// The files `expected/` holds for `c`, in order, `report.json` last.
  public static func expectedFileNames(_ c: TSSLCase) -> [String] { expectedFiles(c).map(\.name) + ["report.json"] }

  /// Forward, and with a loss the loss and backward (the input gradient included).
  public static func compute(_ c: TSSLCase) -> TSSLCaseResult {
    let net = c.network, neuron = net.neuron
    let trace = net.forward(c.input)
    let lifStates = trace.states.enumerated().compactMap { k, s in s.map { (k, $0) } }
    var result = TSSLCaseResult(
      outputs: Array(trace.values.dropFirst()), states: trace.states,
      weightGradients: [CaseArray?](repeating: nil, count: net.layers.count),
      reports: lifStates.map { k, s in
        SpikeReport(op: k, spikes: s.spikes.scalars.count { $0 != 0 }, margin: TSSLBP.spikeMargin(s, neuron),
                    warmupMargin: TSSLBP.warmupMargin(s, neuron))
      },
      firingFractions: lifStates.map { TSSLBP.firingFraction($0.1.spikes) })
    guard let loss = c.loss else { return result }
    let evaluation = loss.evaluate(trace.output, neuron)
    let gradients = net.backward(trace, outputGradient: evaluation.gradient)
    result.loss = evaluation.loss
    result.pscSums = TSSLClassifier.pscSums(trace.output)
    result.predictions = TSSLClassifier.predict(trace.output)
    result.inputGradient = gradients.input
    for k in net.weightedLayers {
      guard let g = gradients.weights[k], let shape = c.parameterShapes[k] else { continue }
      result.weightGradients[k] = CaseArray(name: "grad.op\(k).weights.npy", shape: shape, values: g)
    }
    return result
  }

  /// Loads, computes and replaces `directory/expected/` atomically; `memoryLimit` as for
  /// ``TSSLCase/load(_:memoryLimit:)``.
  @discardableResult
  public static func run(_ directory: URL, memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> CaseResult {
    let c = try TSSLCase.load(directory, memoryLimit: memoryLimit)
    let result = compute(c)
    try AtomicFile.replaceDirectory(at: directory.appendingPathComponent(CaseRunner.expectedDirectoryName)) { temp in
      for a in result.arrays { try Npy.write(temp.appendingPathComponent(a.name), shape: a.shape, float32: a.values) }
      if let loss = lossJSON(result) { try AtomicFile.write(Data(loss.utf8), to: temp.appendingPathComponent("loss.json")) }
      try AtomicFile.write(Data(reportJSON(result, c).utf8), to: temp.appendingPathComponent("report.json"))
    }
    return result.caseResult
  }

  /// `{"loss": E, "predictions": […], "pscSums": [[…], …]}`; nil without a loss.
  static func lossJSON(_ r: TSSLCaseResult) -> String? {
    guard let loss = r.loss, let predictions = r.predictions, let sums = r.pscSums else { return nil }
    let perSample = predictions.isEmpty ? 0 : sums.count / predictions.count
    return JSON.object([
      "loss": .number(loss), "predictions": .numbers(predictions.map(Double.init)),
      "pscSums": .array((0..<predictions.count).map { b in .numbers(Array(sums[b * perSample..<(b + 1) * perSample])) }),
    ]).text()
  }

  static func reportJSON(_ r: TSSLCaseResult, _ c: TSSLCase) -> String {
    let p = c.network.neuron.parameters
    return JSON.object([
      "generator": .string("slayer \(CaseRunner.version)"), "precision": .string(CaseRunner.precision),
      "accumulation": .string("float64"), "description": .string(c.description), "model": .string(TSSLCase.neuronType),
      "rule": .string(c.network.neuron.rule.rawValue), "theta": .number(p.theta),
      "warmupBound": .number(c.network.neuron.warmupBound.double),
      "spikeOps": .array(zip(r.reports, r.firingFractions).map { s, fraction in
        .object(["op": .number(Double(s.op)), "spikes": .number(Double(s.spikes)), "margin": .number(s.margin),
                 "warmupMargin": .number(s.warmupMargin ?? .infinity), "firingFraction": .number(fraction)])
      }),
      "tolerances": Tolerance.tableJSON,
    ]).text()
  }

  /// Recomputes the case and compares it with its `expected/`; `memoryLimit` as for ``run(_:memoryLimit:)``.
  public static func check(_ directory: URL, memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> Comparison {
    let c = try TSSLCase.load(directory, memoryLimit: memoryLimit)
    let expected = try CaseRunner.expectedDirectory(directory)
    let result = compute(c)
    var actual: [String: Npy.Array] = [:]
    for a in result.arrays { actual[a.name] = Npy.Array(shape: a.shape, values: a.values.map(Double.init), dtype: "<f4") }
    if let loss = result.loss { actual["loss.json"] = Npy.Array(shape: [], values: [loss], dtype: "json") }
    return try CaseRunner.compare(files: expectedFiles(c), theta: c.network.neuron.parameters.theta, expected: expected) {
      actual[$0].map { .success($0) }
    }
  }

  /// Compares a backend's outputs in `actual` with the case's `expected/`; `memoryLimit` as for
  /// ``run(_:memoryLimit:)``.
  public static func compare(_ directory: URL, actual: URL, memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> Comparison {
    let c = try TSSLCase.load(directory, memoryLimit: memoryLimit)
    let expected = try CaseRunner.expectedDirectory(directory)
    return try CaseRunner.compare(files: expectedFiles(c), theta: c.network.neuron.parameters.theta, expected: expected,
                                  actualDirectory: actual)
  }
}
