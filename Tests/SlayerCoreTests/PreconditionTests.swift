import SlayerCore
import Testing

/// Programmer errors stop the process with both shapes in the message.
@Suite("Preconditions")
struct PreconditionTests {
  @Test("dense weights that do not fill (out, in) stop the process")
  func denseShape() async {
    await #expect(processExitsWith: .failure) {
      _ = Dense<Float>(outputs: 2, inputs: 3, weights: [1, 2, 3])
    }
  }

  @Test("a psp on a tensor whose T differs from the simulation's stops the process")
  func pspTime() async {
    await #expect(processExitsWith: .failure) {
      let neuron = Neuron<Float>(NeuronParameters(), SimulationParameters(Ts: 1, tSample: 10))
      _ = PSP.forward(Tensor<Float>(zeros: Shape(n: 1, c: 1, t: 11)), neuron)
    }
  }

  @Test("spike offsets that repeat, descend or fall outside the sample stop the process")
  func spikeOffsets() async {
    // Each exit test runs alone in a child process, so the offsets are written out in each.
    await #expect(processExitsWith: .failure) {
      _ = Tensor<Float>(spikesAt: [[], [3, 3]], sampleShape: Shape(n: 1, c: 2, t: 12), height: 1)
    }
    await #expect(processExitsWith: .failure) {
      _ = Tensor<Float>(spikesAt: [[], [5, 2]], sampleShape: Shape(n: 1, c: 2, t: 12), height: 1)
    }
    await #expect(processExitsWith: .failure) {
      _ = Tensor<Float>(spikesAt: [[-1, 4]], sampleShape: Shape(n: 1, c: 2, t: 12), height: 1)
    }
    await #expect(processExitsWith: .failure) {
      _ = Tensor<Float>(spikesAt: [[0, 24]], sampleShape: Shape(n: 1, c: 2, t: 12), height: 1)
    }
  }
}
