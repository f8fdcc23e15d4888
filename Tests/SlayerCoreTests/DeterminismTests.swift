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
