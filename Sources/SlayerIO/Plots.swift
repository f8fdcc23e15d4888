// Pictures of the model and of its results, as SVG documents (`Docs/` embeds them; `slayer plot`
// draws them from saved outputs).
//
// Implementation goals, in order of priority:
//   1. Each picture shows what its caption says and nothing it does not: sampled kernels are drawn
//      as their samples, potentials as the stored values, spikes where the tensor is non-zero.
//   2. Deterministic text: the same data give the same bytes (coordinates printed with two
//      decimals by ``SVG``), so a committed picture can be compared with a regenerated one.
//   3. Small files: one element per spike or sample, no embedded fonts or scripts.
import Foundation
import SlayerCore

/// Picture builders: kernels, membrane potentials, spike rasters, learning curves.
///
/// Every builder returns an ``SVG`` that the caller writes with ``SVG/write(to:)``. Times are drawn
/// in ms (sample n at n·Ts); spikes are the non-zero samples of a tensor (height 1/Ts).
public enum Plots {
  /// The colours of every picture: data blue, target red, second series orange, reference grey.
  static let blue = "#1f77b4", orange = "#ff7f0e", red = "#d62728", grey = "#7f7f7f", green = "#2ca02c", ink = "#222"

  // MARK: Kernels

  /// ε(t), ν(t) and ρ(u) of a neuron on a time grid, in three panels (`slayer.md` §2.1, §4.2).
  ///
  /// The kernels are drawn as their samples (`Kernels.srm`, `Kernels.refractory`),
  /// truncated where the code truncates them; ρ is drawn over ϑ ± 4/β with `Spike.rho`.
  public static func kernels(_ neuron: NeuronParameters, _ simulation: SimulationParameters) -> SVG {
    let eps = Kernels.srm(neuron, simulation), nu = Kernels.refractory(neuron, simulation)
    let Ts = simulation.Ts, beta = 1 / (neuron.tauRho * neuron.theta), alpha = neuron.scaleRho * beta
    var svg = SVG(width: 720, height: 720)
    svg.text(360, 24, "The SRM neuron's kernels and the surrogate ρ", size: 16, anchor: "middle")

    let times = { (h: [Double]) in h.indices.map { Double($0) * Ts } }
    let tMax = Double(max(eps.count, nu.count)) * Ts
    let e = Panel(x: Axis(0, tMax, pixels: 80, 690), y: Axis(-0.05, 1.1, pixels: 230, 60))
    e.draw(into: &svg, title: "ε(t), spike response: τ_sr = \(number(neuron.tauSr)) ms, Ts = \(number(Ts)) ms, "
             + "\(eps.count) samples (t = 0 … \(number(Double(eps.count - 1) * Ts)) ms)", xLabel: "t (ms)")
    e.marker(into: &svg, x: neuron.tauSr, label: "τ_sr")
    e.samples(into: &svg, x: times(eps), y: eps, color: blue)

    let peak = -neuron.scaleRef * neuron.theta
    let n = Panel(x: e.x, y: Axis(min(peak, -1e-9) * 1.1, -0.05 * peak, pixels: 450, 280))
    n.draw(into: &svg, title: "ν(t), refractory response: τ_ref = \(number(neuron.tauRef)) ms, peak −scaleRef·ϑ = "
             + "\(number(peak)), \(nu.count) samples (cut at |ν| < \(number(neuron.refKernelEpsilon)))", xLabel: "t (ms)")
    n.marker(into: &svg, x: neuron.tauRef, label: "τ_ref")
    n.samples(into: &svg, x: times(nu), y: nu, color: red)

    let width = 4 / beta
    let us = (0...400).map { neuron.theta - width + 2 * width * Double($0) / 400 }
    let rho = us.map { Spike.rho($0, neuron) }
    let r = Panel(x: Axis(us[0], us[us.count - 1], pixels: 80, 690), y: Axis(0, alpha * 1.1, pixels: 670, 500))
    r.draw(into: &svg, title: "ρ(u) = α·exp(−β·|u − ϑ|), surrogate of ∂s/∂u: α = \(number(alpha)), β = \(number(beta)) "
             + "(tauRho \(number(neuron.tauRho)), scaleRho \(number(neuron.scaleRho)))", xLabel: "u")
    r.marker(into: &svg, x: neuron.theta, label: "ϑ")
    svg.polyline(zip(us, rho).map { (r.x($0), r.y($1)) }, stroke: green, width: 1.8)
    return svg
  }

  // MARK: Membrane potential

  /// One neuron's membrane potential against the threshold, with its spikes above the panel.
  ///
  /// - Parameters:
  ///   - pre: W·a, the potential entering the spike op (before any refractory response), or nil.
  ///   - post: u_post, the potential after the refractory response (`Spike.Output.potential`).
  ///   - spikes: the neuron's spike train (non-zero = spike), the same length.
  ///   - theta: the threshold ϑ.
  ///   - Ts: the sampling time, in ms.
  ///   - title: the first line of the picture.
  /// The gap between the dashed `pre` and the solid `post` after each spike is the refractory
  /// response Σ ν[n − m] over the neuron's earlier spikes m.
  public static func membrane(pre: [Double]?, post: [Double], spikes: [Double], theta: Double, Ts: Double,
                              title: String) -> SVG {
    precondition(spikes.count == post.count && (pre?.count ?? post.count) == post.count,
                 "membrane: \(pre?.count ?? -1) pre, \(post.count) post, \(spikes.count) spike samples")
    var svg = SVG(width: 720, height: 430)
    svg.text(360, 24, title, size: 15, anchor: "middle")
    let values = post + (pre ?? []) + [theta]
    let lo = values.min() ?? 0, hi = values.max() ?? 1, pad = max(1e-9, 0.06 * (hi - lo))
    let p = Panel(x: Axis(0, Double(max(1, post.count - 1)) * Ts, pixels: 80, 690),
                  y: Axis(lo - pad, hi + pad, pixels: 380, 90))
    p.draw(into: &svg, title: "", xLabel: "t (ms)")
    // The spikes, as ticks in a strip above the panel.
    svg.text(74, 72, "spikes", size: 10, anchor: "end", fill: grey)
    for i in spikes.indices where spikes[i] != 0 {
      svg.line(p.x(Double(i) * Ts), 60, p.x(Double(i) * Ts), 78, stroke: ink, width: 1.2)
    }
    svg.line(80, p.y(theta), 690, p.y(theta), stroke: red, width: 1.2, dash: "6 4")
    svg.text(686, p.y(theta) - 4, "ϑ = \(number(theta))", size: 11, anchor: "end", fill: red)
    if let pre {
      svg.polyline(pre.indices.map { (p.x(Double($0) * Ts), p.y(pre[$0])) }, stroke: grey, width: 1.2, dash: "4 3")
    }
    svg.polyline(post.indices.map { (p.x(Double($0) * Ts), p.y(post[$0])) }, stroke: blue, width: 1.6)
    var legend: [(String, String, String?)] = [("u, after the refractory response", blue, nil)]
    if pre != nil { legend.append(("W·a, before it", grey, "4 3")) }
    Self.legend(into: &svg, x: 90, y: 46, legend)
    return svg
  }

  // MARK: Spike rasters

  /// A spike raster of one sample: neuron against time, a tick per spike; with a target, the
  /// output ticks fill the upper half of each row (blue) and the target's the lower half (red).
  ///
  /// - Parameters:
  ///   - spikes: `(N, C, H, W, T)`; its neurons are the C·H·W rows in C order.
  ///   - sample: the batch index b drawn.
  ///   - Ts: the sampling time, in ms.
  ///   - target: a tensor of the same shape drawn against `spikes`, or nil.
  ///   - title: the first line of the picture.
  public static func raster(_ spikes: Tensor<Float>, sample: Int = 0, Ts: Double, target: Tensor<Float>? = nil,
                            title: String) -> SVG {
    let s = spikes.shape, rows = s.neurons, t = s.t
    precondition(sample >= 0 && sample < s.n, "raster: sample \(sample) of a batch of \(s.n)")
    precondition(target == nil || target!.shape == s, "raster: target \(target!.shape) vs spikes \(s)")
    let rowHeight = min(36, max(1, 320 / Double(max(1, rows))))
    let height = Double(rows) * rowHeight
    var svg = SVG(width: 720, height: 130 + height)
    svg.text(360, 24, title, size: 15, anchor: "middle")
    let p = Panel(x: Axis(0, Double(t) * Ts, pixels: 80, 690), y: Axis(0, Double(rows), pixels: 70, 70 + height))
    p.draw(into: &svg, title: "", xLabel: "t (ms)", yTicks: rowTicks(rows))
    svg.text(74, 60, "neuron", size: 11, anchor: "end", fill: grey)
    var series: [(Tensor<Float>, String, Double, Double)] = [(spikes, blue, 0.1, target == nil ? 0.9 : 0.5)]
    if let target { series.append((target, red, 0.5, 0.9)) }
    for (tensor, color, top, bottom) in series {
      let base = sample * rows * t
      for row in 0..<rows {
        for n in 0..<t where tensor.scalars[base + row * t + n] != 0 {
          let x = p.x(Double(n) * Ts)
          let y0 = p.y(Double(row) + top), y1 = p.y(Double(row) + bottom)
          if rowHeight >= 3 {
            svg.line(x, y0, x, y1, stroke: color, width: 1.4)
          } else {
            svg.rect(x - 0.7, y0, 1.4, max(1.6, y1 - y0), fill: color)
          }
        }
      }
    }
    if target != nil { legend(into: &svg, x: 90, y: 46, [("output", blue, nil), ("target", red, nil)]) }
    return svg
  }

  // MARK: Learning

  /// One epoch of the demo: its loss and output spike times, both measured before its update.
  public struct DemoEpoch: Sendable, Equatable {
    /// The epoch, 0-based.
    public var epoch: Int
    /// E at the start of the epoch.
    public var loss: Double
    /// Output spike times, in ms.
    public var outputTimes: [Double]
    /// An epoch's record.
    public init(epoch: Int, loss: Double, outputTimes: [Double]) {
      self.epoch = epoch; self.loss = loss; self.outputTimes = outputTimes
    }
  }

  /// The demo's learning: loss per epoch (log scale) above the output raster per epoch (time
  /// against epoch, epochs downwards) with the target times as dashed red lines.
  ///
  /// - Parameters:
  ///   - history: one entry per epoch, in order.
  ///   - target: the target spike times, in ms.
  ///   - tSample: the simulated duration, in ms.
  public static func learning(_ history: [DemoEpoch], target: [Double], tSample: Double) -> SVG {
    var svg = SVG(width: 720, height: 640)
    svg.text(360, 24, "SLAYER demo: learning a 3-spike target train", size: 16, anchor: "middle")
    let last = Double(max(1, (history.last?.epoch ?? 1)))
    let positive = history.map(\.loss).filter { $0 > 0 }
    let lo = max(positive.min() ?? 1e-3, 1e-4), hi = max(positive.max() ?? 1, lo * 10)
    let l = Panel(x: Axis(0, last, pixels: 80, 690), y: Axis(lo, hi, pixels: 250, 60, log: true))
    l.draw(into: &svg, title: "loss E per epoch (log scale; an epoch with E = 0 is drawn at the bottom)", xLabel: "epoch",
           yTicks: decades(lo, hi))
    svg.polyline(history.map { (l.x(Double($0.epoch)), l.y(max($0.loss, lo))) }, stroke: blue, width: 1.2)

    let r = Panel(x: Axis(0, tSample, pixels: 80, 690), y: Axis(0, last, pixels: 330, 600))
    r.draw(into: &svg, title: "output spikes of each epoch (blue) against the target (red), epochs downwards",
           xLabel: "t (ms)", yLabel: "epoch")
    for t in target { svg.line(r.x(t), 330, r.x(t), 600, stroke: red, width: 1.2, dash: "4 3") }
    // At most one drawn row per pixel row: every stride-th epoch, and always the last.
    let stride = max(1, history.count / 270)
    for h in history where h.epoch % stride == 0 || h.epoch == history.last?.epoch {
      for t in h.outputTimes { svg.rect(r.x(t) - 0.8, r.y(Double(h.epoch)) - 0.5, 1.6, 1.2, fill: blue) }
    }
    return svg
  }

  /// Loss per sample and accuracy per epoch of a classifier's training (`history.json` of
  /// `slayer train nmnist`): training in blue, test in orange.
  ///
  /// - Parameters:
  ///   - history: one record per epoch, in order.
  ///   - title: the first line of the picture.
  public static func training(_ history: [Trainer.EpochRecord], title: String) -> SVG {
    var svg = SVG(width: 720, height: 600)
    svg.text(360, 24, title, size: 16, anchor: "middle")
    let first = Double(history.first?.epoch ?? 0), last = Double(max((history.last?.epoch ?? 0), Int(first) + 1))
    let losses = history.flatMap { [$0.trainLoss] + ($0.testLoss.map { [$0] } ?? []) }
    let l = Panel(x: Axis(first, last, pixels: 80, 690), y: Axis(0, max(losses.max() ?? 1, 1e-9) * 1.05, pixels: 270, 70))
    l.draw(into: &svg, title: "loss per sample", xLabel: "epoch", xTicks: epochTicks(first, last))
    let a = Panel(x: l.x, y: Axis(0, 100, pixels: 540, 340))
    a.draw(into: &svg, title: "accuracy (%)", xLabel: "epoch", xTicks: epochTicks(first, last))
    for (p, train, test) in [(l, { (r: Trainer.EpochRecord) in Optional(r.trainLoss) }, { (r: Trainer.EpochRecord) in r.testLoss }),
                             (a, { Optional(100 * $0.trainAccuracy) }, { $0.testAccuracy.map { 100 * $0 } })] {
      for (value, color) in [(train, blue), (test, orange)] {
        let points = history.compactMap { r in value(r).map { (p.x(Double(r.epoch)), p.y($0)) } }
        svg.polyline(points, stroke: color, width: 1.6)
        for (x, y) in points { svg.circle(x, y, r: 2.2, fill: color) }
      }
    }
    legend(into: &svg, x: 90, y: 46, [("training", blue, nil), ("test", orange, nil)])
    return svg
  }

  /// A loss curve per epoch on a log scale (`lossPerEpoch` of the demo's `summary.json` or of
  /// `slayer train oxford`'s `history.json`); epochs with E = 0 are drawn at the bottom.
  ///
  /// - Parameters:
  ///   - losses: E per epoch, epoch 0 first.
  ///   - title: the first line of the picture.
  public static func loss(_ losses: [Double], title: String) -> SVG {
    var svg = SVG(width: 720, height: 360)
    svg.text(360, 24, title, size: 16, anchor: "middle")
    let positive = losses.filter { $0 > 0 }
    let lo = max(positive.min() ?? 1e-3, 1e-6), hi = max(positive.max() ?? 1, lo * 10)
    let p = Panel(x: Axis(0, Double(max(1, losses.count - 1)), pixels: 80, 690), y: Axis(lo, hi, pixels: 310, 60, log: true))
    p.draw(into: &svg, title: "loss per epoch (log scale)", xLabel: "epoch", yTicks: decades(lo, hi))
    svg.polyline(losses.indices.map { (p.x(Double($0)), p.y(max(losses[$0], lo))) }, stroke: blue, width: 1.2)
    return svg
  }

  // MARK: Pieces

  /// A plotting area: two axes, a frame with ticks and labels, and helpers that draw in data units.
  struct Panel {
    var x: Axis, y: Axis

    /// The frame, ticks, tick labels, axis label and a title line above the frame.
    func draw(into svg: inout SVG, title: String, xLabel: String, yLabel: String? = nil,
              xTicks: [(Double, String)]? = nil, yTicks: [(Double, String)]? = nil) {
      let left = min(x.from, x.to), right = max(x.from, x.to), top = min(y.from, y.to), bottom = max(y.from, y.to)
      svg.rect(left, top, right - left, bottom - top, fill: "none", stroke: "#444")
      if !title.isEmpty { svg.text(left, top - 8, title, size: 12) }
      for (v, text) in xTicks ?? Plots.labelledTicks(x) {
        svg.line(x(v), bottom, x(v), bottom + 4, stroke: "#444")
        svg.text(x(v), bottom + 16, text, size: 10, anchor: "middle")
      }
      for (v, text) in yTicks ?? Plots.labelledTicks(y) {
        svg.line(left - 4, y(v), left, y(v), stroke: "#444")
        svg.text(left - 7, y(v) + 3.5, text, size: 10, anchor: "end")
      }
      svg.text(right, bottom + 30, xLabel, size: 11, anchor: "end", fill: grey)
      if let yLabel { svg.text(left - 7, top - 8, yLabel, size: 11, anchor: "end", fill: grey) }
    }

    /// A dashed vertical reference line at data x, labelled at its top.
    func marker(into svg: inout SVG, x value: Double, label: String) {
      let top = min(y.from, y.to), bottom = max(y.from, y.to)
      svg.line(x(value), top, x(value), bottom, stroke: grey, width: 1, dash: "3 3")
      svg.text(x(value) + 4, top + 12, label, size: 10, fill: grey)
    }

    /// Sampled values: a thin line through them and a dot on each sample (when they are few enough
    /// to see), and a zero line.
    func samples(into svg: inout SVG, x xs: [Double], y ys: [Double], color: String) {
      svg.line(min(x.from, x.to), y(0), max(x.from, x.to), y(0), stroke: "#bbb")
      let points = zip(xs, ys).map { (x($0), y($1)) }
      svg.polyline(points, stroke: color, width: 1)
      if points.count <= 250 { for (px, py) in points { svg.circle(px, py, r: 1.8, fill: color) } }
    }

  }

  /// Round ticks of a linear axis, labelled with as many decimals as their step needs.
  static func labelledTicks(_ axis: Axis) -> [(Double, String)] {
    let values = ticks(axis.lo, axis.hi)
    let step = values.count > 1 ? values[1] - values[0] : 1
    let decimals = Swift.max(0, -Int(Foundation.floor(Foundation.log10(step) + 1e-9)))
    return values.map { ($0, number($0, decimals: decimals)) }
  }

  /// About `count` round tick values (steps of 1, 2 or 5 × 10^k) inside [lo, hi].
  static func ticks(_ lo: Double, _ hi: Double, count: Int = 6) -> [Double] {
    guard hi > lo, (hi - lo).isFinite else { return [lo] }
    let raw = (hi - lo) / Double(count)
    let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
    let r = raw / magnitude
    let unit: Double = r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10
    let step = unit * magnitude
    let first = Foundation.ceil(lo / step - 1e-9)
    var values: [Double] = []
    var i = 0.0
    while values.count < 1000 {
      let v = (first + i) * step
      if v > hi + step * 1e-9 { break }
      values.append(v == 0 ? 0 : v)  // no −0
      i += 1
    }
    return values
  }

  /// Powers of ten inside [lo, hi] (the two ends when none falls inside), labelled.
  static func decades(_ lo: Double, _ hi: Double) -> [(Double, String)] {
    let a = Int(Foundation.ceil(Foundation.log10(lo) - 1e-9)), b = Int(Foundation.floor(Foundation.log10(hi) + 1e-9))
    let values = a <= b ? (a...b).map { Foundation.pow(10, Double($0)) } : [lo, hi]
    return values.map { ($0, number($0)) }
  }

  /// Whole epochs as ticks.
  static func epochTicks(_ first: Double, _ last: Double) -> [(Double, String)] {
    ticks(first, last).filter { $0 == $0.rounded() }.map { ($0, number($0)) }
  }

  /// Neuron indices as ticks at the middle of their rows.
  static func rowTicks(_ rows: Int) -> [(Double, String)] {
    let step = Swift.max(1, Int(ticks(0, Double(rows)).dropFirst().first ?? 1))
    return stride(from: 0, to: rows, by: step).map { (Double($0) + 0.5, "\($0)") }
  }

  /// A legend: a short line and a text per entry, in a row.
  static func legend(into svg: inout SVG, x: Double, y: Double, _ entries: [(String, String, String?)]) {
    var at = x
    for (text, color, dash) in entries {
      svg.line(at, y - 4, at + 22, y - 4, stroke: color, width: 2, dash: dash)
      svg.text(at + 28, y, text, size: 11)
      at += 40 + 6.2 * Double(text.count)
    }
  }

  /// A number for a label: integers without decimals, others with up to 4 significant decimals,
  /// a true minus sign.
  static func number(_ v: Double, decimals: Int? = nil) -> String {
    let text: String
    if let decimals {
      text = String(format: "%.\(decimals)f", v)
    } else if v == v.rounded() && abs(v) < 1e15 {
      text = String(format: "%.0f", v)
    } else if abs(v) >= 1e-3 && abs(v) < 1e5 {
      text = String(format: "%.4g", v)
    } else {
      text = String(format: "%.2g", v)
    }
    return text.hasPrefix("-") ? "−" + text.dropFirst() : text
  }
}
