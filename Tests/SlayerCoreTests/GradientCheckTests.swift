import SlayerCore
import Testing

/// The whole backward chain against central differences on the smooth twin (`slayer.md` §10.6).
@Suite("Gradient check: backprop vs finite differences")
struct GradientCheckTests {
  @Test("2-layer dense network, spikeTime loss: every weight within 1e-6", arguments: [41 as UInt64, 42])
  func spikeTime(seed: UInt64) {
    let (net, input) = TestData.twoLayer(Float.self, seed: seed)
    let target = Self.teacherTarget(net, input: input, seed: seed)
    let entries = GradientCheck.run(net, input: input, loss: .spikeTime(target: target), includeInput: true)
    for entry in entries {
      #expect(entry.worstRelativeError <= 1e-6, "seed \(seed): \(entry)")
      print("gradient check spikeTime seed \(seed): \(entry)")
    }
    #expect(entries.count == 3)
  }

  @Test("2-layer dense network, numSpikes loss (partial region): every weight within 1e-6", arguments: [43 as UInt64, 44])
  func numSpikes(seed: UInt64) {
    let (net, input) = TestData.twoLayer(Float.self, seed: seed)
    // Target counts near the twin's own counts, so E is of order 1 (see teacherTarget).
    let twin = net.converted(to: Double.self, mode: .smooth)
    let out = twin.forward(input.converted(to: Double.self)).output
    let labels = [1, 0], region = 4..<34
    var sums = [0.0, 0.0]  // true, false
    for b in 0..<2 { for j in 0..<2 { for n in region { sums[j == labels[b] ? 0 : 1] += 0.5 * out[b, j, 0, 0, n] / 2 } } }
    let loss = NumSpikesLoss(labels: labels, start: 2, stop: 17, trueCount: sums[0] * 1.1, falseCount: sums[1] * 0.9)
    let entries = GradientCheck.run(net, input: input, loss: .numSpikes(loss), includeInput: true)
    for entry in entries {
      #expect(entry.worstRelativeError <= 1e-6, "seed \(seed): \(entry)")
      print("gradient check numSpikes seed \(seed): \(entry)")
    }
  }

  /// A target the twin can nearly reach: the twin's own output under weights perturbed by ±20 %,
  /// so E is of order 1 and the rounding of E stays far below the gradients being checked.
  static func teacherTarget(_ net: Network<Float>, input: Tensor<Float>, seed: UInt64) -> Tensor<Float> {
    var teacher = net.converted(to: Double.self, mode: .smooth)
    var rng = SplitMix64(seed: seed &+ 77)
    for k in teacher.weightedLayers {
      teacher.setWeights(of: k, teacher.weights(of: k)!.map { $0 * (1 + rng.uniform(-0.2, 0.2)) })
    }
    return teacher.forward(input.converted(to: Double.self)).output.converted(to: Float.self)
  }

  @Test("the check catches a wrong pullback: a 1 % error in one weight's gradient is reported")
  func detectsErrors() {
    let analytic = [1.0, -2.0, 3.0], numeric = [1.0, -2.02, 3.0]
    let entry = GradientCheck.compare(name: "w", analytic: analytic, numeric: numeric)
    #expect(entry.worstIndex == 1)
    #expect(entry.worstRelativeError > 9e-3)
  }
}
