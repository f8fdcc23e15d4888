import SlayerCore
import Testing

/// The spike loop, the refractory response and the surrogate ρ (`slayer.md` §2.3, §4.2, §10.6).
@Suite("Spike function and surrogate")
struct SpikeTests {
  static let sim = SimulationParameters(Ts: 1, tSample: 30)
  static let p = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 0.5, scaleRho: 0.25)

  func potential(_ values: [Float]) -> Tensor<Float> {
    Tensor(shape: Shape(n: 1, c: 1, t: values.count), scalars: values)
  }

  @Test("a lone spike lowers the saved potential by ν[k] at n₀ + k; u ≥ θ fires at equality")
  func loneSpike() {
    let neuron = Neuron<Float>(Self.p, Self.sim)
    var u = [Float](repeating: 0, count: 30)
    u[5] = 10  // exactly θ: fires
    let out = Spike.forward(potential(u), neuron)
    #expect(out.spikes.scalars.indices.filter { out.spikes.scalars[$0] != 0 } == [5])
    #expect(out.spikes.scalars[5] == 1)  // 1/Ts with Ts = 1
    let nu = neuron.refKernel
    for k in 1..<nu.count { #expect(out.potential.scalars[5 + k] == nu[k]) }
    #expect(out.potential.scalars[5] == 10)
  }

  @Test("consecutive spikes while u stays above θ; ν of each adds up")
  func burst() {
    let neuron = Neuron<Double>(Self.p, Self.sim)
    let u = [Double](repeating: 0, count: 3) + [100, 100, 100] + [Double](repeating: 0, count: 24)
    let out = Spike.forward(Tensor(shape: Shape(n: 1, c: 1, t: 30), scalars: u), neuron)
    let nu = neuron.refKernel
    // 100 + ν[1] = 80 ≥ 10 fires again; 100 + ν[2] + ν[1] ≈ 65 fires again.
    #expect(Array(out.spikes.scalars[3..<6]) == [1, 1, 1])
    #expect(out.potential.scalars[5] == 100 + nu[2] + nu[1])
    #expect(out.potential.scalars[7] == nu[4] + nu[3] + nu[2])
  }

  @Test("a spike at the last sample; the refractory tail is cut at the window end")
  func windowEdges() {
    let neuron = Neuron<Float>(Self.p, Self.sim)
    var u = [Float](repeating: 0, count: 30)
    u[29] = 30; u[0] = 11; u[25] = 10.5
    let out = Spike.forward(potential(u), neuron)
    #expect(out.spikes.scalars.indices.filter { out.spikes.scalars[$0] != 0 } == [0, 25, 29])
    #expect(out.potential.scalars[29] == 30 + neuron.refKernel[4])
  }

  @Test("the smooth twin: F′(u) = ρ(u)/Ts, checked by central differences", arguments: [0.5, 1.0])
  func smoothTwin(Ts: Double) {
    let sim = SimulationParameters(Ts: Ts, tSample: 10)
    let neuron = Neuron<Double>(Self.p, sim, mode: .smooth)
    #expect(neuron.refKernel.isEmpty)
    let u = TestData.uniform(sim.steps, 0, 20, seed: 7)
    let h = 1e-6
    let plus = Spike.forward(Tensor(shape: Shape(n: 1, c: 1, t: u.count), scalars: u.map { $0 + h }), neuron).spikes.scalars
    let minus = Spike.forward(Tensor(shape: Shape(n: 1, c: 1, t: u.count), scalars: u.map { $0 - h }), neuron).spikes.scalars
    let numeric = zip(plus, minus).map { ($0 - $1) / (2 * h) }
    let ones = Tensor(shape: Shape(n: 1, c: 1, t: u.count), scalars: [Double](repeating: 1, count: u.count))
    let analytic = Spike.pullback(ones, potential: Tensor(shape: ones.shape, scalars: u), neuron).scalars
    expectClose(analytic, numeric, atol: 1e-9, rtol: 1e-7, "F′ vs ρ/Ts", seed: 7)
    expectClose(analytic, u.map { Spike.rho($0, Self.p) / Ts }, atol: 0, rtol: 1e-15, "pullback vs ρ/Ts")
  }

  @Test("ρ = scaleRho/(tauRho·θ)·exp(−|u − θ|/(tauRho·θ)) on the post-refractory potential")
  func surrogate() {
    #expect(Spike.rho(10, Self.p) == 0.25 / 5)
    expectClose([Spike.rho(13, Self.p), Spike.rho(7, Self.p)], [0.05 * Elementary.exp(-0.6), 0.05 * Elementary.exp(-0.6)],
                atol: 0, rtol: 1e-15, "ρ at θ ± 3")
    let neuron = Neuron<Float>(Self.p, Self.sim)
    var u = [Float](repeating: 0, count: 30)
    u[4] = 15
    let out = Spike.forward(potential(u), neuron)
    let g = Spike.pullback(potential([Float](repeating: 1, count: 30)), potential: out.potential, neuron)
    // Sample 6 sees ν[2] from the spike at 4: ρ must use that post-refractory value, not 0.
    #expect(g.scalars[6] == Float(Spike.rho(Double(neuron.refKernel[2]), Self.p)))
  }
}
