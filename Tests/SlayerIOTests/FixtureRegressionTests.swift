import Foundation
import SlayerCore
@testable import SlayerIO
import Testing

/// `Fixtures/` is what the current code computes, bit for bit; the generator is deterministic.
@Suite("Fixture regression")
struct FixtureRegressionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures")

  @Test("every committed case and its expected/ are reproduced bit for bit", arguments: FixtureLibrary.definitions.map(\.name))
  func reproduces(name: String) throws {
    let definition = FixtureLibrary.definitions.first { $0.name == name }!
    let dir = Self.root.appendingPathComponent(name)
    let caseText = try String(contentsOf: dir.appendingPathComponent("case.json"), encoding: .utf8)
    #expect(caseText == definition.caseJSON, "\(name)/case.json differs from its definition: regenerate with `slayer fixtures generate`")
    for (file, array) in definition.arrays {
      let stored = try Npy.read(dir.appendingPathComponent(file))
      #expect(stored.shape == array.shape && stored.values.map { Float($0).bitPattern } == array.values.map(\.bitPattern),
              "\(name)/\(file) differs from its definition")
    }
    let result = CaseRunner.compute(try SlayerCase.load(dir))
    for a in result.arrays {
      let stored = try Npy.read(dir.appendingPathComponent("expected").appendingPathComponent(a.name))
      let bits = stored.values.map { Float($0).bitPattern }, now = a.values.map(\.bitPattern)
      let first = zip(bits, now).enumerated().first { $0.element.0 != $0.element.1 }?.offset
      #expect(stored.shape == a.shape && bits == now,
              "\(name)/expected/\(a.name) changed: first differing element \(first.map(String.init) ?? "shape") (stored \(first.map { stored.values[$0] } ?? 0), now \(first.map { a.values[$0] } ?? 0))")
    }
    if let loss = result.loss {
      let text = try String(contentsOf: dir.appendingPathComponent("expected/loss.json"), encoding: .utf8)
      #expect(text == CaseRunner.lossJSON(result)!, "\(name)/expected/loss.json changed (loss now \(loss))")
    }
  }

  @Test("the generator writes the same bytes with 1 thread and with all threads")
  func deterministic() throws {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    var snapshots: [[String: Data]] = []
    for threads in [1, 0] {
      Parallel.maxThreads = threads
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-fixtures-\(threads)-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: dir) }
      _ = try FixtureLibrary.generate(into: dir)
      var files: [String: Data] = [:]
      let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil)!
      for case let url as URL in e where !url.hasDirectoryPath {
        files[String(url.path.dropFirst(dir.path.count))] = try Data(contentsOf: url)
      }
      snapshots.append(files)
    }
    #expect(snapshots[0].keys.sorted() == snapshots[1].keys.sorted())
    for key in snapshots[0].keys.sorted() { #expect(snapshots[0][key] == snapshots[1][key], "\(key) differs between 1 and all threads") }
  }
}
