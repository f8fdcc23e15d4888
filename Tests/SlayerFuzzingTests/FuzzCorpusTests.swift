// Every input that once crashed a parser under the fuzzer (`.ci/fuzz`), kept in `Corpus/<target>/`,
// and every seed, is run through its target again: each must parse or throw an IOError. A
// regression stops the test process, which fails the run loudly.
import Foundation
import SlayerFuzzing
import SlayerIO
import Testing

@Suite("Fuzz corpus")
struct FuzzCorpusTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let fixtures = root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

  /// The files of `Corpus/<target>/`, sorted.
  static func corpus(_ target: FuzzTarget) -> [URL] {
    let dir = root.appendingPathComponent("Corpus").appendingPathComponent(target.rawValue)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
  }

  @Test("past crashes and the seeds run through their target without a crash", arguments: FuzzTarget.allCases)
  func replay(_ target: FuzzTarget) throws {
    let context = FuzzContext(fixtures: Self.fixtures)
    let seeds = target.seeds(context: context, fixtures: Self.fixtures)
    #expect(!seeds.isEmpty, "\(target): no seeds")
    if target == .case { #expect(!context.arrays.isEmpty, "no fixture arrays under \(Self.fixtures.path)") }
    for seed in seeds { target.run(seed, context: context) }
    let files = Self.corpus(target)
    for file in files { target.run([UInt8](try Data(contentsOf: file)), context: context) }
    print("fuzz corpus \(target): \(seeds.count) seeds and \(files.count) past crashes replayed")
  }

  @Test("the case seeds load (SRMALPHA or TSSL-BP): they name the fixture arrays the context holds")
  func caseSeedsLoad() throws {
    let context = FuzzContext(fixtures: Self.fixtures)
    var loaded = 0
    let seeds = FuzzTarget.case.seeds(context: context, fixtures: Self.fixtures)
    for seed in seeds {
      let (json, arrays) = FuzzTarget.caseFiles(seed, context: context)
      let directory = URL(fileURLWithPath: "/fuzz")
      let srm = try? SlayerCase.decode(caseJSON: json, arrays: arrays, directory: directory)
      let tssl = try? TSSLCase.decode(caseJSON: json, arrays: arrays, directory: directory)
      if srm != nil || tssl != nil { loaded += 1 }
    }
    #expect(seeds.count >= 40 && loaded == seeds.count, "\(loaded) of \(seeds.count) case seeds load in memory")
  }
}
