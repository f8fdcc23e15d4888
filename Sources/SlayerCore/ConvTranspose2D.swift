/// A transposed 2-D convolution per time sample, slayerPytorch's `convTranspose` (not in the paper;
/// `slayer.md` §5).
///
/// ```
/// y[b, o, oy, ox, n] = Σ_{i, ky, kx : oy = iy·stride − padding + ky·dilation, ox likewise}
///                      W[i, o', ky, kx] · x[b, i, iy, ix, n]
/// ```
/// with PyTorch's weight layout `(inChannels, outChannels/groups, kH, kW)` and output extent
/// `(H − 1)·stride − 2·padding + dilation·(k − 1) + 1`. It is exactly the adjoint of the
/// ``Conv2D`` that maps the output back to the input with the same weights, and is computed as such.
public struct ConvTranspose2D<Scalar: SpikeScalar>: Equatable, Sendable {
  /// The convolution whose adjoint this is (its `outChannels` are this layer's inputs).
  public var adjointOf: Conv2D<Scalar>

  /// A transposed convolution with PyTorch's arguments; `weights` in `(in, out/groups, kH, kW)` order.
  public init(inChannels: Int, outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
              padding: Int = 0, dilation: Int = 1, groups: Int = 1, weights: [Scalar]) {
    adjointOf = Conv2D(outChannels: inChannels, inChannels: outChannels, kernelHeight: kernelHeight,
                       kernelWidth: kernelWidth, stride: stride, padding: padding, dilation: dilation,
                       groups: groups, weights: weights)
  }

  /// W, `(inChannels, outChannels/groups, kH, kW)`.
  public var weights: [Scalar] {
    get { adjointOf.weights }
    set { adjointOf.weights = newValue }
  }

  /// The output shape for an input shape.
  public func outputShape(_ s: Shape) -> Shape {
    let c = adjointOf
    precondition(s.c == c.outChannels, "convTranspose: input \(s) has \(s.c) channels, the layer expects \(c.outChannels)")
    return Shape(n: s.n, c: c.inChannels,
                 h: (s.h - 1) * c.stride - 2 * c.padTop + c.dilation * (c.kernelHeight - 1) + 1,
                 w: (s.w - 1) * c.stride - 2 * c.padLeft + c.dilation * (c.kernelWidth - 1) + 1, t: s.t)
  }

  /// y = Wᵀ ⋆ x per time sample.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    adjointOf.transposed(x, inputShape: outputShape(x.shape))
  }

  /// The pullback: g_x = W ⋆ g_y (the forward convolution) and ∂E/∂W = Σ x ⊗ g_y.
  ///
  /// Chain-rule lines: y = Aᵀx, so ∂E/∂x = A·∂E/∂y, and ⟨∂E/∂y, Aᵀx⟩ = ⟨A·∂E/∂y, x⟩ gives the weight
  /// gradient as the convolution's weight gradient with the roles of g and input exchanged. Exact.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pullback(_ gY: Tensor<Scalar>, input x: Tensor<Scalar>, inputGradient: Bool = true)
    -> (input: Tensor<Scalar>, weights: [Scalar])
  {
    precondition(gY.shape == outputShape(x.shape), "convTranspose pullback: gradient \(gY.shape) vs output \(outputShape(x.shape))")
    let gX = inputGradient ? adjointOf.forward(gY) : Tensor(zeros: x.shape)
    return (gX, adjointOf.weightGradient(x, input: gY))
  }
}
