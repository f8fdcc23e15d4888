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

  @Test("Adam's four-lane loop (square roots two lanes at a time) gives every parameter the scalar formula's bits",
        arguments: [true, false])
  func adamLanesMatchScalarFormula(amsgrad: Bool) {
    // Double parameters show a difference in the last bit of any step of the formula; Float ones are
    // how training stores them.
    adamAgainstFormula(Double.self, amsgrad: amsgrad)
    adamAgainstFormula(Float.self, amsgrad: amsgrad)
  }

  /// Three Adam steps on 4099 parameters stored as `S`, against the formula of the type's
  /// documentation evaluated one element at a time in `Double`, bit for bit.
  func adamAgainstFormula<S: SpikeScalar>(_: S.Type, amsgrad: Bool) {
    // Whole four-lane blocks and a scalar tail, over both threads' chunks; gradients of many
    // scales, ±0 and subnormal, so that √v̂ meets zeros, subnormals and normal numbers.
    let count = 4099, lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8
    var rng = SplitMix64(seed: 92)
    var p: [[S]] = [(0..<count).map { _ in S(rng.uniform(-2, 2)) }]
    var expected = p[0]
    var m = [Double](repeating: 0, count: count), v = m, vMax = m
    var optimizer = Optimizer(.adam, learningRate: lr, amsgrad: amsgrad)
    var bias1Power = 1.0, bias2Power = 1.0
    for step in 1...3 {
      let g: [S] = (0..<count).map { k in
        switch k % 7 {
        case 0: return 0
        case 1: return -0.0
        case 2: return S.leastNonzeroMagnitude * S(k % 11)
        default: return S(rng.uniform(-1, 1) * Double(sign: .plus, exponent: k % 61 - 30, significand: 1))
        }
      }
      optimizer.update(&p, gradients: [g])
      bias1Power *= beta1
      bias2Power *= beta2
      let adamRate = lr / (1 - bias1Power), rootBias2 = (1 - bias2Power).squareRoot()
      for k in 0..<count {
        let gk = g[k].double
        m[k] = beta1 * m[k] + (1 - beta1) * gk
        v[k] = beta2 * v[k] + (1 - beta2) * gk * gk
        vMax[k] = max(vMax[k], v[k])
        let second = amsgrad ? vMax[k] : v[k]
        expected[k] = S(expected[k].double - adamRate * m[k] / (second.squareRoot() / rootBias2 + eps))
      }
      let differing = (0..<count).filter { p[0][$0] != expected[$0] || p[0][$0].sign != expected[$0].sign }
      #expect(differing.isEmpty, """
        \(S.self), AMSGrad \(amsgrad), step \(step), seed 92: \(differing.count) parameters differ from the formula, \
        first \(differing.first.map { "at \($0): \(p[0][$0]) vs \(expected[$0])" } ?? "-")
        """)
    }
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
