import SlayerCore
import Testing

/// Adam and AMSGrad against steps computed by hand from PyTorch's definition.
@Suite("Optimizer: Adam")
struct AdamTests {
  @Test("first step moves each parameter by lr·sign(g) (up to eps); AMSGrad keeps the max of v")
  func steps() {
    var adam = Adam(learningRate: 0.01, amsgrad: true)
    var p: [[Double]] = [[1, -1, 0.5]]
    adam.update(&p, gradients: [[2, -0.5, 0]])
    // m = 0.1 g, v = 0.001 g²; m̂ = g, v̂ = g²: step = lr·g/(|g| + eps).
    expectClose(p[0], [1 - 0.01 * 2 / (2 + 1e-8), -1 + 0.01 * 0.5 / (0.5 + 1e-8), 0.5], atol: 0, rtol: 1e-15, "step 1")
    adam.update(&p, gradients: [[0, 0, 0]])
    // Step 2, g = 0: m = 0.09·g1, v = 0.999·0.001·g1², v̂max unchanged = v (v decayed is smaller, max keeps step-1 v).
    let g1 = 2.0, m = 0.9 * 0.1 * g1, vmax = 0.001 * g1 * g1
    let expected = (1 - 0.01 * 2 / (2 + 1e-8)) - 0.01 / (1 - 0.81) * m / (vmax.squareRoot() / (1 - 0.999 * 0.999).squareRoot() + 1e-8)
    expectClose([p[0][0]], [expected], atol: 0, rtol: 1e-14, "step 2, AMSGrad")
  }
}
