// The malformation table of issue 8: one row per kind of bad input on every path a user's input
// takes (`.npy`, `case.json`, event files, YAML parameter files, sample lists, command-line
// arguments). Each row builds its malformed input in a fresh directory, and its error must name
// the file, the field or byte offset, what was expected and what came. The library call that
// reads the input must throw that `IOError`; the `slayer` command that reads it must exit 2 with
// the same text on stderr. The rows are in MalformationRows.swift.
import Foundation
import SlayerCore
import SlayerIO
import Testing

/// One kind of malformed input and the four parts its error must name.
struct Malformation: Sendable, CustomTestStringConvertible {
  /// What is wrong, as the test lists it: `npy: bad magic`.
  var kind: String
  /// The file the error names, relative to the row's directory; nil for a command-line mistake.
  var file: String?
  /// The field or byte offset the message names.
  var at: String
  /// What the message says was expected.
  var expected: String
  /// What the message says came instead.
  var found: String
  /// Writes the malformed input into the scene.
  var make: @Sendable (Scene) throws -> Void
  /// The library call that reads it and must throw; nil for a command-line mistake.
  var api: (@Sendable (Scene) throws -> Void)?
  /// The `slayer` arguments that read it and must exit 2; nil where no command reads this file.
  var cli: (@Sendable (Scene) -> [String])?

  var testDescription: String { kind }
}

/// A row's own temporary directory, with a valid case under `case/` to break.
struct Scene {
  let dir: URL

  func url(_ relative: String) -> URL { dir.appendingPathComponent(relative) }
  var caseDir: URL { url("case") }
  var casePath: String { caseDir.path }

  /// The base case: psp → dense 4 → spike → psp → dense 2 → spike on (2, 3, 1, 1, 40) inputs,
  /// Ts 0.5 ms, tSample 20 ms, spikeTime loss (as CaseTests' fixture).
  static var baseJSON: [String: Any] { [
    "format": "slayer-case", "version": 1, "description": "malformation table base case",
    "simulation": ["Ts": 0.5, "tSample": 20.0],
    "neuron": ["type": "SRMALPHA", "theta": 1.0, "tauSr": 2.0, "tauRef": 2.0, "scaleRef": 2.0, "tauRho": 1.0, "scaleRho": 1.0],
    "input": "input.npy",
    "ops": [["op": "psp"], ["op": "dense", "weights": "w1.npy"], ["op": "spike"],
            ["op": "psp"], ["op": "dense", "weights": "w2.npy"], ["op": "spike"]],
    "loss": ["type": "spikeTime", "target": "target.npy"],
  ] }

  func writeBaseCase() throws {
    try FileManager.default.createDirectory(at: caseDir, withIntermediateDirectories: true)
    let input: Tensor<Float> = RandomSpikes.poisson(Shape(n: 2, c: 3, t: 40), rateHz: 300, Ts: 0.5, seed: 81)
    try Npy.writeTensor(caseDir.appendingPathComponent("input.npy"), input)
    try Npy.write(caseDir.appendingPathComponent("target.npy"), shape: [2, 2, 1, 1, 40], float32: [Float](repeating: 0, count: 160))
    try Npy.write(caseDir.appendingPathComponent("w1.npy"), shape: [4, 3], float32: [Float](repeating: 1, count: 12))
    try Npy.write(caseDir.appendingPathComponent("w2.npy"), shape: [2, 4], float32: [Float](repeating: 0.5, count: 8))
    try Npy.write(caseDir.appendingPathComponent("labels.npy"), shape: [2], float32: [0, 1])
    try writeCaseJSON(Self.baseJSON)
  }

  func writeCaseJSON(_ json: [String: Any]) throws {
    try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: caseDir.appendingPathComponent("case.json"))
  }

  /// Rewrites `case/case.json` through `change`.
  func editCase(_ change: (inout [String: Any]) -> Void) throws {
    let data = try Data(contentsOf: caseDir.appendingPathComponent("case.json"))
    var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    change(&json)
    try writeCaseJSON(json)
  }

  func write(_ relative: String, _ bytes: [UInt8]) throws {
    let url = url(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  func write(_ relative: String, text: String) throws { try write(relative, Array(text.utf8)) }
}

@Suite("Malformation table")
struct MalformationTableTests {
  static func withScene(_ body: (Scene) throws -> Void) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-malformed-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try body(Scene(dir: dir))
  }

  /// The four parts, each checked on its own so that a failure says which is missing.
  static func expectNames(_ row: Malformation, _ text: String, file: String?, via: String) {
    if let file { #expect(text.contains(file), "\(row.kind) (\(via)): the file \(file) is not named in: \(text)") }
    for (part, fragment) in [("field or offset", row.at), ("expected", row.expected), ("found", row.found)] {
      #expect(text.contains(fragment), "\(row.kind) (\(via)): the \(part) '\(fragment)' is not in: \(text)")
    }
  }

  @Test("the table has at least 40 rows and covers every input path")
  func coverage() {
    let rows = MalformationRows.all
    #expect(rows.count >= 40, "\(rows.count) rows")
    for path in ["npy", "case.json", "events", "yaml", "list", "cli"] {
      #expect(rows.contains { $0.kind.hasPrefix(path + ":") }, "no row for \(path)")
    }
    #expect(rows.filter { $0.cli != nil }.count >= 40, "\(rows.filter { $0.cli != nil }.count) rows run through the command")
    #expect(Set(rows.map(\.kind)).count == rows.count, "two rows share a name")
  }

  @Test("the library throws an IOError naming file, field or offset, expected and found", arguments: MalformationRows.all.filter { $0.api != nil })
  func library(_ row: Malformation) throws {
    try Self.withScene { scene in
      try row.make(scene)
      let error = #expect(throws: IOError.self, "\(row.kind)") { try row.api!(scene) }
      guard let error else { return }
      if let file = row.file {
        #expect(error.file == scene.url(file).path, "\(row.kind): the error names \(error.file), expected \(scene.url(file).path)")
      }
      Self.expectNames(row, error.message, file: nil, via: "library")
    }
  }

  @Test("the slayer command exits 2 and prints the same four parts", arguments: MalformationRows.all.filter { $0.cli != nil })
  func command(_ row: Malformation) throws {
    try Self.withScene { scene in
      try row.make(scene)
      let args = row.cli!(scene)
      guard let r = try CommandLineTests.slayer(args) else { return }
      #expect(r.status == 2, "\(row.kind): slayer \(args.joined(separator: " ")) exited \(r.status); stderr: \(r.stderr)")
      Self.expectNames(row, r.stderr, file: row.file.map { scene.url($0).path }, via: "slayer \(args.first ?? "")")
    }
  }
}
