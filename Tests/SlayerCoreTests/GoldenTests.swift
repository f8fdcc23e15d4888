import SlayerCore
import Testing

/// The original (MATLAB-era) SLAYER's own outputs for its 250-25-1 Poisson example
/// (`slayer.md` §10), reproduced by the oracle's `Float` engine.
@Suite("Golden: the original SLAYER's outputs")
struct GoldenTests {
  static let simulation = SimulationParameters(Ts: 0.1, tSample: 50)

  static func network(_ golden: GoldenData, weights: String) throws -> Network<Float> {
    let neuron = Neuron<Float>(.poissonExample, simulation)
    return Network(neuron: neuron, layers: [
      .psp, .dense(Dense(outputs: 25, inputs: 250, weights: try golden.matrix("w1\(weights).txt").map { Float($0) })), .spike,
      .psp, .dense(Dense(outputs: 1, inputs: 25, weights: try golden.matrix("w2\(weights).txt").map { Float($0) })), .spike,
    ])
  }

  static func golden() -> GoldenData? {
    switch GoldenData.locate() {
    case .success(let g): return g
    case .failure(let reason): print(reason.text); return nil
    }
  }

  @Test("ε and ν equal h_sr.txt and h_ref.txt sample by sample")
  func kernels() throws {
    guard let golden = Self.golden() else { return }
    let hSr = try golden.table("h_sr.txt"), hRef = try golden.table("h_ref.txt")
    let eps = Kernels.srm(.poissonExample, Self.simulation)
    var p = NeuronParameters.poissonExample
    p.refKernelEpsilon = 0.01
    let nu = Kernels.refractory(p, Self.simulation)
    #expect(eps.count == hSr.count && eps.count == 77)
    #expect(nu.count == hRef.count && nu.count == 110)
    expectClose(eps, hSr.map { $0[1] }, atol: 5e-5, rtol: 0, "ε vs h_sr.txt")
    expectClose(nu, hRef.map { $0[1] }, atol: 5e-4, rtol: 0, "ν vs h_ref.txt")
    print("golden kernels: ε \(eps.count) samples, ν \(nu.count) samples, max |Δε| \(zip(eps, hSr).map { abs($0 - $1[1]) }.max()!)")
  }

  @Test("learned weights: all 289 hidden spikes and the output at 20.3, 35.5, 44.7 ms")
  func learnedForward() throws {
    guard let golden = Self.golden() else { return }
    let net = try Self.network(golden, weights: "learned")
    let input: Tensor<Float> = try golden.spikes("spikeIn.txt", neurons: 250, Ts: 0.1, steps: 500)
    #expect(input.scalars.filter { $0 != 0 }.count == 744)
    let trace = net.forward(input)
    let hidden = events(trace.values[3], Ts: 0.1), output = events(trace.output, Ts: 0.1)
    let reference = try golden.table("spikeHid.txt").map { (time: $0[0], id: Int($0[1])) }
      .sorted { $0.time != $1.time ? $0.time < $1.time : $0.id < $1.id }
    #expect(hidden.count == 289)
    #expect(hidden.count == reference.count)
    let mismatches = zip(hidden, reference).filter { abs($0.time - $1.time) > 1e-9 || $0.id != $1.id }
    #expect(mismatches.isEmpty, "hidden spikes differ: \(mismatches.prefix(5))")
    #expect(output.map(\.id) == [1, 1, 1])
    expectClose(output.map(\.time), [20.3, 35.5, 44.7], atol: 1e-9, rtol: 0, "output spike times")
    // Potentials of hidden neuron 0 against spikeFuncHid.txt (pre- and post-refractory). The file
    // prints six significant digits, hence rtol 5e-6 beside the spec's 5e-5 and 3e-4.
    let ref = try golden.table("spikeFuncHid.txt")
    let uPre = (0..<500).map { trace.values[2][0, 0, 0, 0, $0].double }
    let uPost = (0..<500).map { trace.potentials[2]![0, 0, 0, 0, $0].double }
    expectClose(uPre, ref.prefix(500).map { $0[0] }, atol: 5e-5, rtol: 5e-6, "hidden neuron 0, u before refractory")
    expectClose(uPost, ref.prefix(500).map { $0[1] }, atol: 3e-4, rtol: 5e-6, "hidden neuron 0, u after refractory")
    print("golden forward: \(hidden.count)/289 hidden spikes identical, output at \(output.map(\.time)) ms")
  }

  @Test("initial weights: loss 10.9903, 266 hidden and 11 output spikes, gradW1/gradW2 within 1e-4")
  func initialGradients() throws {
    guard let golden = Self.golden() else { return }
    let net = try Self.network(golden, weights: "Initial")
    let input: Tensor<Float> = try golden.spikes("spikeIn.txt", neurons: 250, Ts: 0.1, steps: 500)
    let target: Tensor<Float> = try golden.spikes("spikeOut.txt", neurons: 1, Ts: 0.1, steps: 500)
    let (trace, loss, grads) = net.evaluate(input, loss: .spikeTime(target: target))
    let hiddenCount = trace.values[3].scalars.filter { $0 != 0 }.count
    let outputTimes = events(trace.output, Ts: 0.1).map(\.time)
    #expect(abs(loss.loss - 10.9903) <= 1e-3, "loss \(loss.loss)")
    #expect(hiddenCount == 266)
    #expect(outputTimes.count == 11)
    expectClose(outputTimes, [1.8, 12.4, 17.2, 18.8, 20.3, 24.6, 29.7, 33.6, 39.8, 42.2, 47.9], atol: 1e-9, rtol: 0, "output spike times")
    let g1 = grads.weights[1]!.map(\.double), g2 = grads.weights[4]!.map(\.double)
    let r1 = relativeNormError(g1, try golden.matrix("gradW1Initial.txt"))
    let r2 = relativeNormError(g2, try golden.matrix("gradW2Initial.txt"))
    #expect(r1 <= 1e-4, "gradW1 relative error \(r1)")
    #expect(r2 <= 1e-4, "gradW2 relative error \(r2)")
    print("golden gradients: loss \(loss.loss), hidden \(hiddenCount), output \(outputTimes.count), ‖ΔW1‖/‖W1‖ \(r1), ‖ΔW2‖/‖W2‖ \(r2)")
  }
}
