// Tests for TSSLCase.swift and TSSLCaseRunner.swift: the TSSL-BP fixtures load, run, check and
// compare like SRMALPHA cases; each exercises the branches its description claims; malformed
// TSSL-BP cases fail with an IOError naming the field.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("Case format: TSSL-BP")
struct TSSLCaseTests {
  static let fixtures = FixtureRegressionTests.root

  /// A copy of `Fixtures/<name>` in a temporary directory.
  static func copy(_ name: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-tssl-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: dir)
    return dir
  }

  static func report(_ dir: URL) throws -> [String: JSONValue] {
    let url = dir.appendingPathComponent("expected/report.json")
    guard case .object(let o) = try JSONValue.decode(try Data(contentsOf: url), file: url.path) else { return [:] }
    return o
  }

  /// Per `lif` op of a report: (spikes, firing fraction).
  static func spikeOps(_ report: [String: JSONValue]) -> [(spikes: Double, fraction: Double)] {
    guard case .array(let ops)? = report["spikeOps"] else { return [] }
    return ops.compactMap { op in
      guard case .object(let o) = op, case .number(let s)? = o["spikes"], case .number(let f)? = o["firingFraction"] else { return nil }
      return (s, f)
    }
  }

  static let names = TSSLFixtures.all.map(\.name)

  @Test("every TSSL-BP fixture is declared TSSLBP, loads, checks and lists its files", arguments: names)
  func fixtureChecks(name: String) throws {
    let dir = Self.fixtures.appendingPathComponent(name)
    #expect(TSSLCase.declares(dir))
    let c = try TSSLCase.load(dir)
    let comparison = try CaseRunner.check(dir)
    #expect(comparison.agrees, "\(comparison.report())")
    let listed = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("expected").path).sorted()
    #expect(listed == TSSLCaseRunner.expectedFileNames(c).sorted())
    for (k, op) in c.opNames.enumerated() where op == "lif" {
      #expect(listed.contains("op\(k).spikes.npy") && listed.contains("op\(k).u.npy"))
    }
  }

  @Test("the final-rule fixtures exercise what their descriptions claim", arguments: ["tsslbp-lif-kernel", "tsslbp-dense-count",
                                                                                      "tsslbp-conv-pool-dropout"])
  func coverage(name: String) throws {
    let c = try TSSLCase.load(Self.fixtures.appendingPathComponent(name))
    let trace = c.network.forward(c.input)
    var coverage = TSSLGradientCheck.Coverage()
    for s in trace.states.compactMap({ $0 }) { coverage.add(s, c.network.neuron) }
    #expect(coverage.spikes > 0 && coverage.consecutivePairs > 0 && coverage.overrideStepsWithCarry > 0, "\(name): \(coverage)")
    let lifs = trace.states.compactMap { $0 }
    #expect(lifs.allSatisfy { s in s.spikes.scalars.contains(0) && s.spikes.scalars.contains(1) }, "\(name): no lif op silent or saturated")
    if name == "tsslbp-dense-count" {
      #expect(coverage.longestGap >= 5, "\(name): \(coverage)")
      guard case .count(let l)? = c.loss else { Issue.record("count loss expected"); return }
      let active = l.activeRows(trace.output)
      #expect(active.contains(true) && active.contains(false), "\(name): the hinge is both on and off")
    }
  }

  @Test("the paper-rule fixture takes both branches: one layer above 10 % firing, one at or below")
  func paperBranches() throws {
    let ops = Self.spikeOps(try Self.report(Self.fixtures.appendingPathComponent("tsslbp-paper-rule")))
    #expect(ops.count == 2)
    #expect(ops.first { $0.fraction > 0.1 } != nil && ops.first { $0.fraction <= 0.1 } != nil, "\(ops)")
  }

  @Test("the TSSL-BP fixtures pass the gradient check of the auxiliary model (final rule)",
        arguments: ["tsslbp-lif-kernel", "tsslbp-dense-count", "tsslbp-conv-pool-dropout"])
  func gradientCheck(name: String) throws {
    let c = try TSSLCase.load(Self.fixtures.appendingPathComponent(name))
    let r = TSSLGradientCheck.run(c.network, input: c.input, loss: try #require(c.loss), includeInput: true)
    #expect(r.worstRelativeError <= 1e-6, "\(name): \(r.entries)")
  }

  @Test("compare: a flipped spike fails unless the margin excuses it; a spike file missing is reported")
  func compareSpikes() throws {
    let dir = try Self.copy("tsslbp-dense-count")
    defer { try? FileManager.default.removeItem(at: dir) }
    let actual = dir.appendingPathComponent("actual")
    try FileManager.default.copyItem(at: dir.appendingPathComponent("expected"), to: actual)
    #expect(try CaseRunner.compare(dir, actual: actual).agrees)
    try CaseTests.edit(actual.appendingPathComponent("op2.spikes.npy")) { $0[0] = 1 - $0[0] }
    let flipped = try CaseRunner.compare(dir, actual: actual)
    #expect(flipped.entries.filter { !$0.agrees }.map(\.name) == ["op2.spikes.npy"], "\(flipped.report())")
    try FileManager.default.removeItem(at: actual.appendingPathComponent("op4.spikes.npy"))
    #expect(try CaseRunner.compare(dir, actual: actual).missing == ["op4.spikes.npy"])
  }

  /// Each edit of a valid TSSL-BP case.json and the words its error must contain.
  static let malformed: [(String, @Sendable (inout [String: JSONValue]) -> Void, [String])] = [
    ("Ts ≠ 1", { $0["simulation"] = .object(["Ts": .number(0.5), "tSample": .number(15)]) }, ["simulation.Ts", "expected 1"]),
    ("tauM < 1", { neuron(&$0, "tauM", .number(0.5)) }, ["neuron.tauM", "≥ 1", "0.5"]),
    ("theta 0", { neuron(&$0, "theta", .number(0)) }, ["neuron.theta", "> 0"]),
    ("bad rule", { neuron(&$0, "rule", .string("head")) }, ["neuron.rule", "\"final\" or \"paper\"", "\"head\""]),
    ("unknown neuron key", { neuron(&$0, "tauSr", .number(1)) }, ["neuron", "unknown key \"tauSr\""]),
    ("SRM op", { ops(&$0) { $0[2] = .object(["op": .string("spike")]) } }, ["ops[2].op", "TSSLBP ops", "\"spike\""]),
    ("SLAYER pool", { ops(&$0) { $0[2] = .object(["op": .string("pool"), "size": .number(2)]) } }, ["ops[2].op", "\"pool\""]),
    ("SLAYER loss", { $0["loss"] = .object(["type": .string("spikeTime"), "target": .string("input.npy")]) },
     ["loss.type", "\"kernel\" or \"count\""]),
    ("negative count", { loss(&$0, "desired", .number(-1)) }, ["loss.desired", "≥ 0", "-1"]),
    ("missing count", { if case .object(var l)? = $0["loss"] { l["undesired"] = nil; $0["loss"] = .object(l) } },
     ["loss.undesired", "expected a number"]),
  ]

  static func neuron(_ top: inout [String: JSONValue], _ key: String, _ value: JSONValue) {
    guard case .object(var n)? = top["neuron"] else { return }
    n[key] = value
    top["neuron"] = .object(n)
  }

  static func loss(_ top: inout [String: JSONValue], _ key: String, _ value: JSONValue) {
    guard case .object(var l)? = top["loss"] else { return }
    l[key] = value
    top["loss"] = .object(l)
  }

  static func ops(_ top: inout [String: JSONValue], _ change: (inout [JSONValue]) -> Void) {
    guard case .array(var list)? = top["ops"] else { return }
    change(&list)
    top["ops"] = .array(list)
  }

  /// JSON text of a `JSONValue` tree (numbers in shortest round-trip form).
  static func text(_ v: JSONValue) -> JSON {
    switch v {
    case .null, .bool: .string("unused")
    case .number(let x): .number(x)
    case .string(let s): .string(s)
    case .array(let a): .array(a.map(text))
    case .object(let o): .object(o.mapValues(text))
    }
  }

  @Test("malformed TSSL-BP cases: an IOError naming the field, what was expected and what came",
        arguments: malformed.indices)
  func malformedCase(index: Int) throws {
    let (what, edit, words) = Self.malformed[index]
    let dir = try Self.copy("tsslbp-dense-count")
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("case.json")
    guard case .object(var top) = try JSONValue.decode(try Data(contentsOf: url), file: url.path) else { return }
    edit(&top)
    try Data(Self.text(.object(top)).text().utf8).write(to: url)
    do {
      _ = try CaseRunner.run(dir)
      Issue.record("\(what): accepted")
    } catch let error as IOError {
      for word in words { #expect(error.description.contains(word), "\(what): \(error)") }
    }
  }

  @Test("kernel loss with T = 7: the pattern cannot fill the window, an error naming loss.pattern")
  func patternWindow() throws {
    let dir = try Self.copy("tsslbp-lif-kernel")
    defer { try? FileManager.default.removeItem(at: dir) }
    let c = try TSSLCase.load(dir)
    var x = c.input
    x.shape.t = 7
    x.scalars = Array(x.scalars.prefix(x.shape.count))
    try Npy.writeTensor(dir.appendingPathComponent("input.npy"), x)
    let url = dir.appendingPathComponent("case.json")
    let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "\"tSample\": 10", with: "\"tSample\": 7")
    try Data(text.utf8).write(to: url)
    #expect(throws: IOError.self) { try TSSLCase.load(dir) }
    do { _ = try TSSLCase.load(dir) } catch let error as IOError {
      #expect(error.description.contains("loss.pattern") && error.description.contains("T = 7"), "\(error)")
    }
  }
}
