// The rows of the malformation table for the training inputs (event files, sample lists, YAML
// parameter files, checkpoints) and for command-line arguments; MalformationRows.swift has the
// helpers and the `.npy` and `case.json` rows.
import Foundation
import SlayerCore
import SlayerIO

extension MalformationRows {
  // MARK: Event files (N-MNIST samples, the Oxford example, spike-count targets)

  /// `nmnist/` with train1K.txt and test100.txt naming sample 1, and `1.bs2` = `bytes`.
  static func nmnist(_ bytes: [UInt8], list: String = "#sample #class\n1 5\n") -> Make {
    { s in
      try s.write("nmnist/train1K.txt", text: list)
      try s.write("nmnist/test100.txt", text: "1 5\n")
      try s.write("nmnist/1.bs2", bytes)
    }
  }

  /// `.bs2` bytes of events (x, y, polarity, µs).
  static func bs2(_ events: [(Int, Int, Int, Int)]) -> [UInt8] {
    var bytes: [UInt8] = []
    for (x, y, p, t) in events { bytes += [UInt8(x), UInt8(y)] + bigEndian(p << 23 | t, 3) }
    return bytes
  }

  /// The low `count` bytes of `value`, most significant first.
  static func bigEndian(_ value: Int, _ count: Int) -> [UInt8] {
    (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
  }

  /// `.bs1` bytes of events (id, polarity, µs).
  static func bs1(_ events: [(Int, Int, Int)]) -> [UInt8] {
    var bytes: [UInt8] = []
    for (id, p, t) in events { bytes += bigEndian(id, 2) + bigEndian(p << 23 | t, 3) }
    return bytes
  }

  static let loadNMNIST: @Sendable (Scene) throws -> Void = { _ = try NMNISTDataset.load(directory: $0.url("nmnist"), list: "train1K.txt") }
  static let trainNMNIST: Args = { ["train", "nmnist", "--data", $0.url("nmnist").path, "--net", "mlp", "--epochs", "1", "--out", $0.url("out").path] }

  static func sample(_ kind: String, at: String, expected: String, found: String, _ bytes: [UInt8]) -> Malformation {
    Malformation(kind: kind, file: "nmnist/1.bs2", at: at, expected: expected, found: found, make: nmnist(bytes),
                 api: loadNMNIST, cli: trainNMNIST)
  }

  static func oxford(_ kind: String, at: String, expected: String, found: String, _ bytes: [UInt8]) -> Malformation {
    Malformation(kind: kind, file: "oxford/input.bs1", at: at, expected: expected, found: found,
                 make: { try $0.write("oxford/input.bs1", bytes) },
                 api: { s in
                   let url = s.url("oxford/input.bs1")
                   try EventFile.validate1D(EventFile.read1D(url), neurons: 200, timeOrdered: false, file: url.path)
                 },
                 cli: { ["train", "oxford", "--data", $0.url("oxford").path, "--epochs", "1", "--out", $0.url("out").path] })
  }

  static func bsn(_ kind: String, at: String, expected: String, found: String, _ bytes: [UInt8]) -> Malformation {
    Malformation(kind: kind, file: "targets.bsn", at: at, expected: expected, found: found,
                 make: { try $0.write("targets.bsn", bytes) },
                 api: { s in
                   let url = s.url("targets.bsn")
                   try EventFile.validateNumSpikes(EventFile.readNumSpikes(url), neurons: 10, file: url.path)
                 }, cli: nil)
  }

  /// `.bsn` bytes of records (id, tStart µs, tEnd µs, count).
  static func bsnBytes(_ records: [(Int, Int, Int, Int)]) -> [UInt8] {
    var bytes: [UInt8] = []
    for (id, a, b, n) in records { bytes += bigEndian(id, 2) + bigEndian(a, 3) + bigEndian(b, 3) + bigEndian(n, 2) }
    return bytes
  }

  static let events: [Malformation] = [
    sample("events: truncated .bs2 record", at: "byte offset 10", expected: "expected 5 bytes (one .bs2 record)",
           found: "found 2 of 5 bytes", bs2([(1, 1, 0, 10), (2, 2, 1, 20)]) + [7, 7]),
    sample("events: x off the N-MNIST sensor", at: "event 1 (byte offset 5): x", expected: "expected 0…33", found: "found 40",
           bs2([(1, 1, 0, 10), (40, 2, 1, 20)])),
    sample("events: y off the N-MNIST sensor", at: "event 2 (byte offset 10): y", expected: "expected 0…33", found: "found 34",
           bs2([(1, 1, 0, 10), (3, 2, 1, 20), (5, 34, 1, 30)])),
    sample("events: time running backwards in a recording", at: "event 2 (byte offset 10): time",
           expected: "expected ≥ 2.0 ms", found: "found 1.0 ms", bs2([(1, 1, 0, 1000), (3, 2, 1, 2000), (5, 4, 1, 1000)])),
    oxford("events: Oxford neuron id out of range", at: "event 1 (byte offset 5): id", expected: "expected 0…199", found: "found 250",
           bs1([(3, 1, 100), (250, 1, 200)])),
    oxford("events: truncated .bs1 record", at: "byte offset 5", expected: "expected 5 bytes (one .bs1 record)",
           found: "found 2 of 5 bytes", bs1([(3, 1, 100)]) + [1, 2]),
    Malformation(kind: "events: truncated .bs3 record", file: "e.bs3", at: "byte offset 7", expected: "expected 7 bytes (one .bs3 record)",
                 found: "found 6 of 7 bytes", make: { try $0.write("e.bs3", [UInt8](repeating: 1, count: 13)) },
                 api: { _ = try EventFile.read3D($0.url("e.bs3")) }, cli: nil),
    bsn("events: truncated .bsn record", at: "byte offset 10", expected: "expected 10 bytes (one .bsn record)",
        found: "found 3 of 10 bytes", bsnBytes([(0, 0, 300_000, 60)]) + [0, 1, 2]),
    bsn("events: .bsn id out of range", at: "record 1 (byte offset 10): id", expected: "expected 0…9", found: "found 12",
        bsnBytes([(0, 0, 300_000, 60), (12, 0, 300_000, 10)])),
    bsn("events: .bsn region ending before it starts", at: "record 0 (byte offset 0): tEnd",
        expected: "expected a time after tStart = 300.0 ms", found: "found 100.0 ms", bsnBytes([(0, 300_000, 100_000, 60)])),
    Malformation(kind: "events: missing sample file", file: "nmnist/2.bs2", at: "read", expected: "expected a readable file",
                 found: "found error", make: nmnist(bs2([(1, 1, 0, 10)]), list: "1 5\n2 3\n"), api: loadNMNIST, cli: trainNMNIST),
  ]

  // MARK: Sample lists

  static func list(_ kind: String, at: String, expected: String, found: String, _ text: String) -> Malformation {
    Malformation(kind: kind, file: "nmnist/train1K.txt", at: at, expected: expected, found: found,
                 make: nmnist(bs2([(1, 1, 0, 10)]), list: text), api: loadNMNIST, cli: trainNMNIST)
  }

  static let lists: [Malformation] = [
    list("list: a line that is not two integers", at: "line 3", expected: "expected '<sample> <class>' (two integers)",
         found: "found '1 five'", "#sample #class\n1 5\n1 five\n"),
    list("list: class out of range", at: "line 2", expected: "expected a class in 0…9", found: "found 12", "#sample #class\n1 12\n"),
    list("list: negative sample number", at: "line 1", expected: "expected a sample number ≥ 0", found: "found -4", "-4 1\n"),
    list("list: no samples", at: "'<sample> <class>' line", expected: "expected at least one", found: "found none", "#sample #class\n\n"),
  ]

  // MARK: YAML parameter files

  static let goodSimulation = "simulation: {Ts: 1.0, tSample: 300}\n"
  static let goodNeuron = "neuron: {type: SRMALPHA, theta: 10, tauSr: 1.0, tauRef: 1.0, scaleRef: 2, tauRho: 1, scaleRho: 1}\n"

  static func yaml(_ kind: String, at: String, expected: String, found: String, _ text: String) -> Malformation {
    yaml(kind, at: at, expected: expected, found: found, bytes: Array(text.utf8))
  }

  static func yaml(_ kind: String, at: String, expected: String, found: String, bytes: [UInt8]) -> Malformation {
    Malformation(kind: kind, file: "network.yaml", at: at, expected: expected, found: found,
                 make: { try $0.write("network.yaml", bytes) },
                 api: { _ = try NetworkParameters.load($0.url("network.yaml")) },
                 cli: { ["train", "nmnist", "--data", $0.url("none").path, "--net", "mlp", "--epochs", "1",
                         "--config", $0.url("network.yaml").path] })
  }

  static let yaml: [Malformation] = [
    yaml("yaml: tab indentation", at: "line 2, column 1", expected: "expected spaces for indentation", found: "found a tab",
         "simulation:\n\tTs: 1\n"),
    yaml("yaml: missing block", at: "neuron", expected: "expected a map", found: "found nothing (the key is missing)", goodSimulation),
    yaml("yaml: missing required number", at: "line 2: neuron.theta", expected: "expected a number",
         found: "found nothing (the key is missing", goodSimulation + "neuron:\n  type: SRMALPHA\n  tauSr: 1\n"),
    yaml("yaml: Ts ≤ 0", at: "line 1: simulation.Ts", expected: "expected more than 0.0", found: "found 0.0",
         "simulation: {Ts: 0, tSample: 300}\n" + goodNeuron),
    yaml("yaml: tSample < Ts", at: "line 1: simulation.tSample", expected: "expected at least Ts = 1.0", found: "found 0.5",
         "simulation: {Ts: 1, tSample: 0.5}\n" + goodNeuron),
    yaml("yaml: grid beyond Int (tSample / Ts)", at: "line 1: simulation.tSample", expected: "expected tSample / Ts ≤ 2147483647 samples",
         found: "found 3e+20 / 1.0 = 3e+20", "simulation: {Ts: 1, tSample: 3e20}\n" + goodNeuron),
    yaml("yaml: NaN", at: "line 2: neuron.theta", expected: "expected a finite number", found: "found '.nan'",
         goodSimulation + "neuron: {type: SRMALPHA, theta: .nan, tauSr: 1.0, tauRef: 1.0, scaleRef: 2, tauRho: 1, scaleRho: 1}\n"),
    yaml("yaml: infinity", at: "line 5: neuron.tauSr", expected: "expected a finite number", found: "found '.inf'",
         goodSimulation + "neuron:\n  type: SRMALPHA\n  theta: 10\n  tauSr: .inf\n"),
    yaml("yaml: text where a number belongs", at: "neuron.theta", expected: "expected a finite number", found: "found 'ten'",
         goodSimulation + "neuron: {type: SRMALPHA, theta: ten}\n"),
    yaml("yaml: surrogate width overflows", at: "line 2: neuron.tauRho", expected: "expected a finite surrogate", found: "found β = inf",
         goodSimulation + "neuron: {type: SRMALPHA, theta: 10, tauSr: 1.0, tauRef: 1.0, scaleRef: 2, tauRho: 1e-320, scaleRho: 1}\n"),
    yaml("yaml: unknown neuron model", at: "neuron.type", expected: "expected SRMALPHA", found: "found 'LIF'",
         goodSimulation + "neuron: {type: LIF, theta: 10}\n"),
    yaml("yaml: anchors are not supported", at: "line 1, column 13", expected: "expected a plain or quoted scalar",
         found: "found '&'", "simulation: &sim {Ts: 1}\n"),
    yaml("yaml: unterminated quote", at: "line 2, column 9", expected: "expected a closing \"", found: "found end of line",
         "neuron:\n  type: \"SRMALPHA\n"),
    yaml("yaml: duplicate key", at: "line 3, column 3", expected: "expected each key once in a map",
         found: "found it again (first at line 2)", "simulation:\n  Ts: 1\n  Ts: 2\n"),
    yaml("yaml: several documents", at: "line 2, column 1", expected: "expected a single document", found: "found '---'",
         "a: 1\n---\nb: 2\n"),
    yaml("yaml: not UTF-8", at: "byte offset 12", expected: "expected UTF-8 text", found: "found byte FF",
         bytes: Array("simulation: ".utf8) + [0xFF, 0x0A]),
    yaml("yaml: root is a list", at: "line 1: top level", expected: "expected a map with simulation, neuron",
         found: "found a list", "- 1\n- 2\n"),
    yaml("yaml: spike region ending before it starts", at: "training.error.tgtSpikeRegion.stop",
         expected: "expected more than start = 10.0", found: "found 5.0",
         goodSimulation + goodNeuron + "training:\n  error: {type: NumSpikes, tgtSpikeRegion: {start: 10, stop: 5}, tgtSpikeCount: {true: 6, false: 1}}\n"),
    yaml("yaml: negative spike count", at: "training.error.tgtSpikeCount.false", expected: "expected at least 0.0", found: "found -2.0",
         goodSimulation + goodNeuron + "training:\n  error: {type: NumSpikes, tgtSpikeRegion: {start: 0, stop: 5}, tgtSpikeCount: {true: 6, false: -2}}\n"),
  ]

  // MARK: Checkpoints (--resume)

  /// The settings `train nmnist` records, as text.
  static let nmnistConfiguration = [
    "net": "mlp", "batch": "8", "learningRate": "0.01", "optimizer": "adam", "seed": "1", "limit": "0", "theta": "10.0",
    "tauSr": "1.0", "tauRef": "1.0", "scaleRef": "2.0", "tauRho": "0.1", "scaleRho": "0.25", "refKernelEpsilon": "0.01",
    "lossStart": "0.0", "lossStop": "300.0", "trueCount": "60.0", "falseCount": "10.0", "numSpikesScale": "1.0",
  ]

  /// ``nmnistConfiguration`` with one value changed.
  static func configuration(_ key: String, _ value: String) -> [String: String] {
    var c = nmnistConfiguration
    c[key] = value
    return c
  }

  /// A valid checkpoint of a 3-2 dense network after one Adam step in `ckpt/`, then `change` on its state.json.
  static func checkpoint(configuration: [String: String] = nmnistConfiguration,
                         _ change: @escaping @Sendable (inout [String: Any]) -> Void = { _ in }) -> Make {
    { s in
      let neuron = Neuron<Float>(NeuronParameters(), SimulationParameters(Ts: 1, tSample: 10))
      var trainer = Trainer(network: Trainer.denseNetwork([3, 2], neuron: neuron, seed: 1), optimizer: Optimizer(.adam, learningRate: 0.01), seed: 1)
      _ = trainer.train(Tensor(zeros: Shape(n: 1, c: 3, t: 10)), loss: .spikeTime(target: Tensor(zeros: Shape(n: 1, c: 2, t: 10))))
      let dir = s.url("ckpt")
      try Checkpoint(trainer: trainer, configuration: configuration, history: []).write(to: dir, network: trainer.network)
      let url = dir.appendingPathComponent("state.json")
      var state = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
      change(&state)
      try JSONSerialization.data(withJSONObject: state).write(to: url)
    }
  }

  static func checkpointRow(_ kind: String, file: String = "ckpt/state.json", at: String, expected: String, found: String,
                            library: Bool = true, _ make: @escaping Make) -> Malformation {
    let read: @Sendable (Scene) throws -> Void = { _ = try Checkpoint.read($0.url("ckpt")) }
    let args: Args = { ["train", "nmnist", "--data", $0.url("none").path, "--resume", $0.url("ckpt").path, "--epochs", "2"] }
    return Malformation(kind: kind, file: file, at: at, expected: expected, found: found, make: make, api: library ? read : nil, cli: args)
  }

  static let checkpoints: [Malformation] = [
    checkpointRow("checkpoint: negative optimizer step", at: "optimizer.step", expected: "expected a step count in 0…10⁹",
                  found: "found -3", checkpoint { s in var o = s["optimizer"] as! [String: Any]; o["step"] = -3; s["optimizer"] = o }),
    checkpointRow("checkpoint: learning rate NaN-free but zero", at: "optimizer.learningRate", expected: "expected a learning rate in (0, 10⁶]",
                  found: "found 0", checkpoint { s in var o = s["optimizer"] as! [String: Any]; o["learningRate"] = 0; s["optimizer"] = o }),
    checkpointRow("checkpoint: tensors out of op order", at: "tensors[1].op", expected: "expected op indices ≥ 0 in increasing order",
                  found: "found [0, 0]", checkpoint { s in
                    var t = s["tensors"] as! [[String: Any]]; t.append(t[0]); s["tensors"] = t
                  }),
    checkpointRow("checkpoint: NaN in the weights", file: "ckpt/weights.op0.npy", at: "at index 4", expected: "expected finite values",
                  found: "found nan", { s in
                    try checkpoint()(s)
                    try Npy.write(s.url("ckpt/weights.op0.npy"), shape: [2, 3], float32: [0, 0, 0, 0, .nan, 0])
                  }),
    checkpointRow("checkpoint: batch 0 in the configuration", at: "configuration.batch", expected: "expected 1…10000", found: "found '0'",
                  library: false, checkpoint(configuration: configuration("batch", "0"))),
    checkpointRow("checkpoint: spike region beyond the N-MNIST window", at: "configuration.lossStart/lossStop",
                  expected: "rint(stop/Ts) ≤ T = 300", found: "stop 500 ms → sample 500", library: false,
                  checkpoint(configuration: configuration("lossStop", "500"))),
    checkpointRow("checkpoint: zero time constant in the configuration", at: "configuration.tauSr", expected: "expected a value > 0",
                  found: "found 0", library: false, checkpoint(configuration: configuration("tauSr", "0"))),
    cli("yaml: spike region beyond the N-MNIST window", file: "network.yaml", at: "training.error.tgtSpikeRegion",
        expected: "rint(stop/Ts) ≤ T = 300", found: "stop 500 ms → sample 500",
        make: { try $0.write("network.yaml", text: goodSimulation + goodNeuron
          + "training:\n  error: {type: NumSpikes, tgtSpikeRegion: {start: 0, stop: 500}, tgtSpikeCount: {true: 60, false: 10}}\n") }) {
      ["train", "nmnist", "--data", $0.url("none").path, "--net", "mlp", "--epochs", "1", "--config", $0.url("network.yaml").path]
    },
  ]

  // MARK: Command-line arguments

  static func cli(_ kind: String, file: String? = nil, at: String, expected: String, found: String, make: @escaping Make = { _ in },
                  _ args: @escaping Args) -> Malformation {
    Malformation(kind: kind, file: file, at: at, expected: expected, found: found, make: make, api: nil, cli: args)
  }

  static let cli: [Malformation] = [
    cli("cli: unknown command", at: "'frobnicate'", expected: "expected one of demo, run, check", found: "unknown command") { _ in
      ["frobnicate"]
    },
    cli("cli: unknown option", at: "--speed", expected: "expected one of --every", found: "found --speed") { _ in ["demo", "--speed", "3"] },
    cli("cli: option without its value", at: "option --seed", expected: "expects a value", found: "found the end of the arguments") { _ in
      ["demo", "--seed"]
    },
    cli("cli: option given twice", at: "option --threads", expected: "expects one value", found: "found two: '1' and '2'",
        make: base()) { ["run", $0.casePath, "--threads", "1", "--threads", "2"] },
    cli("cli: not an integer", at: "option --threads", expected: "expects an integer in 0...256", found: "found 'x'",
        make: base()) { ["run", $0.casePath, "--threads", "x"] },
    cli("cli: integer out of range", at: "option --threads", expected: "expects an integer in 0...256", found: "found '1000'",
        make: base()) { ["check", $0.casePath, "--threads", "1000"] },
    cli("cli: --max-memory not a positive number", at: "option --max-memory", expected: "expects a positive number",
        found: "found '-3'", make: base()) { ["run", $0.casePath, "--max-memory", "-3"] },
    cli("cli: --max-memory not a number", at: "option --max-memory", expected: "expects a positive number",
        found: "found 'lots'", make: base()) { ["compare", $0.casePath, $0.casePath, "--max-memory", "lots"] },
    cli("cli: --step zero", at: "option --step", expected: "expects a positive number", found: "found '0'",
        make: base()) { ["gradcheck", $0.casePath, "--step", "0"] },
    cli("cli: missing argument", at: "<CASE>", expected: "expected 1 argument(s)", found: "found 0") { _ in ["run"] },
    cli("cli: extra arguments", at: "<CASE> <ACTUAL_DIR>", expected: "expected 2 argument(s)", found: "found 3: a b c") { _ in
      ["compare", "a", "b", "c"]
    },
    cli("cli: empty case argument", at: "argument <CASE>", expected: "expects a directory", found: "found an empty string") { _ in
      ["check", ""]
    },
    cli("cli: empty --out", at: "option --out", expected: "expects a path", found: "found an empty string") { _ in
      ["fixtures", "generate", "--out", ""]
    },
    cli("cli: case directory missing", file: "missing", at: "case", expected: "expected a case directory holding case.json",
        found: "found no such directory") { ["run", $0.url("missing").path] },
    cli("cli: --out holding someone else's files", file: "out", at: "--out",
        expected: "expected an empty directory or the output of an earlier `slayer demo`", found: "found 1 other entry ('notes.txt')",
        make: { try $0.write("out/notes.txt", text: "mine") }) { ["demo", "--out", $0.url("out").path, "--max-epochs", "1"] },
    cli("cli: --net unknown", at: "option --net", expected: "expects mlp or cnn", found: "found 'rnn'") { _ in
      ["train", "nmnist", "--data", "x", "--net", "rnn"]
    },
    cli("cli: --lr negative", at: "option --lr", expected: "expects a positive number", found: "found '-0.1'") { _ in
      ["train", "nmnist", "--data", "x", "--net", "mlp", "--lr", "-0.1"]
    },
    cli("cli: --lr-schedule not from epoch 0", at: "option --lr-schedule", expected: "expects the first step at epoch 0",
        found: "found '5:0.01'") { _ in ["train", "oxford", "--data", "x", "--lr-schedule", "5:0.01,10:0.001"] },
    cli("cli: --lr-schedule epochs out of order", at: "option --lr-schedule", expected: "expects epochs in increasing order",
        found: "found '10:0.1' after epoch 20") { _ in ["train", "oxford", "--data", "x", "--lr-schedule", "0:0.01,20:0.001,10:0.1"] },
    cli("cli: --lr with --lr-schedule", at: "--lr or --lr-schedule", expected: "give --lr or --lr-schedule", found: "not both") { _ in
      ["train", "oxford", "--data", "x", "--lr", "0.1", "--lr-schedule", "0:0.01"]
    },
    cli("cli: train without a task", at: "train", expected: "expects a task: nmnist or oxford", found: "found nothing") { _ in ["train"] },
    cli("cli: plot kernels on a grid beyond Int", at: "options --t-sample and --Ts", expected: "expected at most 10000000 samples",
        found: "found 1e+300 / 1e-300 = inf") { _ in ["plot", "kernels", "--Ts", "1e-300", "--t-sample", "1e300", "--out", "/dev/null"] },
    cli("npy: raster of an empty tensor", file: "empty.npy", at: "spikes", expected: "expected a tensor with positive extents",
        found: "found (0, 1, 1, 1, 5)", make: { try Npy.write($0.url("empty.npy"), shape: [0, 1, 1, 1, 5], float32: []) }) {
      ["plot", "raster", $0.url("empty.npy").path, "--Ts", "1", "--out", $0.url("r.svg").path]
    },
    cli("npy: membrane plot of an edited expected/", file: "case/expected/op2.npy", at: "op2.npy", expected: "expected shape (2, 4, 1, 1, 40)",
        found: "found (2, 4, 1, 1, 39)", make: { s in
          try s.writeBaseCase()
          try CaseRunner.run(s.caseDir)
          try Npy.write(s.url("case/expected/op2.npy"), shape: [2, 4, 1, 1, 39], float32: [Float](repeating: 0, count: 312))
        }) { ["plot", "membrane", $0.casePath, "--out", $0.url("m.svg").path] },
    cli("history.json: plot training of a history with an absurd epoch", file: "run/history.json", at: "epochs[0].epoch",
        expected: "expected an epoch number in 0…1000000000", found: "found 9223372036854775807", make: { s in
          let record = "\"trainLoss\": 1, \"trainAccuracy\": 0.5, \"seconds\": 1"
          try s.write("run/history.json", text: "{\"task\": \"nmnist-mlp\", \"epochs\": [{\"epoch\": 9223372036854775807, \(record)}, "
            + "{\"epoch\": 0, \(record)}]}")
        }) { ["plot", "training", $0.url("run").path, "--out", $0.url("t.svg").path] },
    cli("cli: fixtures without generate", at: "'fixtures generate'", expected: "expected 'fixtures generate'",
        found: "found 'fixtures list'") { _ in ["fixtures", "list"] },
  ]
}
