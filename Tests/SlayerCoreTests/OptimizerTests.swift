import SlayerCore
import Testing

/// SGD, Adam (AMSGrad) and slayerPytorch's Nadam against steps computed by hand from their definitions.
@Suite("Optimizers")
struct OptimizerTests {
  @Test("Adam: first step moves each parameter by lr·g/(|g| + eps); AMSGrad keeps the max of v at step 2")
  func adam() {
    var adam = Optimizer(.adam, learningRate: 0.01, amsgrad: true)
    var p: [[Double]] = [[1, -1, 0.5]]
    adam.update(&p, gradients: [[2, -0.5, 0]])
    // m = 0.1·g, v = 0.001·g²; m/(1 − β₁) = g, √(v/(1 − β₂)) = |g|.
    expectClose(p[0], [1 - 0.01 * 2 / (2 + 1e-8), -1 + 0.01 * 0.5 / (0.5 + 1e-8), 0.5], atol: 0, rtol: 1e-15, "step 1")
    adam.update(&p, gradients: [[0, 0, 0]])
    // Step 2 with g = 0: m = 0.9·0.1·g₁; v = 0.999·0.001·g₁² < v̂ = 0.001·g₁², so AMSGrad uses v̂.
    let m = 0.9 * 0.1 * 2.0, vMax = 0.001 * 4.0
    let expected = (1 - 0.01 * 2 / (2 + 1e-8)) - 0.01 / (1 - 0.81) * m / (vMax.squareRoot() / (1 - 0.999 * 0.999).squareRoot() + 1e-8)
    expectClose([p[0][0]], [expected], atol: 0, rtol: 1e-14, "step 2, AMSGrad")
  }

  @Test("Adam without AMSGrad uses the decayed v at step 2")
  func adamPlain() {
    var adam = Optimizer(.adam, learningRate: 0.1)
    var p: [[Double]] = [[0]]
    adam.update(&p, gradients: [[1]])
    adam.update(&p, gradients: [[0]])
    let m = 0.09, v = 0.999 * 0.001
    let expected = -0.1 / (1 + 1e-8) - 0.1 / (1 - 0.81) * m / (v.squareRoot() / (1 - 0.999 * 0.999).squareRoot() + 1e-8)
    expectClose(p[0], [expected], atol: 0, rtol: 1e-14, "step 2")
  }

  @Test("Nadam (slayerPytorch): step = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)·(β₁·m + (1 − β₁)·g)/(√v + eps)")
  func nadam() {
    var nadam = Optimizer(.nadam, learningRate: 0.01)
    var p: [[Double]] = [[1]]
    nadam.update(&p, gradients: [[2]])
    // t = 1: m = 0.2, v = 0.004; look-ahead 0.9·0.2 + 0.1·2 = 0.38.
    let expected = 1 - 0.01 * (0.001).squareRoot() / 0.1 * 0.38 / ((0.004).squareRoot() + 1e-8)
    expectClose(p[0], [expected], atol: 0, rtol: 1e-14, "step 1")
  }

  @Test("SGD: p − lr·g; with momentum μ the buffer is μ·b + g")
  func sgd() {
    var plain = Optimizer(.sgd, learningRate: 0.5)
    var p: [[Float]] = [[1, 2]]
    plain.update(&p, gradients: [[0.5, -1]])
    #expect(p[0] == [0.75, 2.5])
    var heavy = Optimizer(.sgd, learningRate: 0.5, momentum: 0.9)
    var q: [[Double]] = [[0]]
    heavy.update(&q, gradients: [[1]])
    heavy.update(&q, gradients: [[1]])
    expectClose(q[0], [-0.5 - 0.5 * 1.9], atol: 0, rtol: 1e-15, "two momentum steps")
  }

  @Test("the first step, whose zero moments are not stored, gives the bits of a step from stored zeros",
        arguments: [(Optimizer.Rule.adam, true), (.adam, false), (.nadam, true), (.nadam, false), (.sgd, false)])
  func firstStepFromZeros(rule: Optimizer.Rule, amsgrad: Bool) {
    // 4099 values: whole four-lane blocks and a scalar tail, over both threads' chunks; some gradients 0 and −0.
    var rng = SplitMix64(seed: 91)
    let p0: [[Float]] = [(0..<4099).map { _ in Float(rng.uniform(-2, 2)) }, [0.5, -0.25, 3]]
    let g: [[Float]] = p0.map { $0.enumerated().map { $0.offset % 97 == 0 ? 0 : $0.offset % 89 == 0 ? -0.0 : Float(rng.uniform(-1, 1)) } }
    let settings = Optimizer(rule, learningRate: 0.01, amsgrad: amsgrad, momentum: rule == .sgd ? 0.9 : 0)
    var fresh = TrainingOptimizer(settings), stored = TrainingOptimizer(settings)
    stored.m = p0.map { [Double](repeating: 0, count: $0.count) }
    stored.v = stored.m
    stored.vMax = stored.m
    var a = p0, b = p0
    for step in 1...2 {
      fresh.update(&a, gradients: g)
      stored.update(&b, gradients: g)
      #expect(a.map { $0.map(\.bitPattern) } == b.map { $0.map(\.bitPattern) }, "\(rule), AMSGrad \(amsgrad), step \(step): parameters")
      for (name, x, y) in [("m", fresh.m, stored.m), ("v", fresh.v, stored.v), ("vMax", fresh.vMax, stored.vMax)] {
        #expect(x.map { $0.map(\.bitPattern) } == y.map { $0.map(\.bitPattern) }, "\(rule), AMSGrad \(amsgrad), step \(step): \(name)")
      }
    }
  }
}
