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
    let out = URL(fileURLWithPath: a.string("out") ?? "demo-output")

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
      ]
      let json = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
      try AtomicFile.write(json, to: dir.appendingPathComponent("summary.json"))
      try learningFigure(history, target: c.targetTimes, tSample: c.simulation.tSample)
        .write(to: dir.appendingPathComponent("learning.svg"))
    }
  }

  /// Loss per epoch (log scale) above the output spike raster per epoch against the target times.
  static func learningFigure(_ history: [(epoch: Int, loss: Double, times: [Double])], target: [Double], tSample: Double) -> SVG {
    var svg = SVG(width: 720, height: 560)
    let epochs = Double(max(1, history.count - 1))
    let x = Axis(0, epochs, pixels: 70, 690)
    let positive = history.map(\.loss).filter { $0 > 0 }
    let y = Axis(max(positive.min() ?? 1e-3, 1e-4), max(positive.max() ?? 1, 1e-3), pixels: 250, 40, log: true)
    svg.text(360, 22, "SLAYER demo: loss per epoch (log scale)", size: 15, anchor: "middle")
    svg.line(70, 250, 690, 250, stroke: "#444"); svg.line(70, 40, 70, 250, stroke: "#444")
    svg.polyline(history.map { (x(Double($0.epoch)), y(max($0.loss, y.lo))) }, stroke: "#1f77b4")
    svg.text(64, 44, fmt(y.hi, 3), size: 10, anchor: "end"); svg.text(64, 250, fmt(y.lo, 4), size: 10, anchor: "end")
    svg.text(690, 266, "epoch \(Int(epochs))", size: 10, anchor: "end")
    // Raster: time on x, epoch on y (downwards); target times as dashed red lines.
    let tx = Axis(0, tSample, pixels: 70, 690), ey = Axis(0, epochs, pixels: 300, 530)
    svg.text(360, 292, "output spikes per epoch (blue) against the target (red)", size: 13, anchor: "middle")
    svg.rect(70, 300, 620, 230, fill: "none", stroke: "#444")
    for t in target { svg.line(tx(t), 300, tx(t), 530, stroke: "#d62728", width: 1.2, dash: "4 3") }
    let stride = max(1, history.count / 230)
    for h in history where h.epoch % stride == 0 || h.epoch == history.count - 1 {
      for t in h.times { svg.rect(tx(t) - 0.8, ey(Double(h.epoch)) - 0.5, 1.6, 1.2, fill: "#1f77b4") }
    }
    svg.text(70, 548, "0 ms", size: 10); svg.text(690, 548, "\(fmt(tSample, 0)) ms", size: 10, anchor: "end")
    svg.text(64, 306, "epoch 0", size: 10, anchor: "end"); svg.text(64, 530, "\(Int(epochs))", size: 10, anchor: "end")
    return svg
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
