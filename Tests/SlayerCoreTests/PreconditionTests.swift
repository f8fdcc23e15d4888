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
}
