import SlayerCore
import Testing

/// Every layer's pullback against finite differences on the smooth twin, alone and in a small CNN
/// with delays (`slayer.md` §4.5, §10.6).
@Suite("Layers: gradient checks")
struct LayerGradientTests {
  static let sim = SimulationParameters(Ts: 0.5, tSample: 10)
  static let neuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1)

  /// Checks `layers` on a seeded input of `shape` against a teacher target (the twin's output with
  /// every learnable tensor perturbed by ±`perturbation`), for every learnable tensor and the input.
  /// A small perturbation keeps E small, so the rounding of E stays far below the gradients.
  static func check(_ name: String, _ layers: [Layer<Float>], input shape: Shape, seed: UInt64,
                    static staticInput: Bool = false, perturbation: Double = 0.2, tauRho: Double = 1, includeInput: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) {
    var rng = SplitMix64(seed: seed)
    let input = Tensor<Float>(shape: shape, scalars: (0..<shape.count).map { _ in
      staticInput ? Float(rng.uniform(0, 2)) : (rng.uniform() < 0.15 ? 2 : 0)
    })
    var p = neuron
    p.tauRho = tauRho
    let net = Network(neuron: Neuron<Float>(p, sim), layers: layers)
    var teacher = net.converted(to: Double.self, mode: .smooth)
    for k in teacher.weightedLayers { teacher.setWeights(of: k, teacher.weights(of: k)!.map { $0 * (1 + rng.uniform(-perturbation, perturbation)) }) }
    let target = teacher.forward(input.converted(to: Double.self)).output.converted(to: Float.self)
    let entries = GradientCheck.run(net, input: input, loss: .spikeTime(target: target), includeInput: includeInput)
    #expect(entries.count == net.weightedLayers.count + (includeInput ? 1 : 0), sourceLocation: sourceLocation)
    for e in entries {
      #expect(e.worstRelativeError <= 1e-6, "\(name), seed \(seed): \(e)", sourceLocation: sourceLocation)
      print("layer gradient check \(name): \(e)")
    }
  }

  static func weights(_ count: Int, _ lo: Double, _ hi: Double, seed: UInt64) -> [Float] {
    TestData.uniform(count, lo, hi, seed: seed).map { Float($0) }
  }

  @Test("conv: stride 1, padding 1") func conv() {
    Self.check("conv", [.psp, .conv(Conv2D(outChannels: 3, inChannels: 2, kernelHeight: 3, kernelWidth: 3, padding: 1,
                                           weights: Self.weights(54, -1, 5, seed: 1))), .spike],
               input: Shape(n: 1, c: 2, h: 4, w: 4, t: 20), seed: 71)
  }

  @Test("conv: stride 2, dilation 2, groups 2") func convGrouped() {
    Self.check("conv grouped", [.psp, .conv(Conv2D(outChannels: 4, inChannels: 4, kernelHeight: 2, kernelWidth: 3, stride: 2,
                                                   padding: 1, dilation: 2, groups: 2, weights: Self.weights(48, -1, 6, seed: 2))), .spike],
               input: Shape(n: 1, c: 4, h: 4, w: 5, t: 20), seed: 72)
  }

  @Test("pool 3 on 7×7 (one zero row and column appended: 2×2 out), then dense") func pool() {
    Self.check("pool", [.psp, .pool(Pool(size: 3)), .spike, .psp, .dense(Dense(outputs: 2, inputs: 8, weights: Self.weights(16, -1, 4, seed: 3))), .spike],
               input: Shape(n: 1, c: 2, h: 7, w: 7, t: 20), seed: 73)
  }

  @Test("convTranspose: stride 2, padding 1") func convTranspose() {
    Self.check("convTranspose", [.psp, .convTranspose(ConvTranspose2D(inChannels: 2, outChannels: 3, kernelHeight: 3, kernelWidth: 3,
                                                                      stride: 2, padding: 1, weights: Self.weights(54, -1, 6, seed: 4))), .spike],
               input: Shape(n: 1, c: 2, h: 3, w: 4, t: 20), seed: 74)
  }

  @Test("unpool 2, then dense") func unpool() {
    Self.check("unpool", [.psp, .unpool(Unpool(size: 2)), .spike, .psp, .dense(Dense(outputs: 2, inputs: 16, weights: Self.weights(32, -1, 4, seed: 5))), .spike],
               input: Shape(n: 1, c: 1, h: 2, w: 2, t: 20), seed: 75)
  }

  @Test("dropout with a fixed mask") func dropout() {
    Self.check("dropout", [.psp, .dropout(Dropout(shape: Shape(n: 2, c: 6, t: 20), p: 0.3, seed: 9)),
                           .dense(Dense(outputs: 3, inputs: 6, weights: Self.weights(18, -1, 8, seed: 6))), .spike],
               input: Shape(n: 2, c: 6, t: 20), seed: 76)
  }

  @Test("delay per neuron and per channel (interpolating twin), delayShift") func delays() {
    Self.check("delay per neuron", [.psp, .delay(Delay(delays: Self.weights(6, 0.1, 3, seed: 7), perChannel: false)),
                                    .dense(Dense(outputs: 3, inputs: 6, weights: Self.weights(18, -1, 8, seed: 8))), .spike],
               input: Shape(n: 2, c: 6, t: 20), seed: 77)
    Self.check("delay per channel", [.psp, .delay(Delay(delays: [0.7, 2.3], perChannel: true)),
                                     .dense(Dense(outputs: 3, inputs: 8, weights: Self.weights(24, -1, 6, seed: 9))), .spike],
               input: Shape(n: 1, c: 2, h: 2, w: 2, t: 20), seed: 78)
    Self.check("delayShift", [.psp, .delayShift(1.5), .dense(Dense(outputs: 2, inputs: 4, weights: Self.weights(8, -1, 8, seed: 10))), .spike],
               input: Shape(n: 1, c: 4, t: 20), seed: 79)
  }

  @Test("pspFilter (3 learnable filters) and pspLayer") func pspFilter() {
    Self.check("pspFilter", [.pspFilter(PSPFilter(count: 3, filters: Self.weights(15, 0, 1.5, seed: 11))),
                             .dense(Dense(outputs: 2, inputs: 12, weights: Self.weights(24, -1, 8, seed: 12))), .spike],
               input: Shape(n: 1, c: 4, t: 20), seed: 80)
    let neuron = Neuron<Float>(Self.neuron, Self.sim)
    Self.check("pspLayer", [.pspFilter(PSPFilter(pspLayer: neuron)),
                            .dense(Dense(outputs: 2, inputs: 4, weights: Self.weights(8, -1, 8, seed: 13))), .spike],
               input: Shape(n: 1, c: 4, t: 20), seed: 81)
  }

  @Test("replicateInTime of a static input") func replicate() {
    Self.check("replicateInTime", [.replicateInTime, .dense(Dense(outputs: 2, inputs: 3, weights: Self.weights(6, -1, 8, seed: 14))), .spike],
               input: Shape(n: 2, c: 3, t: 1), seed: 82, static: true)
  }

  /// A wider surrogate (tauRho 4) lets the error reach the first layer with gradients of a size
  /// finite differences in `Double` can resolve to 1e-6 (with tauRho 1 they fall to 1e-11). Every
  /// learnable tensor is checked; the input gradient, which falls to 1e-10 through three spike
  /// layers, is checked op by op above.
  @Test("a small CNN: conv → spike → delay → pool → spike → dense → spike") func cnnWithDelays() {
    Self.check("cnn", [
      .psp, .conv(Conv2D(outChannels: 3, inChannels: 2, kernelHeight: 3, kernelWidth: 3, weights: Self.weights(54, -0.5, 4, seed: 15))), .spike,
      .psp, .delay(Delay(delays: [0.4, 1.2, 2.6], perChannel: true)), .pool(Pool(size: 2)), .spike,
      .psp, .dense(Dense(outputs: 2, inputs: 12, weights: Self.weights(24, -1, 6, seed: 16))), .spike,
    ], input: Shape(n: 1, c: 2, h: 6, w: 6, t: 20), seed: 83, perturbation: 0.05, tauRho: 4, includeInput: false)
  }
}
