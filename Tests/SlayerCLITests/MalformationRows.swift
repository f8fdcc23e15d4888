// The rows of the malformation table (MalformationTableTests.swift): what each malformed input is,
// how it is made, which library call and which `slayer` command read it, and the file, field or
// byte offset, expected and found that its error must name. This file: the helpers and the `.npy`
// and `case.json` rows; MalformationRows+Training.swift: event files, lists, YAML, checkpoints and
// command-line arguments.
import Foundation
import SlayerCore
import SlayerIO

typealias Make = @Sendable (Scene) throws -> Void
typealias Args = @Sendable (Scene) -> [String]

enum MalformationRows {
  static var all: [Malformation] { npy + caseJSON + events + lists + yaml + checkpoints + cli }

  // MARK: Helpers

  /// The base case, then `then`.
  static func base(_ then: @escaping Make = { _ in }) -> Make {
    { s in
      try s.writeBaseCase()
      try then(s)
    }
  }

  /// The base case with `case.json` changed.
  static func editing(_ change: @escaping @Sendable (inout [String: Any]) -> Void) -> Make {
    base { try $0.editCase(change) }
  }

  /// The base case with `case/<name>` replaced by `bytes`.
  static func replacing(_ name: String, _ bytes: [UInt8]) -> Make { base { try $0.write("case/" + name, bytes) } }

  static let load: @Sendable (Scene) throws -> Void = { _ = try SlayerCase.load($0.caseDir) }
  static func command(_ name: String, _ extra: String...) -> Args { { [name, $0.casePath] + extra } }

  /// A case row: the file, the library call `SlayerCase.load`, and `slayer <command> CASE`.
  static func row(_ kind: String, file: String = "case/case.json", at: String, expected: String, found: String,
                  via command: String = "run", _ make: @escaping Make) -> Malformation {
    Malformation(kind: kind, file: file, at: at, expected: expected, found: found, make: make, api: load,
                 cli: Self.command(command))
  }

  /// `.npy` bytes: magic, version, length, `dict` padded to 64 bytes, then `body`.
  static func npy(_ dict: String, version: UInt8 = 1, body: [UInt8]) -> [UInt8] {
    let lengthSize = version == 1 ? 2 : 4
    var text = Array(dict.utf8)
    while (8 + lengthSize + text.count + 1) % 64 != 0 { text.append(0x20) }
    text.append(0x0A)
    let length = (0..<lengthSize).map { UInt8(truncatingIfNeeded: text.count >> (8 * $0)) }
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + length + text + body
  }

  /// The header of the base input, (2, 3, 1, 1, 40) float32: 128 bytes, then 960 of data.
  static func inputHeader(descr: String = "<f4", fortran: String = "False", shape: String = "(2, 3, 1, 1, 40)") -> String {
    "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
  }

  static let zeros960 = [UInt8](repeating: 0, count: 960)

  /// Float32 little-endian bytes.
  static func floats(_ values: [Float]) -> [UInt8] {
    values.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } }
  }

  /// The base case with its first ops replaced by `ops` (as JSON objects) and the loss dropped.
  static func ops(_ ops: @escaping @Sendable () -> [[String: Any]], keepLoss: Bool = false) -> Make {
    editing { j in
      j["ops"] = ops()
      if !keepLoss { j["loss"] = nil }
    }
  }

  static func numSpikes(start: Double = 0, stop: Double = 20, falseCount: Double = 1) -> [String: Any] {
    ["type": "numSpikes", "labels": "labels.npy", "tgtSpikeRegion": ["start": start, "stop": stop],
     "tgtSpikeCount": ["true": 6.0, "false": falseCount]]
  }

  // MARK: .npy (read as a case's input or weights)

  static let npy: [Malformation] = [
    row("npy: bad magic", file: "case/input.npy", at: "byte offset 0", expected: "expected bytes 93 4E 55 4D 50 59",
        found: "found 89 50 4E 47", replacing("input.npy", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A] + Array(npy(inputHeader(), body: zeros960).dropFirst(6)))),
    row("npy: empty file", file: "case/input.npy", at: "file ends at byte offset 0", expected: "expected at least 10 bytes",
        found: "found 0", replacing("input.npy", [])),
    row("npy: shorter than magic, version and length", file: "case/input.npy", at: "magic", expected: "expected at least 10 bytes",
        found: "found 7", via: "check", replacing("input.npy", [0x93] + Array("NUMPY".utf8) + [1])),
    row("npy: unsupported version", file: "case/input.npy", at: "byte offset 6", expected: "expected 1.0, 2.0 or 3.0",
        found: "found 4.0", replacing("input.npy", npy(inputHeader(), version: 4, body: zeros960))),
    row("npy: unsupported dtype", file: "case/input.npy", at: "input: header", expected: "expected descr one of '<f4'",
        found: "found '<f2'", replacing("input.npy", npy(inputHeader(descr: "<f2"), body: zeros960))),
    row("npy: float64 where the case format needs float32", file: "case/w1.npy", at: "ops[1].weights",
        expected: "expected dtype '<f4'", found: "found '<f8'", via: "gradcheck",
        replacing("w1.npy", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 3), }", body: [UInt8](repeating: 0, count: 96)))),
    row("npy: big-endian byte order", file: "case/input.npy", at: "input: header", expected: "expected a little-endian descr",
        found: "found '>f4' (big-endian", replacing("input.npy", npy(inputHeader(descr: ">f4"), body: zeros960))),
    row("npy: Fortran order", file: "case/input.npy", at: "input: header", expected: "expected 'fortran_order': False",
        found: "found True", replacing("input.npy", npy(inputHeader(fortran: "True"), body: zeros960))),
    row("npy: shape larger than the data", file: "case/input.npy", at: "input: data",
        expected: "expected 984 bytes for shape (2, 3, 1, 1, 41) of <f4", found: "found 960 (file truncated at byte offset 1088)",
        replacing("input.npy", npy(inputHeader(shape: "(2, 3, 1, 1, 41)"), body: zeros960))),
    row("npy: data truncated", file: "case/input.npy", at: "input: data", expected: "expected 960 bytes",
        found: "found 950 (file truncated at byte offset 1078)", replacing("input.npy", npy(inputHeader(), body: Array(zeros960.prefix(950))))),
    row("npy: trailing bytes after the data", file: "case/input.npy", at: "from byte offset 1088", expected: "expected 960 bytes",
        found: "found 964 (4 trailing bytes", replacing("input.npy", npy(inputHeader(), body: zeros960 + [1, 2, 3, 4]))),
    row("npy: header length beyond the file", file: "case/input.npy", at: "from byte offset 10",
        expected: "expected 65535 header bytes", found: "found 1078 (file ends at byte offset 1088)",
        replacing("input.npy", { var b = npy(inputHeader(), body: zeros960); b[8] = 0xFF; b[9] = 0xFF; return b }())),
    row("npy: header longer than the first MiB", file: "case/input.npy", at: "(length field at byte offset 8)",
        expected: "expected a header within the first 1048576 bytes read", found: "found one of 2000000 bytes",
        replacing("input.npy", [0x93] + Array("NUMPY".utf8) + [2, 0, 0x80, 0x84, 0x1E, 0x00] + [UInt8](repeating: 0x20, count: 2_000_100))),
    row("npy: header not a dict", file: "case/input.npy", at: "input: header", expected: "expected a Python dict literal",
        found: "found a list [1, 2]", replacing("input.npy", npy("[1, 2]", body: zeros960))),
    row("npy: header syntax error", file: "case/input.npy", at: "at byte offset 26", expected: "expected ',' or '}'",
        found: "found ''shape'", replacing("input.npy", npy("{'descr': '<f4' 'shape': (240,)}", body: zeros960))),
    row("npy: negative shape entry", file: "case/input.npy", at: "at entry 1 of shape", expected: "expected non-negative shape entries",
        found: "found -3", replacing("input.npy", npy(inputHeader(shape: "(2, -3, 1, 1, 40)"), body: zeros960))),
    row("npy: missing header key", file: "case/input.npy", at: "input: header", expected: "expected key 'shape'",
        found: "found keys 'descr', 'fortran_order'", replacing("input.npy", npy("{'descr': '<f4', 'fortran_order': False, }", body: zeros960))),
    row("npy: unknown header key", file: "case/input.npy", at: "input: header",
        expected: "expected only the keys 'descr', 'fortran_order' and 'shape'", found: "found key 'extra'",
        replacing("input.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 1, 1, 40), 'extra': 1}", body: zeros960))),
    row("npy: element count overflows", file: "case/input.npy", at: "input: header",
        expected: "expected a shape whose element count fits in 64 bits", found: "found (4294967296, 4294967296, 1, 1, 40)",
        replacing("input.npy", npy(inputHeader(shape: "(4294967296, 4294967296, 1, 1, 40)"), body: zeros960))),
    row("npy: NaN in the input", file: "case/input.npy", at: "input", expected: "expected finite values",
        found: "found nan at index (0, 1, 0, 0, 5)",
        replacing("input.npy", npy(inputHeader(), body: floats((0..<240).map { $0 == 45 ? .nan : 0 })))),
    row("npy: infinity in the weights", file: "case/w2.npy", at: "ops[4].weights", expected: "expected finite values",
        found: "found inf at index (1, 2)",
        replacing("w2.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", body: floats([0, 0, 0, 0, 0, 0, .infinity, 0])))),
  ]

  // MARK: case.json

  static let caseJSON: [Malformation] = [
    row("case.json: not JSON", at: "JSON", expected: "expected a valid JSON document", found: "Unexpected end of file",
        base { try $0.write("case/case.json", text: "{\"format\": ") }),
    row("case.json: NaN is not JSON", at: "around character", expected: "expected a valid JSON document", found: "Invalid value",
        base { try $0.write("case/case.json", text: "{\"format\": \"slayer-case\", \"version\": NaN}") }),
    row("case.json: a number beyond Double", at: "JSON", expected: "expected a valid JSON document",
        found: "Number 1e999 is not representable", base { try $0.write("case/case.json", text: "{\"version\": 1e999}") }),
    row("case.json: top level is a list", at: "top level", expected: "expected an object", found: "found a list of 1 item",
        base { try $0.write("case/case.json", text: "[1]") }),
    row("case.json: missing field", at: "simulation", expected: "expected an object", found: "found nothing (the key is missing)",
        editing { $0["simulation"] = nil }),
    row("case.json: unknown field", at: "top level", expected: "(expected only format, version", found: "unknown key \"comment\"",
        via: "check", editing { $0["comment"] = "x" }),
    row("case.json: unknown field in an op", at: "ops[0]", expected: "(expected only op)", found: "unknown key \"weights\"",
        editing { j in var o = j["ops"] as! [Any]; o[0] = ["op": "psp", "weights": "w1.npy"]; j["ops"] = o }),
    row("case.json: wrong format tag", at: "format", expected: "expected \"slayer-case\"", found: "found \"slayer\"",
        editing { $0["format"] = "slayer" }),
    row("case.json: version 2", at: "version", expected: "expected 1", found: "found 2", editing { $0["version"] = 2 }),
    row("case.json: a number given as a string", at: "simulation.Ts", expected: "expected a number", found: "found \"0.5\"",
        editing { $0["simulation"] = ["Ts": "0.5", "tSample": 20.0] }),
    row("case.json: a number given as a bool", at: "neuron.tauSr", expected: "expected a number", found: "found true",
        editing { j in var n = j["neuron"] as! [String: Any]; n["tauSr"] = true; j["neuron"] = n }),
    row("case.json: ops is not a list", at: "ops", expected: "expected a non-empty list of ops", found: "found an object",
        editing { $0["ops"] = ["op": "psp"] }),
    row("case.json: unknown op", at: "ops[3].op", expected: "expected one of psp, dense, spike", found: "found \"relu\"",
        editing { j in var o = j["ops"] as! [Any]; o[3] = ["op": "relu"]; j["ops"] = o }),
    row("case.json: Ts ≤ 0", at: "simulation.Ts", expected: "expected a sampling time > 0 ms", found: "found 0",
        editing { $0["simulation"] = ["Ts": 0.0, "tSample": 20.0] }),
    row("case.json: tSample < Ts", at: "simulation.tSample", expected: "expected a duration ≥ Ts = 0.5 ms", found: "found 0.25",
        editing { $0["simulation"] = ["Ts": 0.5, "tSample": 0.25] }),
    row("case.json: non-positive neuron parameter", at: "neuron.theta", expected: "expected a value > 0", found: "found -1",
        editing { j in var n = j["neuron"] as! [String: Any]; n["theta"] = -1.0; j["neuron"] = n }),
    row("case.json: θ beyond float32", at: "neuron.theta", expected: "expected a threshold float32 can hold", found: "found 1e+300",
        editing { j in var n = j["neuron"] as! [String: Any]; n["theta"] = 1e300; j["neuron"] = n }),
    row("case.json: surrogate width overflows", at: "neuron.tauRho", expected: "expected a finite surrogate", found: "found β = inf",
        via: "gradcheck", editing { j in var n = j["neuron"] as! [String: Any]; n["tauRho"] = 0x1p-1063; j["neuron"] = n }),
    row("case.json: time constant so small the kernel is NaN", at: "neuron.tauSr", expected: "expected a spike-response kernel ε finite in float32",
        found: "found ε[1] = NaN", editing { j in var n = j["neuron"] as! [String: Any]; n["tauSr"] = 0x1p-1030; j["neuron"] = n }),
    row("case.json: refractory peak beyond float32", at: "neuron.scaleRef", expected: "expected a refractory kernel ν finite in float32",
        found: "found ν[1] = -inf", editing { j in var n = j["neuron"] as! [String: Any]; n["scaleRef"] = 1e300; j["neuron"] = n }),
    row("case.json: neuron model", at: "neuron.type", expected: "expected \"SRMALPHA\"", found: "found \"LIF\"",
        editing { j in var n = j["neuron"] as! [String: Any]; n["type"] = "LIF"; j["neuron"] = n }),
    row("case.json: input T is not tSample / Ts", file: "case/input.npy", at: "input", expected: "expected T = 60 samples",
        found: "found T = 40", editing { $0["simulation"] = ["Ts": 0.5, "tSample": 30.0] }),
    row("case.json: input of rank 4", file: "case/input.npy", at: "input", expected: "expected a rank-5 (N, C, H, W, T) array",
        found: "found rank 4", base { try Npy.write($0.url("case/input.npy"), shape: [2, 3, 1, 40], float32: [Float](repeating: 0, count: 240)) }),
    row("case.json: shapes do not chain (dense)", file: "case/w1.npy", at: "ops[1].weights",
        expected: "expected shape (out, 3)", found: "found (4, 5)",
        base { try Npy.write($0.url("case/w1.npy"), shape: [4, 5], float32: [Float](repeating: 1, count: 20)) }),
    row("case.json: second layer's weights do not fit the first's output", file: "case/w2.npy", at: "ops[4].weights",
        expected: "expected shape (out, 4)", found: "found (2, 3)", via: "check",
        base { try Npy.write($0.url("case/w2.npy"), shape: [2, 3], float32: [Float](repeating: 1, count: 6)) }),
    row("case.json: conv weights of rank 2", file: "case/w1.npy", at: "ops[1].weights", expected: "expected a rank-4 array",
        found: "found (4, 3)", editing { j in var o = j["ops"] as! [Any]; o[1] = ["op": "conv", "weights": "w1.npy"]; j["ops"] = o }),
    row("case.json: conv channels not divisible by groups", file: "case/conv.npy", at: "ops[0].weights",
        expected: "expected 3 input channels", found: "found weights (4, 1, 1, 1) meaning 2 input and 4 output channels",
        { s in
          try ops { [["op": "conv", "weights": "conv.npy", "groups": 2]] }(s)
          try Npy.write(s.url("case/conv.npy"), shape: [4, 1, 1, 1], float32: [1, 1, 1, 1])
        }),
    row("case.json: stride not a whole number", at: "ops[0].stride", expected: "expected a whole number in 1…1000000",
        found: "found 1.5", ops { [["op": "pool", "size": 1, "stride": 1.5]] }),
    row("case.json: pool window larger than the input", at: "ops[0]", expected: "expected the pool window 3 to fit the input 1×1",
        found: "found it larger", ops { [["op": "pool", "size": 3]] }),
    row("case.json: replicateInTime on a T = 40 input", at: "ops[0]", expected: "expected a static input with T = 1",
        found: "found (2, 3, 1, 1, 40)", ops { [["op": "replicateInTime"]] }),
    row("case.json: negative delay", file: "case/delays.npy", at: "ops[0].delays", expected: "expected delays in 0 … 10⁶·Ts ms",
        found: "found -1.0 at 0", { s in
          try ops { [["op": "delay", "delays": "delays.npy"]] }(s)
          try Npy.write(s.url("case/delays.npy"), shape: [3, 1, 1], float32: [-1, 0, 0])
        }),
    row("case.json: huge delay", file: "case/delays.npy", at: "ops[0].delays", expected: "expected delays in 0 … 10⁶·Ts ms",
        found: "found 1000000000.0 at 2", { s in
          try ops { [["op": "delay", "delays": "delays.npy"]] }(s)
          try Npy.write(s.url("case/delays.npy"), shape: [3, 1, 1], float32: [0, 1, 1e9])
        }),
    row("case.json: delays of the wrong shape", file: "case/delays.npy", at: "ops[0].delays",
        expected: "(3, 1, 1) (one per channel)", found: "found (2, 1, 1)", { s in
          try ops { [["op": "delay", "delays": "delays.npy"]] }(s)
          try Npy.write(s.url("case/delays.npy"), shape: [2, 1, 1], float32: [0, 1])
        }),
    row("case.json: huge delayShift", at: "ops[0].shift", expected: "expected |shift| ≤ 1e9 ms", found: "found 1000000000000.0",
        ops { [["op": "delayShift", "shift": 1e12]] }),
    row("case.json: negative dropout mask", file: "case/mask.npy", at: "ops[0].mask", expected: "expected entries 0 or 1/(1 − p) ≥ 1",
        found: "found -2.0 at 1", { s in
          try ops { [["op": "dropout", "mask": "mask.npy"]] }(s)
          try Npy.write(s.url("case/mask.npy"), shape: [2, 3, 1, 1], float32: [0, -2, 1, 1, 1, 1])
        }),
    row("case.json: label out of range", file: "case/labels.npy", at: "loss.labels",
        expected: "expected integer class indices in 0..<2", found: "found 2.0 at index (1,)", { s in
          try editing { $0["loss"] = numSpikes() }(s)
          try Npy.write(s.url("case/labels.npy"), shape: [2], float32: [0, 2])
        }),
    row("case.json: label not an integer", file: "case/labels.npy", at: "loss.labels",
        expected: "expected integer class indices", found: "found 0.5 at index (1,)", { s in
          try editing { $0["loss"] = numSpikes() }(s)
          try Npy.write(s.url("case/labels.npy"), shape: [2], float32: [0, 0.5])
        }),
    row("case.json: target of the wrong shape", file: "case/target.npy", at: "loss.target",
        expected: "expected the output's shape (2, 2, 1, 1, 40)", found: "found (2, 4, 1, 1, 40)",
        base { try Npy.write($0.url("case/target.npy"), shape: [2, 4, 1, 1, 40], float32: [Float](repeating: 0, count: 320)) }),
    row("case.json: spike region outside the window", at: "loss.tgtSpikeRegion", expected: "rint(stop/Ts) ≤ T = 40",
        found: "stop 25 ms → sample 50", editing { $0["loss"] = numSpikes(stop: 25) }),
    row("case.json: negative target count", at: "loss.tgtSpikeCount.false", expected: "expected a count ≥ 0", found: "found -1",
        editing { $0["loss"] = numSpikes(falseCount: -1) }),
    row("case.json: unknown loss", at: "loss.type", expected: "expected \"spikeTime\" or \"numSpikes\"", found: "found \"mse\"",
        editing { $0["loss"] = ["type": "mse"] }),
    row("case.json: missing .npy file", at: "ops[1].weights", expected: "expected the .npy file \"w9.npy\"",
        found: "found no such file", editing { j in var o = j["ops"] as! [Any]; o[1] = ["op": "dense", "weights": "w9.npy"]; j["ops"] = o }),
    row("case.json: absolute .npy path", at: "input", expected: "expected an .npy path relative to the case directory",
        found: "found \"/etc/passwd\"", editing { $0["input"] = "/etc/passwd" }),
    row("case.json: tensors beyond the memory limit", at: "memory", expected: "expected a case needing at most 4.00 GB",
        found: "found an estimated 5.60 GB", { s in
          try ops { [["op": "replicateInTime"]] }(s)
          try s.editCase { $0["simulation"] = ["Ts": 1.0, "tSample": 20_000_000.0] }
          try Npy.write(s.url("case/input.npy"), shape: [1, 64, 1, 1, 1], float32: [Float](repeating: 1, count: 64))
        }),
    Malformation(kind: "case.json: an array beyond --max-memory", file: "case/input.npy", at: "input: memory",
                 expected: "expected an array of at most 0.00 GB (2000 bytes) once decoded", found: "found shape (2, 3, 1, 1, 40)",
                 make: base(), api: { _ = try SlayerCase.load($0.caseDir, memoryLimit: 2000) },
                 cli: command("run", "--max-memory", "0.000002")),
  ]
}
