import SlayerCore
import Testing

/// ε and ν: sampling, truncation rule, peak values (`slayer.md` §2.1 test vectors).
@Suite("Kernels ε and ν")
struct KernelTests {
  @Test("ε, τ_sr = 1, Ts = 0.1: 77 samples, peak 1 at k = 10")
  func srmPoisson() {
    let eps = Kernels.srm(NeuronParameters(tauSr: 1), SimulationParameters(Ts: 0.1, tSample: 50))
    #expect(eps.count == 77)
    expectClose(Array(eps.prefix(12)),
                [0, 0.2460, 0.4451, 0.6041, 0.7288, 0.8244, 0.8951, 0.9449, 0.9771, 0.9947, 1.0000, 0.9953],
                atol: 5e-5, rtol: 0, "ε first values")
    #expect(eps[10] == 1)
  }

  @Test("ν, τ_ref = 1, Ts = 0.1, θ = 10: 110 samples at EPS 0.01, 160 at 1e-4, peak −20")
  func refractoryPoisson() {
    let sim = SimulationParameters(Ts: 0.1, tSample: 50)
    var p = NeuronParameters(theta: 10, tauRef: 1, scaleRef: 2)
    let nu = Kernels.refractory(p, sim)
    #expect(nu.count == 110)
    expectClose(Array(nu.prefix(6)), [0, -4.9192, -8.9022, -12.0825, -14.5770, -16.4872], atol: 5e-5, rtol: 0, "ν first values")
    #expect(nu[10] == -20)
    p.refKernelEpsilon = 1e-4
    let long = Kernels.refractory(p, sim)
    #expect(long.count == 160)
    #expect(Array(long.prefix(110)) == nu)
  }

  @Test("scale invariance: ε with τ_sr = 10, Ts = 1 equals ε with τ_sr = 1, Ts = 0.1")
  func scaleInvariance() {
    let a = Kernels.srm(NeuronParameters(tauSr: 10), SimulationParameters(Ts: 1, tSample: 300))
    let b = Kernels.srm(NeuronParameters(tauSr: 1), SimulationParameters(Ts: 0.1, tSample: 50))
    #expect(a.count == 77)
    expectClose(a, b, atol: 1e-12, rtol: 0, "ε(τ 10, Ts 1) vs ε(τ 1, Ts 0.1)")
  }

  @Test("ν, τ_ref = 1, Ts = 1: 11 samples at EPS 0.01, 16 at 1e-4; ε, τ_sr = 1, Ts = 1: 8 samples")
  func coarseGrid() {
    let sim = SimulationParameters(Ts: 1, tSample: 300)
    var p = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2)
    let nu = Kernels.refractory(p, sim)
    expectClose(nu, [0, -20, -14.7152, -8.1201, -3.9830, -1.8316, -0.8086, -0.3470, -0.1459, -0.0604, -0.0247],
                atol: 5e-5, rtol: 0, "ν at Ts 1")
    p.refKernelEpsilon = 1e-4
    #expect(Kernels.refractory(p, sim).count == 16)
    expectClose(Kernels.srm(p, sim), [0, 1, 0.7358, 0.4060, 0.1991, 0.0916, 0.0404, 0.0174],
                atol: 5e-5, rtol: 0, "ε at τ 1, Ts 1")
  }

  @Test("the kernel stops at tSample when it would run past the window")
  func clippedByWindow() {
    let eps = Kernels.srm(NeuronParameters(tauSr: 10), SimulationParameters(Ts: 1, tSample: 20))
    #expect(eps.count == 20)
  }

  @Test("T = int(tSample/Ts), with 50/0.1 giving 500")
  func steps() {
    #expect(SimulationParameters(Ts: 0.1, tSample: 50).steps == 500)
    #expect(SimulationParameters(Ts: 1, tSample: 300).steps == 300)
    #expect(SimulationParameters(Ts: 0.3, tSample: 1).steps == 3)
    #expect(SimulationParameters(Ts: 3, tSample: 100).steps == 33)
  }
}
