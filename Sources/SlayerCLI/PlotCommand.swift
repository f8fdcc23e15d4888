import Foundation
import SlayerCore
import SlayerIO

/// `slayer plot kernels|membrane|raster|learning|training`: pictures drawn from saved outputs
/// (`Plots` in SlayerIO builds them). Each writes one SVG atomically and prints what it drew.
enum PlotCommand {
  static let kinds = ["kernels", "membrane", "raster", "learning", "training"]

  static func run(_ args: [String]) throws -> Int32 {
    guard let kind = args.first else {
      throw UsageError("plot expects a picture: \(kinds.joined(separator: ", ")), found nothing")
    }
    let rest = Array(args.dropFirst())
    switch kind {
    case "kernels": return try kernels(rest)
    case "membrane": return try membrane(rest)
    case "raster": return try raster(rest)
    case "learning": return try learning(rest)
    case "training": return try training(rest)
    default: throw UsageError("plot: expected one of \(kinds.joined(separator: ", ")), found '\(kind)'")
    }
  }

  // MARK: kernels

  /// The neuron of `--case CASE` or of the demo (`SpikeTrainExperiment`), with any option overriding it.
  static func kernels(_ args: [String]) throws -> Int32 {
    let options = ["theta", "tau-sr", "tau-ref", "scale-ref", "tau-rho", "scale-rho", "ref-epsilon", "Ts", "t-sample"]
    let a = try Arguments(args, valued: Set(options + ["case", "out"]), flags: [])
    _ = try a.expectPositional([])
    let demo = SpikeTrainExperiment.Configuration()
    var p = demo.neuron, sim = demo.simulation
    if let dir = try a.path("case") {
      let c = try SlayerCase.load(URL(fileURLWithPath: dir))
      p = c.neuronParameters; sim = c.simulation
    }
    p.theta = try positive(a, "theta", p.theta); p.tauSr = try positive(a, "tau-sr", p.tauSr)
    p.tauRef = try positive(a, "tau-ref", p.tauRef); p.scaleRef = try positive(a, "scale-ref", p.scaleRef)
    p.tauRho = try positive(a, "tau-rho", p.tauRho); p.scaleRho = try positive(a, "scale-rho", p.scaleRho)
    p.refKernelEpsilon = try positive(a, "ref-epsilon", p.refKernelEpsilon)
    sim.Ts = try positive(a, "Ts", sim.Ts); sim.tSample = try positive(a, "t-sample", sim.tSample)
    // Checked in Double before `steps` converts the quotient to Int (which traps beyond Int), and
    // bounded: a kernel can be as long as the window.
    guard sim.tSample / sim.Ts <= 10_000_000 else {
      throw UsageError("options --t-sample and --Ts: expected at most 10000000 samples (tSample / Ts), found "
        + "\(sim.tSample) / \(sim.Ts) = \(sim.tSample / sim.Ts)")
    }
    guard sim.steps >= 1 else { throw UsageError("option --t-sample \(sim.tSample) ms holds no sample of Ts \(sim.Ts) ms") }
    let out = URL(fileURLWithPath: try a.path("out") ?? "kernels.svg")
    try Plots.kernels(p, sim).write(to: out)
    for line in kernelSummary(p, sim) { print(line) }
    print("wrote \(out.path)")
    return 0
  }

  /// The kernels' key numbers, as `slayer plot kernels` prints them (`Docs/Kernels.md` quotes them).
  static func kernelSummary(_ p: NeuronParameters, _ sim: SimulationParameters) -> [String] {
    let eps = Kernels.srm(p, sim), nu = Kernels.refractory(p, sim), Ts = sim.Ts
    let ePeak = eps.indices.max { eps[$0] < eps[$1] } ?? 0, nPeak = nu.indices.min { nu[$0] < nu[$1] } ?? 0
    let beta = 1 / (p.tauRho * p.theta)
    func list(_ h: [Double]) -> String { h.prefix(6).map { String(format: "%.4f", $0 + 0) }.joined(separator: ", ") }  // + 0: no −0
    return [
      "neuron: theta \(p.theta), tauSr \(p.tauSr) ms, tauRef \(p.tauRef) ms, scaleRef \(p.scaleRef), tauRho \(p.tauRho), "
        + "scaleRho \(p.scaleRho), refKernelEpsilon \(p.refKernelEpsilon); Ts \(Ts) ms, tSample \(sim.tSample) ms",
      "ε: \(eps.count) samples (t = 0 … \(String(format: "%.1f", Double(eps.count - 1) * Ts)) ms), peak "
        + "\(String(format: "%.4f", eps[ePeak])) at \(String(format: "%.1f", Double(ePeak) * Ts)) ms, "
        + "Ts·Σε = \(String(format: "%.4f", Ts * eps.reduce(0, +))); first samples \(list(eps))",
      "ν: \(nu.count) samples (t = 0 … \(String(format: "%.1f", Double(nu.count - 1) * Ts)) ms), peak "
        + "\(String(format: "%.4f", nu[nPeak])) at \(String(format: "%.1f", Double(nPeak) * Ts)) ms; first samples \(list(nu))",
      "ρ: α = \(String(format: "%.4f", p.scaleRho * beta)), β = \(String(format: "%.4f", beta)) per unit of potential; "
        + "ρ(ϑ) = α, ρ(ϑ ± 1/β) = α/e",
    ]
  }

  // MARK: membrane

  /// One neuron's potential from a computed case: `expected/op<k>.u.npy` (after the refractory
  /// response), the spike op's input (before it) and `expected/op<k>.npy` (the spikes).
  static func membrane(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["op", "neuron", "sample", "out"], flags: [])
    let dir = URL(fileURLWithPath: try a.expectPositional(["CASE"])[0])
    let c = try SlayerCase.load(dir)
    let spikeOps = c.opNames.indices.filter { c.opNames[$0] == "spike" }
    guard let firstSpike = spikeOps.first else {
      throw IOError(file: dir.appendingPathComponent(SlayerCase.fileName).path, message: "ops: a membrane plot needs a spike op, found none")
    }
    let k = try a.int("op", default: firstSpike, in: 0...c.opNames.count - 1)
    guard spikeOps.contains(k) else {
      throw UsageError("option --op expects a spike op of this case (\(spikeOps.map(String.init).joined(separator: ", "))), found \(k) (\(c.opNames[k]))")
    }
    let expected = dir.appendingPathComponent(CaseRunner.expectedDirectoryName)
    func tensor(_ name: String, shape: [Int]? = nil) throws -> Tensor<Float> {
      let url = expected.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw IOError(file: url.path, message: "not found; run `slayer run \(dir.path)` first")
      }
      return try Npy.readTensor(url, as: Float.self, expectedShape: shape, field: name)
    }
    // The spikes are read at the potential's shape: an edited expected/ must not index past them.
    let post = try tensor("op\(k).u.npy"), spikes = try tensor("op\(k).npy", shape: post.shape.dims)
    guard post.shape.count > 0 else {
      throw IOError(file: expected.appendingPathComponent("op\(k).u.npy").path, message: "op\(k).u.npy: expected a tensor "
        + "with positive extents, found \(post.shape)")
    }
    let pre = k == 0 ? c.input : try tensor("op\(k - 1).npy")
    let s = post.shape, t = s.t
    let sample = try a.int("sample", default: 0, in: 0...max(0, s.n - 1))
    func row(_ x: Tensor<Float>, _ i: Int) -> [Double] { (0..<t).map { x.scalars[(sample * s.neurons + i) * t + $0].double } }
    // By default the neuron with the most spikes (ties to the lowest index): the one whose
    // refractory response shows.
    let counts = (0..<s.neurons).map { i in row(spikes, i).filter { $0 != 0 }.count }
    let busiest = counts.indices.max { counts[$0] < counts[$1] || (counts[$0] == counts[$1] && $0 > $1) } ?? 0
    let neuron = try a.int("neuron", default: busiest, in: 0...max(0, s.neurons - 1))
    let out = URL(fileURLWithPath: try a.path("out") ?? "membrane.svg")
    let title = "membrane potential of neuron \(neuron) (op \(k), sample \(sample)) of \(dir.lastPathComponent)"
    try Plots.membrane(pre: pre.shape == s ? row(pre, neuron) : nil, post: row(post, neuron), spikes: row(spikes, neuron),
                       theta: c.neuronParameters.theta, Ts: c.simulation.Ts, title: title).write(to: out)
    let times = row(spikes, neuron).indices.filter { row(spikes, neuron)[$0] != 0 }.map { ms(Double($0) * c.simulation.Ts) }
    print("neuron \(neuron) of op \(k), sample \(sample): \(times.count) spike(s) at [\(times.joined(separator: ", "))] ms; "
          + "peak u \(String(format: "%.4f", row(post, neuron).max() ?? 0)), theta \(c.neuronParameters.theta)")
    print("wrote \(out.path)")
    return 0
  }

  // MARK: raster

  /// A raster of a `(N, C, H, W, T)` `.npy`; Ts from `--Ts` or from the spike height 1/Ts.
  static func raster(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["target", "Ts", "sample", "title", "out"], flags: [])
    let path = try a.expectPositional(["FILE.npy"])[0]
    let x = try Npy.readTensor(URL(fileURLWithPath: path), as: Float.self, field: "spikes")
    guard x.shape.count > 0 else {
      throw IOError(file: path, message: "spikes: expected a tensor with positive extents, found \(x.shape)")
    }
    let target = try a.path("target").map { try Npy.readTensor(URL(fileURLWithPath: $0), as: Float.self, expectedShape: x.shape.dims, field: "target") }
    let Ts: Double
    if a.string("Ts") != nil {
      Ts = try positive(a, "Ts", 1)
    } else {
      let heights = Set(x.scalars.filter { $0 != 0 })
      guard heights.count == 1, let h = heights.first, h > 0 else {
        throw IOError(file: path, message: "spikes: expected every non-zero sample to be the same height 1/Ts, found "
                        + "\(heights.count) distinct non-zero values; give --Ts")
      }
      Ts = 1 / Double(h)
    }
    let sample = try a.int("sample", default: 0, in: 0...max(0, x.shape.n - 1))
    let out = URL(fileURLWithPath: try a.path("out") ?? "raster.svg")
    let name = URL(fileURLWithPath: path).lastPathComponent
    let title = a.string("title") ?? (target == nil ? "spikes of \(name)" : "\(name) (blue) against the target (red)")
    try Plots.raster(x, sample: sample, Ts: Ts, target: target, title: title).write(to: out)
    let per = x.shape.neurons * x.shape.t
    func count(_ t: Tensor<Float>) -> Int { t.scalars[sample * per..<(sample + 1) * per].filter { $0 != 0 }.count }
    print("\(name) \(x.shape), sample \(sample): \(count(x)) spikes over \(x.shape.neurons) neurons, Ts \(Ts) ms"
          + (target.map { ", target \(count($0)) spikes" } ?? ""))
    print("wrote \(out.path)")
    return 0
  }

  // MARK: learning, training

  /// The demo's `summary.json` (`slayer demo`).
  struct DemoSummary: Decodable {
    var lossPerEpoch: [Double]
    var outputTimesPerEpoch: [[Double]]?
    var targetTimesMs: [Double]
    var tSample: Double
  }

  /// The demo's learning from its output folder (or its `summary.json`).
  static func learning(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["out"], flags: [])
    let url = file(try a.expectPositional(["DEMO_DIR"])[0], default: "summary.json")
    let s = try decode(DemoSummary.self, url)
    guard let times = s.outputTimesPerEpoch, times.count == s.lossPerEpoch.count else {
      throw IOError(file: url.path, message: "outputTimesPerEpoch: expected one list of spike times per epoch "
                      + "(\(s.lossPerEpoch.count)), found \(s.outputTimesPerEpoch.map { "\($0.count)" } ?? "none"); rerun `slayer demo`")
    }
    let history = zip(s.lossPerEpoch, times).enumerated().map { Plots.DemoEpoch(epoch: $0.offset, loss: $0.element.0, outputTimes: $0.element.1) }
    let out = URL(fileURLWithPath: try a.path("out") ?? "learning.svg")
    try Plots.learning(history, target: s.targetTimesMs, tSample: s.tSample).write(to: out)
    print("\(history.count) epochs, first loss \(String(format: "%.5f", s.lossPerEpoch.first ?? 0)), last "
          + "\(String(format: "%.5f", s.lossPerEpoch.last ?? 0))")
    print("wrote \(out.path)")
    return 0
  }

  /// `history.json` of `slayer train nmnist` (loss and accuracy) or of `slayer train oxford` (loss).
  struct TrainingHistory: Decodable {
    var task: String?
    var epochs: [Trainer.EpochRecord]?
    var lossPerEpoch: [Double]?
  }

  static func training(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["out", "title"], flags: [])
    let url = file(try a.expectPositional(["RUN_DIR"])[0], default: "history.json")
    let h = try decode(TrainingHistory.self, url)
    // Epoch numbers become Double axis ends and back (`Plots.training`): one beyond 2⁶³ would trap.
    if let epochs = h.epochs, let bad = epochs.firstIndex(where: { !(0...1_000_000_000).contains($0.epoch) }) {
      throw IOError(file: url.path, message: "epochs[\(bad)].epoch: expected an epoch number in 0…1000000000, found \(epochs[bad].epoch)")
    }
    let out = URL(fileURLWithPath: try a.path("out") ?? "training.svg")
    if let epochs = h.epochs, !epochs.isEmpty {
      try Plots.training(epochs, title: a.string("title") ?? "SLAYER \(h.task ?? "training"): loss and accuracy per epoch").write(to: out)
      let last = epochs[epochs.count - 1]
      print("\(epochs.count) epoch(s); last: train loss \(String(format: "%.4f", last.trainLoss)), accuracy "
            + "\(String(format: "%.1f", 100 * last.trainAccuracy)) %"
            + (last.testAccuracy.map { "; test accuracy \(String(format: "%.1f", 100 * $0)) %" } ?? ""))
    } else if let losses = h.lossPerEpoch, !losses.isEmpty {
      try Plots.loss(losses, title: a.string("title") ?? "SLAYER \(h.task ?? "training"): loss per epoch").write(to: out)
      print("\(losses.count) epoch(s); first loss \(String(format: "%.4f", losses[0])), last \(String(format: "%.4f", losses[losses.count - 1]))")
    } else {
      throw IOError(file: url.path, message: "expected 'epochs' (slayer train nmnist) or 'lossPerEpoch' (slayer train oxford), found neither")
    }
    print("wrote \(out.path)")
    return 0
  }

  // MARK: Helpers

  /// `path` itself when it is a file, `path/name` when it is a directory.
  static func file(_ path: String, default name: String) -> URL {
    var isDirectory: ObjCBool = false
    let url = URL(fileURLWithPath: path)
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
      ? url.appendingPathComponent(name) : url
  }

  static func decode<T: Decodable>(_: T.Type, _ url: URL) throws -> T {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw IOError(file: url.path, message: "cannot be read: \(error.localizedDescription)")
    }
    do { return try JSONDecoder().decode(T.self, from: data) } catch {
      throw IOError(file: url.path, message: "not the expected JSON: \(error)")
    }
  }

  /// A positive finite number option, or `value`.
  static func positive(_ a: Arguments, _ name: String, _ value: Double) throws -> Double {
    guard let text = a.string(name) else { return value }
    guard let v = Double(text), v > 0, v.isFinite else {
      throw UsageError("option --\(name) expects a positive number, found '\(text)'")
    }
    return v
  }

  /// A time in ms with one decimal.
  static func ms(_ t: Double) -> String { String(format: "%.1f", t) }
}
