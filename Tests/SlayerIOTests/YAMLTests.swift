// Tests for YAML.swift and NetworkParameters.swift: the real network.yaml of the golden data,
// the slayerPytorch example files of `slayer.md` §7 (written out here), the §9.15 key quirks,
// unknown keys, a table of malformed files, and a seeded mutation fuzz.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("YAML parameters")
struct YAMLTests {
  // MARK: Fixtures: slayerPytorch's files as `slayer.md` §7 describes them

  /// `example/01_Oxford/oxford/oxford.yaml`: layers 200-256-200, SpikeTime.
  static let oxford = """
    simulation:
        Ts: 1
        tSample: 1900
        nSample: 1
    neuron:
        type:     SRMALPHA
        theta:    10
        tauSr:    10.0
        tauRef:   1.0
        scaleRef: 2     # relative to theta
        tauRho:   1     # relative to theta
        scaleRho: 1
    layer:
        - {dim: 200}
        - {dim: 256}
        - {dim: 200}
    training:
        error:
            type: SpikeTime #ProbSpikes #NumSpikes #SpikeTime
    """

  /// `example/02_NMNIST_MLP/network.yaml`: NumSpikes 60/10 over 0–300 ms.
  static let nmnistMLP = """
    ---
    simulation:
        Ts: 1.0
        tSample: 300
        nSample: 12
    neuron:
        type:     SRMALPHA
        theta:    10
        tauSr:    10.0
        tauRef:   1.0
        scaleRef: 2     # relative to theta
        tauRho:   1     # relative to theta #0.43429448190325176
        scaleRho: 1
    layer:
        # wScale = 1 and sigma = 0 by default
        - {dim: 34x34x2}
        - {dim: 512}
        - {dim: 10}
    training:
        error:
            type: NumSpikes #ProbSpikes #NumSpikes
            probSlidingWin: 20  # only valid for ProbSpikes
            tgtSpikeRegion: {start: 0, stop: 300}    # only valid for NumSpikes and ProbSpikes
            tgtSpikeCount: {true: 60, false: 10}    # only valid for NumSpikes
        learning:
            etaW: 0.1
            lambda: 0
        stopif:
            maxIter: 100000
            minCost: 1e-4
        path:
            out:     OutFiles/
            train:   "NMNISTsmall/train1K.txt"   # quoted, with a '#' inside: 'a # b'
    """

  /// `test/test_files/parameters.yaml` (C++-era, `end:`) merged with issue #58's recipe
  /// (`tgtSpikeRate`, τ_sr 1, tauRho 0.1, scaleRho 0.25), the two quirks of `slayer.md` §9.15.
  static let quirks = """
    simulation: {Ts: 1.0, tSample: 1000, nSample: 12}
    neuron:
      type: SRMALPHA
      theta: 10
      tauSr: 1.0
      tauRef: 1.0
      scaleRef: 2
      tauRho: 0.1
      scaleRho: 0.25
    layer:
    - dim: 34x34x2
      wScale: 1
    - dim: 512
    - dim: 10
    training:
      error:
        type: NumSpikes
        tgtSpikeRegion: {start: 0, end: 300}
        tgtSpikeRate: {true: 60, false: 10}
      optimizer:
        name:    NADAM  #GradientDescent
        beta1:   .9
        epsilon: 1e-8
      gradAlgo: SLAYER   #SLAYER_REFRACTORY  #SLAYER_ZERO
    preferredGPU: 1
    """

  // MARK: The real file

  @Test("the golden data's network.yaml")
  func goldenNetworkYAML() throws {
    guard let url = sharedData("slayer-matlab-golden/network.yaml") else { return }
    let p = try NetworkParameters.load(url)
    #expect(p.simulation == SimulationParameters(Ts: 0.1, tSample: 50))
    #expect(p.simulation.steps == 500)
    #expect(p.neuron == NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1))
    let error = try #require(p.error)
    #expect(error == .init(type: "SpikeTime", probSlidingWin: 20, start: 10, stop: 40, trueCount: 10, falseCount: 3))
    #expect(p.layers.map { $0["dim"]?.number } == [250, 25, 1])
    #expect(p.warnings.isEmpty, "\(p.warnings)")
  }

  // MARK: The example files

  @Test("Oxford: SpikeTime, 200-256-200, τ_sr 10 ms")
  func oxfordFile() throws {
    let p = try NetworkParameters.parse(Self.oxford, file: "oxford.yaml")
    #expect(p.simulation == SimulationParameters(Ts: 1, tSample: 1900))
    #expect(p.neuron == NeuronParameters(theta: 10, tauSr: 10, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1))
    #expect(p.error == .init(type: "SpikeTime"))
    #expect(p.error?.numSpikesLoss(labels: [0]) == nil)
    #expect(p.layers == [200, 256, 200].map { YAMLValue.map([("dim", .scalar("\($0)"))]) })
    #expect(p.warnings.isEmpty)
  }

  @Test("NMNIST MLP: NumSpikes over {start: 0, stop: 300}, 60 / 10; learning, stopif, path accepted")
  func nmnistFile() throws {
    let p = try NetworkParameters.parse(Self.nmnistMLP, file: "network.yaml")
    #expect(p.simulation == SimulationParameters(Ts: 1, tSample: 300))
    #expect(p.neuron.tauSr == 10 && p.neuron.refKernelEpsilon == 0.01)
    let error = try #require(p.error)
    #expect(error == .init(type: "NumSpikes", probSlidingWin: 20, start: 0, stop: 300, trueCount: 60, falseCount: 10))
    #expect(error.numSpikesLoss(labels: [3, 7])
      == NumSpikesLoss(labels: [3, 7], start: 0, stop: 300, trueCount: 60, falseCount: 10))
    #expect(p.layers.map { $0["dim"]?.string } == ["34x34x2", "512", "10"])
    #expect(p.warnings.isEmpty, "\(p.warnings)")
    let yaml = try YAMLValue.parse(Self.nmnistMLP, file: "network.yaml")
    #expect(yaml["training"]?["path"]?["train"]?.string == "NMNISTsmall/train1K.txt")
    #expect(yaml["training"]?["stopif"]?["minCost"]?.number == 1e-4)
  }

  @Test("quirks: 'end' is read as stop and 'tgtSpikeRate' as tgtSpikeCount, each with a warning")
  func quirkFile() throws {
    let p = try NetworkParameters.parse(Self.quirks, file: "parameters.yaml")
    #expect(p.neuron == NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 0.1, scaleRho: 0.25))
    #expect(p.error == .init(type: "NumSpikes", start: 0, stop: 300, trueCount: 60, falseCount: 10))
    #expect(p.layers.first == .map([("dim", .scalar("34x34x2")), ("wScale", .scalar("1"))]))
    #expect(p.warnings == [
      "parameters.yaml: line 18: 'training.error.tgtSpikeRegion.end' is not read by slayerPytorch, which needs "
        + "'stop' (slayer.md §9.15); read as stop",
      "parameters.yaml: line 19: 'training.error.tgtSpikeRate' is not read by slayerPytorch, which needs "
        + "'tgtSpikeCount' (slayer.md §9.15); read as tgtSpikeCount",
      "parameters.yaml: line 24: unknown key 'training.gradAlgo' (ignored)",
      "parameters.yaml: line 25: unknown key 'preferredGPU' (ignored)",
    ])
  }

  @Test("unknown keys are reported with their line, not fatal")
  func unknownKeys() throws {
    let text = Self.oxford.replacingOccurrences(of: "    scaleRho: 1\n", with: "    scaleRho: 1\n    tauFoo: 3\n")
      + "\n        tgtSpikeCount: {true: 5, false: 1, maybe: 2}\nseed: 200\n"
    let p = try NetworkParameters.parse(text, file: "network.yaml")
    #expect(p.warnings == [
      "network.yaml: line 13: unknown key 'neuron.tauFoo' (ignored)",
      "network.yaml: line 21: unknown key 'training.error.tgtSpikeCount.maybe' (ignored)",
      "network.yaml: line 22: unknown key 'seed' (ignored)",
    ])
    #expect(p.error?.trueCount == 5 && p.error?.falseCount == 1)
  }

  // MARK: The YAML subset

  @Test("block and flow forms give the same tree")
  func yamlForms() throws {
    let block = """
      # comment
      a:
        b: 1
        c:
        - x
        - 'it''s # not a comment'
        - "tab\\there \\u00e9"
        - - 1
          - [2, {d: -3}]
        e:
          - k: v
            k2: [ ]
      f: {}
      """
    let flow = "a: {b: 1, c: [x, 'it''s # not a comment', \"tab\\there \\u00e9\", [1, [2, {d: -3}]]], "
      + "e: [{k: v, k2: []}]}\nf: {}"
    let a = try YAMLValue.parse(block, file: "block.yaml")
    #expect(a == (try YAMLValue.parse(flow, file: "flow.yaml")))
    #expect(a["a"]?["c"]?.items?[2].string == "tab\there é")
    #expect(a["a"]?["c"]?.items?[3].items?[1].items?[1]["d"]?.number == -3)
    #expect(try YAMLValue.parse("a: 1\r\nb:  \r\n", file: "crlf") == .map([("a", .scalar("1")), ("b", .scalar(""))]))
    #expect(try YAMLValue.parse("\n# only comments\n", file: "empty") == .map([]))
  }

  @Test("numbers and booleans")
  func scalars() {
    let numbers: [(String, Double?)] = [
      ("1", 1), ("1.0", 1), (".5", 0.5), ("1.", 1), ("1e-4", 1e-4), ("-2", -2), ("+3E+2", 300), ("-.inf", -.infinity),
      ("0x10", nil), ("1_000", nil), ("inf", nil), ("nan", nil), ("e5", nil), ("1e", nil), ("", nil), ("34x34x2", nil),
    ]
    for (text, value) in numbers { #expect(YAMLValue.scalar(text).number == value, "\(text)") }
    #expect(YAMLValue.scalar(".nan").number?.isNaN == true)
    #expect(YAMLValue.scalar("True").bool == true && YAMLValue.scalar("false").bool == false)
    #expect(YAMLValue.scalar("yes").bool == nil && YAMLValue.list([]).number == nil)
  }

  // MARK: Errors

  /// (name, text, line, fragment): each must throw an IOError whose message has `line N` and the fragment.
  static let malformed: [(String, String, Int, String)] = [
    ("tab indentation", "simulation:\n\tTs: 1\n", 2, "column 1: expected spaces for indentation, found a tab"),
    ("bad indentation", "neuron:\n    theta: 10\n  tauSr: 1\n", 3,
     "bad indentation: expected a key at column 1, found 'tauSr: 1' at column 3"),
    ("duplicate key", "neuron:\n  theta: 10\n  theta: 11\n", 3, "duplicate key 'theta': expected each key once in a map, found it again (first at line 2)"),
    ("unterminated flow map", "layer:\n  - {dim: 250\n", 2, "unterminated flow map opened at column 5"),
    ("unterminated quote", "neuron:\n  type: 'SRMALPHA\n", 2, "unterminated single-quoted string"),
    ("unterminated double quote", "a: \"x # y\n", 1, "unterminated double-quoted string"),
    ("list item for a key", "neuron:\n  theta: 10\n  - 5\n", 3, "expected a map key, not a list item"),
    ("key without colon", "neuron:\n  theta: 10\n  tauSr 1\n", 3, "expected 'key: value', found 'tauSr 1' at column 3"),
    ("flow map without colon", "x: {a 1}\n", 1, "expected ':' after key 'a 1' in flow map, found '}'"),
    ("flow list bad closer", "x: [1, 2}\n", 1, "expected ',' or ']' in flow list, found '}'"),
    ("flow duplicate key", "x: {a: 1, a: 2}\n", 1, "duplicate key 'a' in flow map"),
    ("second colon", "a: b: c\n", 1, "found a second ': '"),
    ("anchor", "x: &a 1\n", 1, "anchors, aliases, tags and block scalars are not supported"),
    ("two documents", "---\na: 1\n---\nb: 2\n", 3, "expected a single document"),
    ("bad escape", "a: \"\\q\"\n", 1, "found '\\q'"),
    ("trailing text", "a: {b: 1} c\n", 1, "expected end of line after a map, found 'c'"),
    ("list then key", "- a\nb: 1\n", 2, "expected a list item '- ', found 'b: 1'"),
    ("missing theta", oxford.replacingOccurrences(of: "    theta:    10\n", with: ""), 5,
     "neuron.theta: expected a number, found nothing (the key is missing"),
    ("theta a map", oxford.replacingOccurrences(of: "theta:    10", with: "theta: {a: 1}"), 7,
     "neuron.theta: expected a finite number, found a map"),
    ("theta infinite", oxford.replacingOccurrences(of: "theta:    10", with: "theta: .inf"), 7,
     "neuron.theta: expected a finite number, found '.inf'"),
    ("Ts zero", oxford.replacingOccurrences(of: "Ts: 1", with: "Ts: 0"), 2, "simulation.Ts: expected more than 0"),
    ("tSample < Ts", oxford.replacingOccurrences(of: "tSample: 1900", with: "tSample: 0.5"), 3,
     "simulation.tSample: expected at least Ts = 1.0, found 0.5"),
    ("Loihi neuron", oxford.replacingOccurrences(of: "SRMALPHA", with: "LOIHI"), 6,
     "neuron.type: expected SRMALPHA"),
    ("simulation a scalar", "simulation: 5\nneuron: {type: SRMALPHA}\n", 1, "simulation: expected a map, found '5'"),
    ("layer a map", oxford.replacingOccurrences(of: "layer:\n", with: "layer: {dim: 1}\nx:\n"), 13,
     "layer: expected a list of layers, found a map"),
    ("region reversed", nmnistMLP.replacingOccurrences(of: "stop: 300", with: "stop: 0"), 23,
     "tgtSpikeRegion.stop: expected more than start = 0.0, found 0.0"),
    ("NumSpikes without counts", nmnistMLP.replacingOccurrences(of: "tgtSpikeCount", with: "#"), 20,
     "training.error: expected tgtSpikeRegion {start, stop} and tgtSpikeCount {true, false}"),
  ]

  @Test("malformed files throw an IOError naming the line and what was expected",
        arguments: malformed.indices)
  func malformedFile(index: Int) {
    let (name, text, line, fragment) = Self.malformed[index]
    let error = #expect(throws: IOError.self, "\(name)") { try NetworkParameters.parse(text, file: "bad.yaml") }
    guard let error else { return }
    #expect(error.file == "bad.yaml")
    #expect(error.message.hasPrefix("line \(line),") || error.message.hasPrefix("line \(line):"),
            "\(name): \(error.message)")
    #expect(error.message.contains(fragment), "\(name): \(error.message)")
  }

  @Test("a missing file is an IOError naming it")
  func missingFile() {
    let url = URL(fileURLWithPath: "/nonexistent/network.yaml")
    let error = #expect(throws: IOError.self) { try NetworkParameters.load(url) }
    #expect(error?.file == url.path && error?.message.hasPrefix("cannot read the file") == true)
  }

  @Test("deep nesting is an error, not a stack overflow")
  func deepNesting() {
    let flow = "a: " + String(repeating: "[", count: 10_000)
    let block = (0..<1000).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
    for text in [flow, block] {
      let error = #expect(throws: IOError.self) { try YAMLValue.parse(text, file: "deep.yaml") }
      #expect(error?.message.contains("expected at most 64 levels of nesting") == true)
    }
  }

  // MARK: Fuzz

  @Test("seeded mutations of a valid file either parse or throw IOError")
  func fuzz() {
    let seed: UInt64 = 0x59_414D_4C
    var rng = SplitMix64(seed: seed)
    let alphabet = Array("{}[],:'\"#- \t\n\\&*|?x0.e".unicodeScalars)
    let valid = Array(Self.nmnistMLP.unicodeScalars)
    var parsed = 0
    for trial in 0..<3000 {
      var s = valid
      for _ in 0..<Int(rng.next() % 4 + 1) where !s.isEmpty {
        let at = Int(rng.next() % UInt64(s.count)), op = rng.next() % 5
        switch op {
        case 0: s.remove(at: at)
        case 1: s.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
        case 2: s[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
        case 3: s.removeSubrange(at...)
        default: s.insert(contentsOf: s[at..<min(s.count, at + Int(rng.next() % 40))], at: at)
        }
      }
      var view = String.UnicodeScalarView()
      view.append(contentsOf: s)
      let text = String(view)
      do {
        _ = try NetworkParameters.parse(text, file: "fuzz.yaml")
        parsed += 1
      } catch is IOError {
      } catch {
        Issue.record("seed \(seed), trial \(trial): not an IOError: \(error)\n\(text)")
      }
    }
    #expect(parsed > 0 && parsed < 3000, "seed \(seed): \(parsed) of 3000 mutations parsed")
  }
}
