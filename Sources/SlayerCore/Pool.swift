/// Sum pooling ("aggregation", the paper's "2a") and its transpose, unpooling, with fixed weights
/// 1.1·ϑ per tap (`slayer.md` §5, §9.9, §13.1).
///
/// ```
/// u[b, c, oy, ox, n] = 1.1·ϑ · Σ_{ky, kx < k} a[b, c, oy·s − p + ky·d, ox·s − p + kx·d, n]
/// ```
/// per channel. Because ε peaks at 1, one input spike lifts u to about 1.1ϑ and the pooling neuron
/// fires. For an input extent H with H mod k ≠ 0, slayerPytorch appends (H mod k) zero rows (and
/// (W mod k) zero columns) before pooling. The weights are not learned: the pullback returns no
/// weight gradient.
///
/// PAPER-DIFF: slayerPytorch merges C and H into one axis and runs a single convolution, which
/// mixes adjacent channels when H + (H mod k) is not a multiple of k (possible for k > 2); the
/// oracle pools each channel separately, the evident intent (`slayer.md` §13.1). Whether the paper
/// fixes the weights at 1.1ϑ is not confirmed (§9.9).
public struct Pool: Hashable, Sendable, Codable {
  /// Kernel size k, stride (default k), zero padding, dilation.
  public var size: Int, stride: Int, padding: Int, dilation: Int

  /// A k×k window (`size`), stride k unless given, no padding, no dilation unless given.
  public init(size: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
    precondition(size > 0 && (stride ?? size) > 0 && padding >= 0 && dilation > 0,
                 "Pool: size \(size), stride \(String(describing: stride)), padding \(padding), dilation \(dilation)")
    self.size = size; self.stride = stride ?? size; self.padding = padding; self.dilation = dilation
  }

  /// The depthwise convolution with weight 1.1·ϑ that pooling is, for an input of shape `s`.
  public func convolution<S: SpikeScalar>(for s: Shape, theta: Double) -> Conv2D<S> {
    Conv2D(outChannels: s.c, inChannels: s.c, kernelHeight: size, kernelWidth: size, stride: stride,
           padding: padding, dilation: dilation, groups: s.c, extraBottom: s.h % size, extraRight: s.w % size,
           weights: [S](repeating: S(1.1 * theta), count: s.c * size * size))
  }

  /// u = 1.1ϑ·(window sums).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func forward<S>(_ a: Tensor<S>, theta: Double) -> Tensor<S> {
    convolution(for: a.shape, theta: theta).forward(a)
  }

  /// g_a = 1.1ϑ·(window sums)ᵀ g_u. Chain-rule line as ``Conv2D/pullback(_:input:inputGradient:)``;
  /// no weight gradient (frozen weights).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func pullback<S>(_ gU: Tensor<S>, inputShape: Shape, theta: Double) -> Tensor<S> {
    convolution(for: inputShape, theta: theta).transposed(gU, inputShape: inputShape)
  }
}

/// Unpooling: the transposed convolution of ``Pool`` with fixed weights 1.1·ϑ, per channel
/// (slayerPytorch's `unpool`; not in the paper). Output extent (H − 1)·s − 2p + d·(k − 1) + 1.
public struct Unpool: Hashable, Sendable, Codable {
  /// Kernel size k, stride (default k), zero padding, dilation.
  public var size: Int, stride: Int, padding: Int, dilation: Int

  /// A k×k window (`size`), stride k unless given, no padding, no dilation unless given.
  public init(size: Int, stride: Int? = nil, padding: Int = 0, dilation: Int = 1) {
    precondition(size > 0 && (stride ?? size) > 0 && padding >= 0 && dilation > 0, "Unpool: size \(size)")
    self.size = size; self.stride = stride ?? size; self.padding = padding; self.dilation = dilation
  }

  /// The depthwise transposed convolution with weight 1.1·ϑ, for `channels` channels.
  public func convolution<S: SpikeScalar>(channels: Int, theta: Double) -> ConvTranspose2D<S> {
    ConvTranspose2D(inChannels: channels, outChannels: channels, kernelHeight: size, kernelWidth: size, stride: stride,
                    padding: padding, dilation: dilation, groups: channels,
                    weights: [S](repeating: S(1.1 * theta), count: channels * size * size))
  }

  /// y = 1.1ϑ·(the transposed window sums of x): each input sample spread over its k×k window.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func forward<S>(_ x: Tensor<S>, theta: Double) -> Tensor<S> {
    convolution(channels: x.shape.c, theta: theta).forward(x)
  }

  /// g_x = 1.1ϑ·(window sums of g_y); no weight gradient.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public func pullback<S>(_ gY: Tensor<S>, theta: Double) -> Tensor<S> {
    let conv: ConvTranspose2D<S> = convolution(channels: gY.shape.c, theta: theta)
    return conv.adjointOf.forward(gY)
  }
}
