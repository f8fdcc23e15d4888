import Foundation
import SlayerCore
@testable import SlayerIO
import Testing

/// `Fixtures/` is what the current code computes, bit for bit; the generator is deterministic; the
/// library is small and obeys the margin rule.
@Suite("Fixture regression")
struct FixtureRegressionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

  static func temporaryDirectory(_ label: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  /// Every regular file under `dir`, by path relative to it.
  static func files(under dir: URL) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let base = dir.standardizedFileURL.path
    let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)!
    for case let url as URL in e where !url.hasDirectoryPath {
      files[String(url.standardizedFileURL.path.dropFirst(base.count + 1))] = try Data(contentsOf: url)
    }
    return files
  }

  /// Where two versions of one file first differ: for `.npy`, the shape or the first differing element
  /// with its `(n, c, h, w, t)` index; for text, the first differing line.
  static func difference(_ file: String, stored: Data, now: Data) -> String {
    if file.hasSuffix(".npy") {
      let a = try? Npy.decode(stored, file: file), b = try? Npy.decode(now, file: file)
      guard let a, let b else { return "unreadable" }
      guard a.shape == b.shape else {
        return "shape stored \(Npy.tupleText(a.shape)), now \(Npy.tupleText(b.shape))"
      }
      guard let i = zip(a.values, b.values).enumerated().first(where: {
        Float($0.element.0).bitPattern != Float($0.element.1).bitPattern })?.offset
      else { return "same values, different header bytes" }
      let index = a.shape.count == 5 ? Npy.tupleText(multiIndex(i, in: a.shape)) : "[\(i)]"
      return "first differing element \(index): stored \(a.values[i]), now \(b.values[i])"
    }
    let x = String(decoding: stored, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let y = String(decoding: now, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let line = zip(x, y).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(x.count, y.count)
    return "line \(line + 1): stored \(line < x.count ? String(x[line]) : "<end>"), now \(line < y.count ? String(y[line]) : "<end>")"
  }

  @Test("every committed case and its expected/ are reproduced bit for bit", arguments: FixtureLibrary.definitions.map(\.name))
  func reproduces(name: String) throws {
    let definition = try #require(FixtureLibrary.definitions.first { $0.name == name })
    let temp = try Self.temporaryDirectory("regression")
    defer { try? FileManager.default.removeItem(at: temp) }
    _ = try FixtureLibrary.build(definition, in: temp)
    let now = try Self.files(under: temp), stored = try Self.files(under: Self.root.appendingPathComponent(name))
    let hint = "regenerate with `slayer fixtures generate` if the change is intended"
    for file in now.keys.sorted() where stored[file] == nil {
      Issue.record("\(name)/\(file) is generated but missing from Fixtures/; \(hint)")
    }
    for file in stored.keys.sorted() where now[file] == nil {
      Issue.record("\(name)/\(file) is in Fixtures/ but no longer generated; \(hint)")
    }
    for file in now.keys.sorted() {
      guard let old = stored[file], let new = now[file], old != new else { continue }
      Issue.record("\(name)/\(file) changed: \(Self.difference(file, stored: old, now: new)); \(hint)")
    }
  }

  @Test("Fixtures/ holds exactly the defined cases, under 20 MB")
  func libraryContents() throws {
    let entries = try FileManager.default.contentsOfDirectory(atPath: Self.root.path).filter { !$0.hasPrefix(".") }
    let directories = entries.filter { $0 != "README.md" }.sorted()
    #expect(directories == FixtureLibrary.definitions.map(\.name).sorted(), "stale or missing case directories in Fixtures/")
    #expect(Set(FixtureLibrary.definitions.map(\.name)).count == FixtureLibrary.definitions.count, "duplicate case names")
    let bytes = try Self.files(under: Self.root).values.reduce(0) { $0 + $1.count }
    #expect(bytes < 20_000_000, "Fixtures/ holds \(bytes) bytes, over the 20 MB budget")
  }

  @Test("the margin rule holds in every report.json (spike and warm-up margins): ≥ 1e-3 unless the case is borderline",
        arguments: FixtureLibrary.definitions.map(\.name))
  func marginRule(name: String) throws {
    let definition = try #require(FixtureLibrary.definitions.first { $0.name == name })
    let url = Self.root.appendingPathComponent(name).appendingPathComponent("expected/report.json")
    guard case .object(let report) = try JSONValue.decode(try Data(contentsOf: url), file: url.path),
          case .array(let ops)? = report["spikeOps"] else {
      Issue.record("\(name)/expected/report.json: no spikeOps list")
      return
    }
    var margins: [(op: Double, margin: Double)] = []
    for case .object(let op) in ops {
      guard case .number(let k)? = op["op"], case .number(let m)? = op["margin"] else { continue }
      margins.append((k, m))
      // A TSSL-BP lif op's second threshold, the warm-up bound: held to the same rule.
      if case .number(let w)? = op["warmupMargin"], !definition.borderline {
        #expect(w >= Tolerance.marginTolerance, "\(name): op \(Int(k)) warm-up margin \(w) < \(Tolerance.marginTolerance)")
      }
    }
    #expect(margins.count == ops.count, "\(name): every spikeOps entry has op and margin")
    if definition.borderline {
      #expect(margins.contains { $0.margin < Tolerance.marginTolerance }, "\(name) is borderline but no margin is < 1e-3")
    } else {
      for (k, m) in margins {
        #expect(m >= Tolerance.marginTolerance, "\(name): op \(Int(k)) margin \(m) < \(Tolerance.marginTolerance)")
      }
    }
  }

  /// The smallest margin over a case's spike ops as `Docs/FixtureFormat.md` prints it.
  static func minMarginText(_ name: String) throws -> String {
    let url = root.appendingPathComponent(name).appendingPathComponent("expected/report.json")
    guard case .object(let report) = try JSONValue.decode(try Data(contentsOf: url), file: url.path),
          case .array(let ops)? = report["spikeOps"] else { return "?" }
    let margins = ops.compactMap { op -> Double? in
      if case .object(let o) = op, case .number(let m)? = o["margin"] { return m } else { return nil }
    }
    return margins.min().map { String(format: "%.3g", $0) } ?? "— (no spike op)"
  }

  @Test("Docs/FixtureFormat.md lists every case once, with the min margin of its report.json")
  func documentedTable() throws {
    let doc = try String(contentsOf: Self.root.deletingLastPathComponent().appendingPathComponent("Docs/FixtureFormat.md"),
                         encoding: .utf8)
    var rows: [String: String] = [:]
    for line in doc.split(separator: "\n") where line.hasPrefix("| `") {
      let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
      let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
      #expect(rows[name] == nil, "\(name) listed twice")
      rows[name] = cells.last!
    }
    #expect(rows.keys.sorted() == FixtureLibrary.definitions.map(\.name).sorted(), "the table's cases are the library's")
    for name in rows.keys.sorted() {
      #expect(rows[name] == (try Self.minMarginText(name)), "\(name): the table's min margin differs from report.json")
    }
  }

  @Test("the borderline case has a potential within 1e-4 of θ, and only that case is borderline")
  func borderlineCase() throws {
    #expect(FixtureLibrary.definitions.filter(\.borderline).map(\.name) == ["borderline-crossing"])
    let dir = Self.root.appendingPathComponent("borderline-crossing")
    let u = try Npy.read(dir.appendingPathComponent("expected/op2.u.npy")).values
    let close = u.enumerated().filter { abs($0.element - 10) < 1e-4 }.map(\.offset)
    let t = 12
    #expect(close == [t - 1, 2 * t - 1], "the near-θ samples are outputs 0 and 1 of batch sample 0 at the last sample")
    let s = try Npy.read(dir.appendingPathComponent("expected/op2.npy")).values
    #expect(s[t - 1] == 1 && s[2 * t - 1] == 0, "θ + 5e-5 fires, θ − 5e-5 does not")
    let text = try String(contentsOf: dir.appendingPathComponent("case.json"), encoding: .utf8)
    #expect(text.contains("Borderline: true"))
  }

  @Test("the generator re-seeds a case whose margin is too narrow, and refuses it when no seed helps")
  func marginRuleEnforced() throws {
    var narrow = EdgeFixtures.borderline
    narrow.borderline = false
    let temp = try Self.temporaryDirectory("margin")
    defer { try? FileManager.default.removeItem(at: temp) }
    do {
      _ = try FixtureLibrary.build(narrow, in: temp)
      Issue.record("a non-borderline case with margin 5e-5 was accepted")
    } catch let error as IOError {
      #expect(error.message.contains("borderline-crossing") && error.message.contains("op 2"), "\(error)")
      #expect(error.message.contains("margin min |u − θ| = 4."), "names the margin: \(error)")
    }
    // Seed 1 keeps the narrow weights, seed 2 moves them 0.5 away from θ: the generator takes seed 2.
    let base = narrow.arrays
    narrow.seeds = [1, 2]
    narrow.arrays = { seed in
      var a = base(seed)
      if seed == 2 { a["w.npy"]!.values = [10.5, 25, 9.5, 18] }
      return a
    }
    let (fixture, result) = try FixtureLibrary.build(narrow, in: temp)
    #expect(fixture.seed == 2)
    #expect(fixture.description.contains("Seed 2 (candidates 1, 2:"))
    #expect(result.spikeReports.allSatisfy { $0.margin >= Tolerance.marginTolerance })
    // A borderline flag on a case with wide margins is an error too.
    var wide = OpFixtures.pspSpike
    wide.borderline = true
    #expect(throws: IOError.self) { try FixtureLibrary.build(wide, in: temp) }
  }

  @Test("the generator writes the same bytes with 1 thread and with all threads")
  func deterministic() throws {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    var snapshots: [[String: Data]] = []
    for threads in [1, 0] {
      Parallel.maxThreads = threads
      let dir = try Self.temporaryDirectory("fixtures-\(threads)")
      defer { try? FileManager.default.removeItem(at: dir) }
      _ = try FixtureLibrary.generate(into: dir)
      snapshots.append(try Self.files(under: dir))
    }
    #expect(snapshots[0].keys.sorted() == snapshots[1].keys.sorted())
    for key in snapshots[0].keys.sorted() { #expect(snapshots[0][key] == snapshots[1][key], "\(key) differs between 1 and all threads") }
  }
}
