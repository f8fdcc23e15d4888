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
}
