import Foundation
import Testing

/// The numbers and pictures in `Docs/` stay true: every worked number marked in the Markdown is
/// recomputed (``WorkedNumbers``) and must match what the text says, and the pictures that are
/// cheap to draw are redrawn by the `slayer plot` commands that made them and must be the same bytes.
@Suite("Docs")
struct DocsTests {
  static let docs = WorkedNumbers.repo("Docs")

  /// Every Markdown file under `Docs/`, relative paths, sorted.
  static let articles: [String] = {
    let files = FileManager.default.enumerator(atPath: docs.path)?.compactMap { $0 as? String } ?? []
    return files.filter { $0.hasSuffix(".md") }.sorted()
  }()

  static func markers(_ article: String) throws -> [Marker] {
    Marker.parse(try String(contentsOf: docs.appendingPathComponent(article), encoding: .utf8), file: "Docs/\(article)")
  }

  /// Outcomes computed once per name (several articles cite the same number).
  nonisolated(unsafe) static var cache: [String: Result<WorkedNumbers.Outcome, Error>] = [:]
  static let lock = NSLock()

  /// Computations run one at a time, so that two articles citing the same number wait for one
  /// computation instead of running two.
  static func outcome(_ name: String) -> Result<WorkedNumbers.Outcome, Error>? {
    lock.lock()
    defer { lock.unlock() }
    if let hit = cache[name] { return hit }
    guard let f = WorkedNumbers.registry[name] else { return nil }
    let clock = ContinuousClock(), start = clock.now
    let r = Result { try f() }
    let elapsed = clock.now - start
    if elapsed > .seconds(2) { print("Docs: computing '\(name)' took \(elapsed)") }
    cache[name] = r
    return r
  }

  @Test("the worked numbers of each article match their recomputation", arguments: articles)
  func workedNumbers(article: String) throws {
    var checked = 0
    for m in try Self.markers(article) {
      guard let result = Self.outcome(m.name) else {
        Issue.record("\(m): no check named '\(m.name)' in WorkedNumbers.registry")
        continue
      }
      let values: [Double]
      switch result {
      case .failure(let error):
        Issue.record("\(m): computing it threw \(error)")
        continue
      case .success(.skipped(let reason)):
        print("SKIPPED: \(m): \(reason)")
        continue
      case .success(.values(let v)):
        values = v
      }
      guard m.numbersBefore.count >= values.count, !values.isEmpty else {
        Issue.record("\(m): expects \(values.count) number(s) before the marker, the line has \(m.numbersBefore.count)")
        continue
      }
      let written = Array(m.numbersBefore.suffix(values.count))
      for (w, v) in zip(written, values) {
        switch m.kind {
        case .equal:
          // As written: the value rounds to the written digits (half a unit in the last place,
          // and a hair of relative slack for values that sit exactly on a rounding boundary).
          if !(abs(w.value - v) <= w.halfUnit * (1 + 1e-9) + 1e-12 * abs(v)) {
            Issue.record("\(m): the text says \(w.text), the computation gives \(v) (allowed ±\(w.halfUnit))")
          }
        case .below:
          if !(v <= w.value) { Issue.record("\(m): the text says below \(w.text), the computation gives \(v)") }
        }
        checked += 1
      }
    }
    print("Docs/\(article): \(checked) worked number(s) checked")
  }

  @Test("every check in the registry is cited by some article, and every article's markers parse")
  func registryIsUsed() throws {
    var cited = Set<String>()
    var total = 0
    for article in Self.articles {
      let markers = try Self.markers(article)
      total += markers.count
      cited.formUnion(markers.map(\.name))
      // A marker-like comment that the parser did not take (a typo such as `<!-- chek: x -->`).
      let text = try String(contentsOf: Self.docs.appendingPathComponent(article), encoding: .utf8)
      let pieces = text.components(separatedBy: "<!--")
      let raw = pieces.indices.dropFirst().filter {
        pieces[$0].trimmingCharacters(in: .whitespaces).hasPrefix("check") && !pieces[$0 - 1].hasSuffix("`")
      }.count
      #expect(raw == markers.count, "Docs/\(article): \(raw) check comments, \(markers.count) parsed")
    }
    let unused = Set(WorkedNumbers.registry.keys).subtracting(cited).sorted()
    #expect(unused.isEmpty, "checks no article cites (cite them or remove them): \(unused)")
    #expect(total > 0)
    print("Docs: \(total) markers over \(Self.articles.count) articles, \(cited.count) distinct checks")
  }

  /// `Docs/images/regenerate.sh` lines ending in `# byte-checked`: a `slayer plot` whose inputs are
  /// in the repository. Each is run into a temporary file, which must equal the committed picture.
  @Test("the committed pictures are what their slayer plot commands draw")
  func pictures() throws {
    let script = try String(contentsOf: Self.docs.appendingPathComponent("images/regenerate.sh"), encoding: .utf8)
    let lines = script.components(separatedBy: "\n").filter { $0.hasSuffix("# byte-checked") }
    #expect(!lines.isEmpty, "Docs/images/regenerate.sh marks no line '# byte-checked'")
    guard let binary = Slayer.binary else {
      print("SKIPPED: the slayer binary was not found next to the tests")
      return
    }
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-docs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: temp) }
    for line in lines {
      var words = Self.shellWords(line.replacingOccurrences(of: "# byte-checked", with: ""))
      guard words.first == "$SLAYER", let o = words.firstIndex(of: "--out"), o + 1 < words.count else {
        Issue.record("regenerate.sh: expected '$SLAYER plot … --out Docs/images/X.svg  # byte-checked', found: \(line)")
        continue
      }
      let committed = WorkedNumbers.repo(words[o + 1])
      let fresh = temp.appendingPathComponent(committed.lastPathComponent)
      words[o + 1] = fresh.path
      let r = try Slayer.run(binary, Array(words.dropFirst()), in: WorkedNumbers.root)
      #expect(r.status == 0, "\(line): exit \(r.status): \(r.stderr)")
      let a = try? Data(contentsOf: committed), b = try? Data(contentsOf: fresh)
      #expect(a != nil && a == b, "\(words[o + 1]) differs from what `\(line)` draws now; run Docs/images/regenerate.sh")
    }
  }

  @Test("every row of PaperVsCode.md names source files whose PAPER-DIFF comment cites its section")
  func paperDifferences() throws {
    let text = try String(contentsOf: Self.docs.appendingPathComponent("PaperVsCode.md"), encoding: .utf8)
    let section = try NSRegularExpression(pattern: #"^\| (§[0-9]+(?:\.[0-9]+)?) \|"#)
    let path = try NSRegularExpression(pattern: #"`(Sources/[A-Za-z/]+\.swift)`"#)
    var rows = 0, sections: Set<String> = []
    for line in text.components(separatedBy: "\n") {
      let ns = line as NSString
      guard let m = section.firstMatch(in: line, range: NSRange(location: 0, length: ns.length)) else { continue }
      let cited = ns.substring(with: m.range(at: 1))
      sections.insert(cited)
      let files = path.matches(in: line, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
      if files.isEmpty {
        #expect(line.contains("| none:"), "PaperVsCode.md \(cited): the row names no source file and does not say 'none:'")
        continue
      }
      rows += 1
      for file in files {
        let source = try String(contentsOf: WorkedNumbers.repo(file), encoding: .utf8)
        #expect(Self.paperDiffBlocks(source).contains { Self.cites($0, cited) },
                "PaperVsCode.md \(cited): no PAPER-DIFF comment in \(file) cites \(cited)")
      }
    }
    // Every item of slayer.md §9 has a row.
    for item in 1...18 { #expect(sections.contains("§9.\(item)"), "PaperVsCode.md has no row for §9.\(item)") }
    print("PaperVsCode.md: \(rows) rows checked against the PAPER-DIFF comments they name")
  }

  /// The comment blocks (consecutive `//` or `///` lines) that contain `PAPER-DIFF`.
  static func paperDiffBlocks(_ source: String) -> [String] {
    var blocks: [String] = [], block: [String] = []
    for line in source.components(separatedBy: "\n") + [""] {
      let t = line.trimmingCharacters(in: .whitespaces)
      if t.hasPrefix("//") { block.append(t); continue }
      if block.contains(where: { $0.contains("PAPER-DIFF") }) { blocks.append(block.joined(separator: " ")) }
      block = []
    }
    return blocks
  }

  /// Whether `text` cites `section` (`§9.1` and not `§9.10`; `(§9.6)` counts as `slayer.md` §9.6).
  static func cites(_ text: String, _ section: String) -> Bool {
    let escaped = NSRegularExpression.escapedPattern(for: section)
    return text.range(of: escaped + #"(?![0-9])"#, options: .regularExpression) != nil
  }

  /// Words split at spaces outside double quotes, the quotes removed (all regenerate.sh needs).
  static func shellWords(_ line: String) -> [String] {
    var words: [String] = [], word = "", quoted = false, started = false
    for ch in line {
      if ch == "\"" { quoted.toggle(); started = true; continue }
      if ch == " " && !quoted {
        if started { words.append(word) }
        word = ""; started = false
      } else {
        word.append(ch); started = true
      }
    }
    if started { words.append(word) }
    return words
  }

  @Test("slayer plot kernels prints the numbers Docs/Kernels.md quotes")
  func kernelCommand() throws {
    guard let binary = Slayer.binary else {
      print("SKIPPED: the slayer binary was not found next to the tests")
      return
    }
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("kernels-\(UUID().uuidString).svg")
    defer { try? FileManager.default.removeItem(at: out) }
    let r = try Slayer.run(binary, ["plot", "kernels", "--out", out.path], in: WorkedNumbers.root)
    #expect(r.status == 0, "\(r.stderr)")
    let text = try String(contentsOf: Self.docs.appendingPathComponent("Kernels.md"), encoding: .utf8)
    // The article quotes the command's output lines verbatim in a fenced block.
    for line in r.stdout.split(separator: "\n") where line.hasPrefix("ε:") || line.hasPrefix("ν:") || line.hasPrefix("ρ:") {
      #expect(text.contains(line), "Docs/Kernels.md does not quote the line `slayer plot kernels` prints: \(line)")
    }
  }
}

/// The `slayer` binary beside the test bundle (`swift test` builds it; this target depends on it).
enum Slayer {
  static var binary: URL? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = dir.appendingPathComponent("slayer")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      dir = dir.deletingLastPathComponent()
    }
    let fallback = WorkedNumbers.root.appendingPathComponent(".build/debug/slayer")
    return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
  }

  struct Run { var status: Int32; var stdout: String; var stderr: String }

  static func run(_ binary: URL, _ args: [String], in directory: URL) throws -> Run {
    let p = Process()
    p.executableURL = binary
    p.arguments = args
    p.currentDirectoryURL = directory
    let out = Pipe(), err = Pipe()
    p.standardOutput = out; p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
  }
}
