import SlayerCore
import Testing

/// Axonal delays: the trunc shift, the float32 quotient, both delay gradients, and learning
/// (`slayer.md` §2.5, §4.5, §9.6, §13.3).
@Suite("Delays")
struct DelayTests {
  static let neuron = Neuron<Float>(NeuronParameters(theta: 10, tauSr: 4, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1),
                                    SimulationParameters(Ts: 1, tSample: 40))

  @Test("trunc(d/Ts) in float32: 1.3/0.1 → 12, 2.1/0.1 → 20, 2.5 → 2, −1.5 → −1")
  func samples() {
    #expect(Delay<Float>.samples(1.3, Ts: 0.1) == 12)
    #expect(Delay<Float>.samples(2.1, Ts: 0.1) == 20)
    #expect(Delay<Float>.samples(2.5, Ts: 1) == 2)
    #expect(Delay<Float>.samples(-1.5, Ts: 1) == -1)
    #expect(Delay<Float>.samples(0.999, Ts: 1) == 0)
  }

  @Test("forward shifts by D, pushing samples out of the window; pullback shifts back")
  func shift() {
    var x = Tensor<Float>(zeros: Shape(n: 1, c: 2, t: 40))
    x.scalars[3] = 1; x.scalars[38] = 1; x.scalars[40 + 5] = 1
    let delay = Delay<Float>(delays: [2.7, 0], perChannel: false)
    let y = delay.forward(x, Self.neuron)
    #expect(y.scalars.indices.filter { y.scalars[$0] != 0 } == [5, 45])  // 38 + 2 = 40 leaves the window
    let g = Tensor<Float>(shape: x.shape, scalars: (0..<80).map { Float($0) })
    let pulled = delay.pullback(g, input: x, output: y, Self.neuron)
    #expect(pulled.input.scalars[3] == 5)
    #expect(pulled.input.scalars[38] == 0)
    #expect(pulled.input.scalars[45] == 45)
  }

  @Test("delay gradient: slayerPytorch's −Σ g·(y[n] − y[n−1]) and the exact one, which is that over Ts")
  func gradients() {
    let sim = SimulationParameters(Ts: 0.5, tSample: 10)
    let neuron = Neuron<Double>(NeuronParameters(), sim)
    let x = Tensor<Double>(shape: Shape(n: 2, c: 1, t: 20), scalars: TestData.uniform(40, 0, 1, seed: 91))
    let g = Tensor<Double>(shape: x.shape, scalars: TestData.uniform(40, -1, 1, seed: 92))
    var delay = Delay<Double>(delays: [1.2], perChannel: false)
    let y = delay.forward(x, neuron)
    var expected = 0.0
    for b in 0..<2 { for n in 0..<20 { expected -= g.scalars[b * 20 + n] * (y.scalars[b * 20 + n] - (n > 0 ? y.scalars[b * 20 + n - 1] : 0)) } }
    let code = delay.pullback(g, input: x, output: y, neuron).delays[0]
    expectClose([code], [expected], atol: 1e-14, rtol: 1e-14, "slayerPytorch delay gradient")
    delay.gradient = .exact
    expectClose([delay.pullback(g, input: x, output: y, neuron).delays[0]], [expected / 0.5], atol: 1e-14, rtol: 1e-14, "exact")
  }

  @Test("delay learning: training only the delay moves the output spike onto its target")
  func learning() {
    // One input spike at 5 ms → psp → delay → dense (fixed) → spike. The target is 9 ms later.
    var input = Tensor<Float>(zeros: Shape(n: 1, c: 1, t: 40))
    input.scalars[5] = 1
    var net = Network(neuron: Self.neuron, layers: [
      .psp, .delay(Delay(delays: [1.0], perChannel: false)), .dense(Dense(outputs: 1, inputs: 1, weights: [14])), .spike,
    ])
    let start = net.forward(input).output.scalars.firstIndex { $0 != 0 }!
    let target = RandomSpikes.train(times: [Double(start + 9)], Ts: 1, steps: 40) as Tensor<Float>
    var optimizer = Optimizer(.adam, learningRate: 0.3)
    var epochs = 0
    while net.forward(input).output.scalars != target.scalars && epochs < 300 {
      let (_, _, grads) = net.evaluate(input, loss: .spikeTime(target: target), inputGradient: false)
      var p = [net.weights(of: 1)!]
      optimizer.update(&p, gradients: [grads.weights[1]!])
      net.setWeights(of: 1, p[0])
      net.clampDelays()
      epochs += 1
    }
    let out = net.forward(input).output.scalars
    #expect(out == target.scalars, "after \(epochs) epochs the output spikes at \(out.indices.filter { out[$0] != 0 }), target \(start + 9)")
    #expect(net.weights(of: 2)! == [14], "only the delay may change")
    print("delay learning: output moved from \(start) to \(start + 9) ms in \(epochs) epochs, delay \(net.weights(of: 1)![0]) ms")
  }
}
