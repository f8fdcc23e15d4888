// Tests for CaseFile.swift, CaseRunner.swift and Comparison.swift: a small two-layer case is run,
// checked and compared (agreeing, with a perturbed gradient, a flipped spike, a missing file, a
// wrong shape), and a table of malformed cases must each fail with an IOError naming the field.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("Case format")
struct CaseTests {
  // MARK: A case on disk

  /// psp → dense 4 → spike → psp → dense 2 → spike on 3 Poisson inputs, batch 2, Ts 0.5 ms,
  /// tSample 20 ms (T = 40); weights positive so that both spike layers fire.
  struct Fixture {
    let dir: URL
    var json: [String: Any]

    static let seed: UInt64 = 20_180_810
    static let ts = 0.5, steps = 40

    init(loss: String? = "spikeTime") throws {
      dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("slayer-case-\(UUID().uuidString)")
      json = [:]
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      let input: Tensor<Float> = RandomSpikes.poisson(Shape(n: 2, c: 3, t: Self.steps), rateHz: 300,
                                                      Ts: Self.ts, seed: Self.seed)
      let target: Tensor<Float> = RandomSpikes.poisson(Shape(n: 2, c: 2, t: Self.steps),
                                                       rateHz: 100, Ts: Self.ts, seed: Self.seed + 1)
      var rng = SplitMix64(seed: Self.seed + 2)
      try Npy.writeTensor(file("input.npy"), input)
      try Npy.writeTensor(file("target.npy"), target)
      try Npy.write(file("w1.npy"), shape: [4, 3], float32: (0..<12).map { _ in Float(rng.uniform(0.6, 1.6)) })
      try Npy.write(file("w2.npy"), shape: [2, 4], float32: (0..<8).map { _ in Float(rng.uniform(0.3, 1.0)) })
      try Npy.write(file("labels.npy"), shape: [2], float32: [0, 1])
      json = [
        "format": "slayer-case", "version": 1, "description": "two dense layers, test fixture",
        "simulation": ["Ts": Self.ts, "tSample": 20.0],
        "neuron": ["type": "SRMALPHA", "theta": 1.0, "tauSr": 2.0, "tauRef": 2.0, "scaleRef": 2.0,
                   "tauRho": 1.0, "scaleRho": 1.0],
        "input": "input.npy",
        "ops": [["op": "psp"], ["op": "dense", "weights": "w1.npy"], ["op": "spike"],
                ["op": "psp"], ["op": "dense", "weights": "w2.npy"], ["op": "spike"]],
      ]
      switch loss {
      case "spikeTime": json["loss"] = ["type": "spikeTime", "target": "target.npy"]
      case "numSpikes":
        json["loss"] = ["type": "numSpikes", "labels": "labels.npy",
                        "tgtSpikeRegion": ["start": 0.0, "stop": 20.0],
                        "tgtSpikeCount": ["true": 6.0, "false": 1.0]]
      default: break
      }
      try write()
    }

    func file(_ name: String) -> URL { dir.appendingPathComponent(name) }
    var expected: URL { file("expected") }

    func write(raw: String? = nil) throws {
      let data = try raw.map { Data($0.utf8) }
        ?? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .prettyPrinted])
      try data.write(to: file("case.json"))
    }

    /// A copy of `expected/` as a backend's output directory.
    func copyOfExpected() throws -> URL {
      let actual = file("actual")
      try? FileManager.default.removeItem(at: actual)
      try FileManager.default.copyItem(at: expected, to: actual)
      return actual
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
  }

  /// Rewrites one element of a float32 `.npy` file.
  static func edit(_ url: URL, _ change: (inout [Float]) -> Void) throws {
    let a = try Npy.read(url)
    var values = a.values.map { Float($0) }
    change(&values)
    try Npy.write(url, shape: a.shape, float32: values)
  }

  // MARK: run, check, compare

  @Test("run writes every listed file, both layers fire, and a second run gives identical bytes")
  func runWritesDeterministically() throws {
    let f = try Fixture()
    defer { f.remove() }
    let result = try CaseRunner.run(f.dir)
    let c = try SlayerCase.load(f.dir)
    let listed = CaseRunner.expectedFileNames(c)
    #expect(listed == ["op0.npy", "op1.npy", "op2.npy", "op2.u.npy", "op3.npy", "op4.npy",
                       "op5.npy", "op5.u.npy", "loss.json", "grad.input.npy",
                       "grad.op1.weights.npy", "grad.op4.weights.npy", "report.json"])
    let written = try FileManager.default.contentsOfDirectory(atPath: f.expected.path)
    #expect(Set(written) == Set(listed))
    #expect(result.spikeReports.map(\.op) == [2, 5])
    #expect(result.spikeReports.allSatisfy { $0.spikes > 0 }, "\(result.spikeReports)")
    #expect(result.weightGradients[4]?.values.contains { $0 != 0 } == true)
    let first = try listed.map { try Data(contentsOf: f.expected.appendingPathComponent($0)) }
    try CaseRunner.run(f.dir)
    let second = try listed.map { try Data(contentsOf: f.expected.appendingPathComponent($0)) }
    #expect(first == second)
    let strays = try FileManager.default.contentsOfDirectory(atPath: f.dir.path).filter { $0.hasPrefix(".") }
    #expect(strays.isEmpty)
    // loss.json holds the loss exactly; report.json names the generator and the precision.
    let loss = try CaseRunner.readFile(f.expected.appendingPathComponent("loss.json"), name: "loss.json")
    #expect(loss.values == [result.loss!])
    let report = try String(contentsOf: f.expected.appendingPathComponent("report.json"), encoding: .utf8)
    #expect(report.contains("\"generator\": \"slayer \(CaseRunner.version)\""))
    #expect(report.contains("\"precision\": \"float32\""))
  }

  @Test("check recomputes and agrees; without expected/ it asks for slayer run")
  func checkAgrees() throws {
    let f = try Fixture()
    defer { f.remove() }
    let error = #expect(throws: IOError.self) { try CaseRunner.check(f.dir) }
    #expect(error?.message.contains("slayer run") == true)
    try CaseRunner.run(f.dir)
    let comparison = try CaseRunner.check(f.dir)
    #expect(comparison.agrees, "\(comparison.report())")
    #expect(comparison.entries.count == 12)
  }

  @Test("compare: a copy of expected/ agrees, even without report.json")
  func compareCopyAgrees() throws {
    let f = try Fixture()
    defer { f.remove() }
    try CaseRunner.run(f.dir)
    let actual = try f.copyOfExpected()
    try FileManager.default.removeItem(at: actual.appendingPathComponent("report.json"))
    let comparison = try CaseRunner.compare(f.dir, actual: actual)
    #expect(comparison.agrees, "\(comparison.report())")
    #expect(comparison.report().contains("agree: 12 of 12 files ok"))
  }

  @Test("compare: a gradient element off by 1 % fails, naming the tensor and the index")
  func compareGradientPerturbed() throws {
    let f = try Fixture()
    defer { f.remove() }
    try CaseRunner.run(f.dir)
    let actual = try f.copyOfExpected()
    var index = 0
    try Self.edit(actual.appendingPathComponent("grad.op1.weights.npy")) { w in
      index = w.indices.max { abs(w[$0]) < abs(w[$1]) }!
      w[index] *= 1.01
    }
    let comparison = try CaseRunner.compare(f.dir, actual: actual)
    #expect(!comparison.agrees)
    let failed = comparison.entries.filter { !$0.agrees }
    #expect(failed.map(\.name) == ["grad.op1.weights.npy"])
    #expect(failed.first?.worstIndex == [index])
    #expect(comparison.report().contains("grad.op1.weights.npy (4, 3): FAIL, 1 of 12 elements; worst at [\(index)]"),
            "\(comparison.report())")
  }

  @Test("compare: a flipped spike fails with its (n, c, h, w, t) index")
  func compareFlippedSpike() throws {
    let f = try Fixture()
    defer { f.remove() }
    try CaseRunner.run(f.dir)
    let actual = try f.copyOfExpected()
    // Flip a spike far from threshold, so that its margin does not excuse it.
    let u = try Npy.read(f.expected.appendingPathComponent("op2.u.npy")).values
    let flat = try #require(u.indices.first { abs(u[$0] - 1) > 0.1 })
    try Self.edit(actual.appendingPathComponent("op2.npy")) { s in s[flat] = s[flat] == 0 ? 2 : 0 }
    let comparison = try CaseRunner.compare(f.dir, actual: actual)
    let entry = try #require(comparison.entries.first { $0.name == "op2.npy" })
    #expect(entry.failures == 1)
    #expect(entry.worstIndex == Shape(n: 2, c: 4, t: 40).index(ofOffset: flat))
    #expect(!comparison.agrees)
  }

  @Test("compare: a missing file is listed, a wrong shape names both shapes")
  func compareMissingAndShape() throws {
    let f = try Fixture()
    defer { f.remove() }
    try CaseRunner.run(f.dir)
    let actual = try f.copyOfExpected()
    try FileManager.default.removeItem(at: actual.appendingPathComponent("op5.u.npy"))
    try Npy.write(actual.appendingPathComponent("op0.npy"), shape: [2, 3, 1, 1, 39],
                  float32: [Float](repeating: 0, count: 234))
    let comparison = try CaseRunner.compare(f.dir, actual: actual)
    #expect(comparison.missing == ["op5.u.npy"])
    let entry = try #require(comparison.entries.first { $0.name == "op0.npy" })
    #expect(entry.note.contains("expected (2, 3, 1, 1, 40), found (2, 3, 1, 1, 39)"))
    #expect(!comparison.agrees)
  }

  @Test("a spike that differs where the expected |u − θ| < marginTolerance is allowed and noted")
  func marginExcusesSpike() {
    let shape = [1, 1, 1, 1, 3]
    let expected = Npy.Array(shape: shape, values: [0, 2, 0], dtype: "<f4")
    let actual = Npy.Array(shape: shape, values: [2, 0, 0], dtype: "<f4")
    let near = Comparison.compare(name: "op0.npy", kind: .spikes, expected: expected,
                                  actual: actual, potential: [0.9995, 1.0004, 0.2], theta: 1)
    #expect(near.agrees)
    #expect(near.note.contains("2 spike(s) differ"))
    let far = Comparison.compare(name: "op0.npy", kind: .spikes, expected: expected,
                                 actual: actual, potential: [0.99, 1.0004, 0.2], theta: 1)
    #expect(far.failures == 1 && far.worstIndex == [0, 0, 0, 0, 0])
  }

  @Test("numSpikes: run and check agree; loss.json carries spike counts and predictions")
  func numSpikesCase() throws {
    let f = try Fixture(loss: "numSpikes")
    defer { f.remove() }
    let result = try CaseRunner.run(f.dir)
    #expect(result.predictions?.count == 2 && result.spikeCounts?.count == 4)
    let comparison = try CaseRunner.check(f.dir)
    #expect(comparison.agrees, "\(comparison.report())")
    let text = try String(contentsOf: f.expected.appendingPathComponent("loss.json"), encoding: .utf8)
    #expect(text.contains("\"predictions\"") && text.contains("\"spikeCounts\""))
  }

  @Test("without a loss only outputs, potentials and report.json are written")
  func forwardOnlyCase() throws {
    let f = try Fixture(loss: nil)
    defer { f.remove() }
    try CaseRunner.run(f.dir)
    let written = try FileManager.default.contentsOfDirectory(atPath: f.expected.path)
    #expect(Set(written) == ["op0.npy", "op1.npy", "op2.npy", "op2.u.npy", "op3.npy", "op4.npy",
                             "op5.npy", "op5.u.npy", "report.json"])
    #expect(try CaseRunner.check(f.dir).agrees)
  }

  @Test("JSON numbers are read exactly, and true is not 1")
  func jsonNumbersExact() throws {
    let values = [273.27608249345826, 0.1, 1e-4, 183.69859778749964, .leastNonzeroMagnitude, -0.0]
    for x in values {
      let text = JSON.object(["x": .number(x)]).text()
      guard case .object(let o) = try JSONValue.decode(Data(text.utf8), file: "t.json"),
            case .number(let y)? = o["x"] else { Issue.record("\(text) did not decode"); continue }
      #expect(y.bitPattern == x.bitPattern || (x == 0 && y == 0), "\(text)")
    }
    guard case .object(let o) = try JSONValue.decode(Data(#"{"a": true, "b": 1}"#.utf8), file: "t"),
          case .bool(true)? = o["a"], case .number(1)? = o["b"] else {
      Issue.record("true and 1 must stay apart")
      return
    }
  }

  // MARK: Malformed cases

  /// One malformed case: a change to the good fixture and a fragment the error must contain.
  struct Malformed: Sendable, CustomTestStringConvertible {
    let name: String
    let fragment: String
    var raw: String? = nil
    var change: @Sendable (inout [String: Any], URL) throws -> Void = { _, _ in }
    var testDescription: String { name }
  }

  static func set(_ section: String, _ key: String, _ value: Any?) -> @Sendable (inout [String: Any], URL) throws -> Void {
    nonisolated(unsafe) let value = value
    return { json, _ in
      var s = json[section] as! [String: Any]
      s[key] = value
      json[section] = s
    }
  }

  static func op(_ k: Int, _ value: [String: String]) -> @Sendable (inout [String: Any], URL) throws -> Void {
    { json, _ in
      var ops = json["ops"] as! [Any]
      ops[k] = value
      json["ops"] = ops
    }
  }

  static let malformed: [Malformed] = [
    Malformed(name: "bad JSON", fragment: "JSON: expected a valid JSON document", raw: "{\"format\": "),
    Malformed(name: "top level is a list", fragment: "top level: expected an object", raw: "[1]"),
    Malformed(name: "wrong format tag", fragment: "format: expected \"slayer-case\"") { j, _ in j["format"] = "slayer" },
    Malformed(name: "version 2", fragment: "version: expected 1") { j, _ in j["version"] = 2 },
    Malformed(name: "missing Ts", fragment: "simulation.Ts: expected a number, found nothing",
              change: set("simulation", "Ts", nil)),
    Malformed(name: "Ts as a string", fragment: "simulation.Ts: expected a number, found \"0.5\"",
              change: set("simulation", "Ts", "0.5")),
    Malformed(name: "Ts as a bool", fragment: "simulation.Ts: expected a number, found true",
              change: set("simulation", "Ts", true)),
    Malformed(name: "Ts ≤ 0", fragment: "simulation.Ts: expected a sampling time > 0",
              change: set("simulation", "Ts", 0.0)),
    Malformed(name: "tSample < Ts", fragment: "simulation.tSample: expected a duration ≥ Ts",
              change: set("simulation", "tSample", 0.25)),
    Malformed(name: "tSample / Ts beyond Int32", fragment: "simulation: expected tSample / Ts ≤",
              change: set("simulation", "tSample", 1e300)),
    Malformed(name: "unknown key", fragment: "neuron: unknown key \"tauS\"", change: set("neuron", "tauS", 1.0)),
    Malformed(name: "unknown top-level key", fragment: "top level: unknown key \"comment\"") { j, _ in j["comment"] = "x" },
    Malformed(name: "neuron type", fragment: "neuron.type: expected \"SRMALPHA\"", change: set("neuron", "type", "LIF")),
    Malformed(name: "missing theta", fragment: "neuron.theta: expected a number", change: set("neuron", "theta", nil)),
    Malformed(name: "theta ≤ 0", fragment: "neuron.theta: expected a value > 0", change: set("neuron", "theta", -1.0)),
    Malformed(name: "refKernelEpsilon 0", fragment: "neuron.refKernelEpsilon: expected a value > 0",
              change: set("neuron", "refKernelEpsilon", 0.0)),
    Malformed(name: "ops empty", fragment: "ops: expected a non-empty list") { j, _ in j["ops"] = [Any]() },
    Malformed(name: "op missing its name", fragment: "ops[0].op: expected a string", change: op(0, [:])),
    Malformed(name: "unknown op", fragment: "ops[3].op: expected one of psp, dense, spike",
              change: op(3, ["op": "relu"])),
    Malformed(name: "conv weights of rank 2", fragment: "ops[1].weights: expected a rank-4 array",
              change: op(1, ["op": "conv", "weights": "w1.npy"])),
    Malformed(name: "unknown key in an op", fragment: "ops[0]: unknown key \"weights\"",
              change: op(0, ["op": "psp", "weights": "w1.npy"])),
    Malformed(name: "weights of the wrong shape", fragment: "ops[4].weights: expected shape (out, 4)") { _, dir in
      try Npy.write(dir.appendingPathComponent("w2.npy"), shape: [2, 3], float32: [Float](repeating: 1, count: 6))
    },
    Malformed(name: "weights as float64", fragment: "ops[1].weights: expected dtype '<f4'") { _, dir in
      try Npy.write(dir.appendingPathComponent("w1.npy"), shape: [4, 3], float64: [Double](repeating: 1, count: 12))
    },
    Malformed(name: "NaN in weights", fragment: "ops[4].weights: expected finite values, found nan at index (1, 2)") { _, dir in
      try CaseTests.edit(dir.appendingPathComponent("w2.npy")) { $0[6] = .nan }
    },
    Malformed(name: "Inf in input", fragment: "input: expected finite values, found inf") { _, dir in
      try CaseTests.edit(dir.appendingPathComponent("input.npy")) { $0[5] = .infinity }
    },
    Malformed(name: "input of rank 4", fragment: "input: expected a rank-5 (N, C, H, W, T) array") { _, dir in
      try Npy.write(dir.appendingPathComponent("input.npy"), shape: [2, 3, 1, 40], float32: [Float](repeating: 0, count: 240))
    },
    Malformed(name: "input T ≠ steps", fragment: "input: expected T = 60 samples",
              change: set("simulation", "tSample", 30.0)),
    Malformed(name: "missing .npy file", fragment: "ops[1].weights: expected the .npy file \"w9.npy\"",
              change: op(1, ["op": "dense", "weights": "w9.npy"])),
    Malformed(name: "absolute .npy path", fragment: "input: expected an .npy path relative") { j, _ in j["input"] = "/tmp/x.npy" },
    Malformed(name: "target shape mismatch", fragment: "loss.target: expected the output's shape (2, 2, 1, 1, 40)") { _, dir in
      try Npy.write(dir.appendingPathComponent("target.npy"), shape: [2, 4, 1, 1, 40], float32: [Float](repeating: 0, count: 320))
    },
    Malformed(name: "unknown loss type", fragment: "loss.type: expected \"spikeTime\" or \"numSpikes\"",
              change: set("loss", "type", "mse")),
    Malformed(name: "label out of range", fragment: "loss.labels: expected integer class indices in 0..<2 (C·H·W of the output), found 2.0 at index (1,)") { j, dir in
      j["loss"] = numSpikes()
      try Npy.write(dir.appendingPathComponent("labels.npy"), shape: [2], float32: [0, 2])
    },
    Malformed(name: "label not an integer", fragment: "loss.labels: expected integer class indices") { j, dir in
      j["loss"] = numSpikes()
      try Npy.write(dir.appendingPathComponent("labels.npy"), shape: [2], float32: [0, 0.5])
    },
    Malformed(name: "region outside the window", fragment: "loss.tgtSpikeRegion: expected 0 ≤ rint(start/Ts) < rint(stop/Ts) ≤ T = 40") { j, _ in
      j["loss"] = numSpikes(stop: 25)
    },
    Malformed(name: "empty region", fragment: "loss.tgtSpikeRegion: expected 0 ≤") { j, _ in j["loss"] = numSpikes(start: 5, stop: 5) },
    Malformed(name: "missing tgtSpikeCount", fragment: "loss.tgtSpikeCount: expected an object, found nothing") { j, _ in
      var l = numSpikes()
      l["tgtSpikeCount"] = nil
      j["loss"] = l
    },
  ]

  static func numSpikes(start: Double = 0, stop: Double = 20) -> [String: Any] {
    ["type": "numSpikes", "labels": "labels.npy", "tgtSpikeRegion": ["start": start, "stop": stop],
     "tgtSpikeCount": ["true": 6.0, "false": 1.0]]
  }

  @Test("a malformed case fails with an IOError naming the field", arguments: malformed)
  func malformedCase(_ row: Malformed) throws {
    var f = try Fixture()
    defer { f.remove() }
    try row.change(&f.json, f.dir)
    try f.write(raw: row.raw)
    let error = #expect(throws: IOError.self) { try SlayerCase.load(f.dir) }
    #expect(error?.message.contains(row.fragment) == true,
            "\(row.name): expected a message containing \(row.fragment), found \(String(describing: error))")
  }

  @Test("every truncation of case.json fails with an IOError, never a crash")
  func truncatedCaseJSON() throws {
    let f = try Fixture()
    defer { f.remove() }
    let text = try String(contentsOf: f.file("case.json"), encoding: .utf8)
    var failures = 0
    for length in stride(from: 0, to: text.utf8.count, by: 3) {
      try f.write(raw: String(decoding: text.utf8.prefix(length), as: UTF8.self))
      do { _ = try SlayerCase.load(f.dir) } catch is IOError { failures += 1 }
    }
    #expect(failures == (text.utf8.count + 2) / 3)
  }
}
