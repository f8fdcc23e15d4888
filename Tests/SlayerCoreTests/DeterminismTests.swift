import SlayerCore
import Testing

/// Bit-identical results for any thread count (`DEVELOPERS.md`: parallelism splits outputs, never a sum).
@Suite("Determinism", .serialized)
struct DeterminismTests {
  func run() -> (Network<Float>.Trace, Loss<Float>.Evaluation, Network<Float>.Gradients) {
    let (net, input) = TestData.twoLayer(Float.self, inputs: 40, hidden: 17, outputs: 5, seed: 51)
    let loss = NumSpikesLoss(labels: [3, 1], start: 0, stop: 20, trueCount: 6, falseCount: 1)
    return net.evaluate(input, loss: .numSpikes(loss))
  }

  @Test("forward, loss and backward: 1 thread, 3 threads and all threads give the same bits")
  func threadCounts() {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    var results: [[UInt32]] = []
    for threads in [1, 3, 0] {
      Parallel.maxThreads = threads
      let (trace, loss, grads) = run()
      var bits = trace.values.flatMap { $0.scalars.map(\.bitPattern) }
      bits += trace.potentials.compactMap { $0 }.flatMap { $0.scalars.map(\.bitPattern) }
      bits += grads.weights.compactMap { $0 }.flatMap { $0.map(\.bitPattern) } + grads.input.scalars.map(\.bitPattern)
      bits += [UInt32(truncatingIfNeeded: loss.loss.bitPattern), UInt32(truncatingIfNeeded: loss.loss.bitPattern >> 32)]
      results.append(bits)
    }
    #expect(results[0] == results[1])
    #expect(results[0] == results[2])
  }
}

extension DeterminismTests {
  @Test("every layer op, forward and backward: 1, 2 and 7 threads give the same bits")
  func layerOps() {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    let w = { (count: Int, seed: UInt64) in TestData.uniform(count, -1, 5, seed: seed).map { Float($0) } }
    let net = Network(neuron: Neuron<Float>(NeuronParameters(theta: 10, tauSr: 1, tauRho: 1), SimulationParameters(Ts: 1, tSample: 24)), layers: [
      .pspFilter(PSPFilter(count: 2, filters: w(8, 1))),
      .conv(Conv2D(outChannels: 3, inChannels: 4, kernelHeight: 3, kernelWidth: 3, padding: 1, weights: w(108, 2))), .spike, .psp,
      .delay(Delay(delays: [0.5, 1.5, 2.5], perChannel: true)), .dropout(Dropout(shape: Shape(n: 2, c: 3, h: 5, w: 5, t: 24), p: 0.2, seed: 3)),
      .pool(Pool(size: 2)), .spike, .psp,
      .convTranspose(ConvTranspose2D(inChannels: 3, outChannels: 2, kernelHeight: 2, kernelWidth: 2, stride: 2, weights: w(24, 4))),
      .unpool(Unpool(size: 2)), .delayShift(1), .spike, .psp,
      .dense(Dense(outputs: 3, inputs: 288, weights: w(864, 5))), .spike,
    ])
    var rng = SplitMix64(seed: 9)
    let input = Tensor<Float>(shape: Shape(n: 2, c: 2, h: 5, w: 5, t: 24), scalars: (0..<2 * 2 * 25 * 24).map { _ in rng.uniform() < 0.2 ? 1 : 0 })
    let loss = Loss<Float>.numSpikes(NumSpikesLoss(labels: [1, 2], start: 0, stop: 24, trueCount: 5, falseCount: 1))
    var results: [[UInt32]] = []
    for threads in [1, 2, 7] {
      Parallel.maxThreads = threads
      let (trace, evaluation, grads) = net.evaluate(input, loss: loss)
      var bits = trace.values.flatMap { $0.scalars.map(\.bitPattern) }
      bits += grads.weights.compactMap { $0 }.flatMap { $0.map(\.bitPattern) } + grads.input.scalars.map(\.bitPattern)
      bits.append(UInt32(truncatingIfNeeded: evaluation.loss.bitPattern))
      results.append(bits)
    }
    #expect(results[0].count > 1000)
    #expect(results[0] == results[1])
    #expect(results[0] == results[2])
  }

  @Test("weightGradients gives backward's weight gradients bit for bit, without the input gradient")
  func weightGradientsAlone() {
    let (net, input) = TestData.twoLayer(Float.self, inputs: 40, hidden: 17, outputs: 5, seed: 52)
    let loss = Loss<Float>.numSpikes(NumSpikesLoss(labels: [3, 1], start: 0, stop: 20, trueCount: 6, falseCount: 1))
    let (trace, evaluation, full) = net.evaluate(input, loss: loss, inputGradient: false)
    let alone = net.weightGradients(trace, outputGradient: evaluation.gradient)
    #expect(alone.count == full.weights.count)
    for (k, (a, b)) in zip(alone, full.weights).enumerated() {
      #expect(a?.map(\.bitPattern) == b?.map(\.bitPattern), "seed 52: op \(k)'s weight gradient differs")
    }
    #expect(alone.compactMap { $0 }.count == 2 && full.input.scalars.allSatisfy { $0 == 0 })
  }
}
