import Foundation
import SlayerCore
import SlayerIO

/// `slayer demo`: the paper's first experiment (`slayer.md` §8.1), trained until the output spikes
/// sit exactly on the target (loss 0), with a progress line every few epochs.
enum DemoCommand {
  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["seed", "out", "max-epochs", "threads", "every"], flags: [])
    _ = try a.expectPositional([])
    var configuration = SpikeTrainExperiment.Configuration()
    configuration.seed = UInt64(try a.int("seed", default: Int(configuration.seed), in: 0...Int.max))
    let maxEpochs = try a.int("max-epochs", default: 2000, in: 1...1_000_000)
    let every = try a.int("every", default: 50, in: 1...1_000_000)
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let out = URL(fileURLWithPath: try a.path("out") ?? "demo-output")
    try OutputDirectory.checkReplaceable(out, markers: ["summary.json"], command: "demo")

    var experiment = SpikeTrainExperiment(configuration)
    let c = experiment.configuration
    print("""
      SLAYER demo: \(c.inputs)-\(c.hidden)-1 network, Ts \(c.simulation.Ts) ms, \(c.simulation.tSample) ms, \
      seed \(c.seed), \(Int(c.rateHz)) Hz Poisson input (\(experiment.input.scalars.filter { $0 != 0 }.count) spikes)
      target spikes at \(c.targetTimes.map { fmt($0, 1) }.joined(separator: ", ")) ms; spikeTime loss, Adam (AMSGrad) lr \(c.learningRate); \
      \(Parallel.threads) thread(s)
      """)
    let clock = ContinuousClock(), start = clock.now
    var history: [(epoch: Int, loss: Double, times: [Double])] = []
    var last: SpikeTrainExperiment.Step
    repeat {
      let epoch = experiment.epoch
      last = experiment.trainEpoch()
      history.append((epoch, last.loss, last.outputTimes))
      if epoch % every == 0 || last.matches {
        let elapsed = seconds(clock.now - start)
        print("epoch \(pad(epoch, 5))  loss \(fmt(last.loss, 5))  output [\(last.outputTimes.map { fmt($0, 1) }.joined(separator: ", "))]  "
              + "hidden spikes \(last.hiddenSpikes)  \(fmt(elapsed, 1)) s  \(fmt(Double(epoch + 1) / max(elapsed, 1e-9), 1)) epochs/s")
      }
    } while !last.matches && experiment.epoch < maxEpochs
    let wall = seconds(clock.now - start)

    try write(experiment, history: history, converged: last.matches, wall: wall, to: out)
    if last.matches {
      print("converged: output matches the target exactly after \(experiment.epoch) epochs (\(fmt(wall, 1)) s); wrote \(out.path)/")
      return 0
    }
    print("not converged within \(maxEpochs) epochs (loss \(fmt(last.loss, 5))); wrote \(out.path)/")
    return 1
  }

  /// Weights, spike trains, a summary and a picture of the learning, in one atomically replaced folder.
  static func write(_ e: SpikeTrainExperiment, history: [(epoch: Int, loss: Double, times: [Double])],
                    converged: Bool, wall: Double, to out: URL) throws {
    let c = e.configuration
    let output = e.network.forward(e.input).output
    try AtomicFile.replaceDirectory(at: out) { dir in
      for k in e.network.weightedLayers {
        guard case .dense(let d) = e.network.layers[k] else { continue }
        try Npy.write(dir.appendingPathComponent("weights.op\(k).npy"), shape: [d.outputs, d.inputs], float32: d.weights)
      }
      try Npy.writeTensor(dir.appendingPathComponent("input.npy"), e.input)
      try Npy.writeTensor(dir.appendingPathComponent("target.npy"), e.target)
      try Npy.writeTensor(dir.appendingPathComponent("output.npy"), output)
      let summary: [String: Any] = [
        "experiment": "SLAYER Poisson spike-train learning (slayer.md §8.1)",
        "seed": c.seed, "epochs": e.epoch, "converged": converged, "wallSeconds": wall,
        "finalLoss": history.last?.loss ?? 0, "targetTimesMs": c.targetTimes,
        "outputTimesMs": history.last?.times ?? [], "threads": Parallel.threads,
        "network": "\(c.inputs)-\(c.hidden)-1", "Ts": c.simulation.Ts, "tSample": c.simulation.tSample,
        "neuron": ["theta": c.neuron.theta, "tauSr": c.neuron.tauSr, "tauRef": c.neuron.tauRef, "scaleRef": c.neuron.scaleRef,
                   "tauRho": c.neuron.tauRho, "scaleRho": c.neuron.scaleRho, "refKernelEpsilon": c.neuron.refKernelEpsilon],
        "optimizer": ["type": "Adam", "amsgrad": true, "learningRate": c.learningRate],
        "lossPerEpoch": history.map(\.loss),
        "outputTimesPerEpoch": history.map(\.times),
      ]
      let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
      try AtomicFile.write(json, to: dir.appendingPathComponent("summary.json"))
      try learningFigure(history, target: c.targetTimes, tSample: c.simulation.tSample)
        .write(to: dir.appendingPathComponent("learning.svg"))
    }
  }

  /// Loss per epoch (log scale) above the output spike raster per epoch against the target times
  /// (`Plots.learning`; `slayer plot learning DIR` draws the same from `summary.json`).
  static func learningFigure(_ history: [(epoch: Int, loss: Double, times: [Double])], target: [Double], tSample: Double) -> SVG {
    Plots.learning(history.map { Plots.DemoEpoch(epoch: $0.epoch, loss: $0.loss, outputTimes: $0.times) },
                   target: target, tSample: tSample)
  }
}

func seconds(_ d: Duration) -> Double {
  Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

func fmt(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

func pad(_ v: Int, _ width: Int) -> String {
  let s = String(v)
  return String(repeating: " ", count: max(0, width - s.count)) + s
}
