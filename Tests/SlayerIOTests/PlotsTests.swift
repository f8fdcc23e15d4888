import Foundation
import SlayerCore
@testable import SlayerIO
import Testing

/// The pictures show what their captions say: one mark per sample or spike, in the stated colour.
@Suite("Plots")
struct PlotsTests {
  /// Occurrences of `fragment` in the document.
  func count(_ fragment: String, in svg: SVG) -> Int { svg.document.components(separatedBy: fragment).count - 1 }

  @Test("kernels: a dot per sample of ε (blue) and of ν (red), as Kernels samples them")
  func kernels() {
    let p = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1, refKernelEpsilon: 0.01)
    let sim = SimulationParameters(Ts: 0.1, tSample: 50)
    let svg = Plots.kernels(p, sim)
    #expect(count("fill=\"\(Plots.blue)\"/>", in: svg) == Kernels.srm(p, sim).count)
    #expect(count("fill=\"\(Plots.red)\"/>", in: svg) == Kernels.refractory(p, sim).count)
  }

  @Test("raster: a tick per spike of the output (blue) and of the target (red), for the sample asked", arguments: [0, 1])
  func raster(sample: Int) {
    let shape = Shape(n: 2, c: 7, t: 60)
    let spikes: Tensor<Float> = RandomSpikes.poisson(shape, rateHz: 150, Ts: 0.5, seed: 11)
    let target: Tensor<Float> = RandomSpikes.poisson(shape, rateHz: 100, Ts: 0.5, seed: 12)
    let per = shape.neurons * shape.t
    func spikesOf(_ x: Tensor<Float>) -> Int { x.scalars[sample * per..<(sample + 1) * per].filter { $0 != 0 }.count }
    let svg = Plots.raster(spikes, sample: sample, Ts: 0.5, target: target, title: "t")
    // Ticks are 1.4 px wide; the legend's lines are 2 px.
    #expect(count("stroke=\"\(Plots.blue)\" stroke-width=\"1.40\"", in: svg) == spikesOf(spikes), "seeds 11, 12")
    #expect(count("stroke=\"\(Plots.red)\" stroke-width=\"1.40\"", in: svg) == spikesOf(target), "seeds 11, 12")
  }

  @Test("membrane: a tick per spike, a point per sample of each potential")
  func membrane() {
    let post = (0..<50).map { 12 * sin(Double($0) / 5) }, pre = post.map { $0 + 1 }
    let spikes = post.map { $0 >= 10 ? 10.0 : 0 }
    let svg = Plots.membrane(pre: pre, post: post, spikes: spikes, theta: 10, Ts: 0.1, title: "m")
    #expect(count("stroke=\"\(Plots.ink)\" stroke-width=\"1.20\"", in: svg) == spikes.filter { $0 != 0 }.count)
    let polylines = svg.document.components(separatedBy: "\n").filter { $0.hasPrefix("<polyline") }
    #expect(polylines.count == 2)
    #expect(polylines.allSatisfy { $0.components(separatedBy: ",").count - 1 == 50 })
  }

  @Test("ticks are round steps (1, 2 or 5 × 10^k), evenly spaced, inside the range", arguments: [
    (0.0, 7.6), (-30.0, 50.0), (0.001, 0.0042), (0.0, 1.0), (-22.0, 0.2), (5.0, 5000.0),
  ])
  func ticks(lo: Double, hi: Double) {
    let t = Plots.ticks(lo, hi)
    #expect(t.count >= 2 && t.count <= 13, "\(t)")
    #expect(t.allSatisfy { $0 >= lo - 1e-12 && $0 <= hi + 1e-12 }, "\(t)")
    let step = t[1] - t[0], unit = step / pow(10, floor(log10(step)))
    #expect([1.0, 2.0, 5.0].contains { abs(unit - $0) < 1e-9 }, "step \(step)")
    #expect(zip(t, t.dropFirst()).allSatisfy { abs(($1 - $0) - step) < 1e-9 * step }, "\(t)")
  }
}
