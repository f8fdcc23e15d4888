/// A 2-D convolution synapse applied independently at every time sample (`slayer.md` §2.4, §4.5, §5),
/// slayerPytorch's `conv` (a Conv3d with time kernel 1, no bias).
///
/// ```
/// continuous   u_o(x, y, t) = Σ_i Σ_{ky, kx} W[o, i, ky, kx]·a_i(x', y', t)
/// discrete     u[b, o, oy, ox, n] = Σ_{i ∈ group(o)} Σ_{ky, kx} W[o, i, ky, kx] · a[b, g·Cg + i, iy, ix, n]
///              iy = oy·stride − padTop + ky·dilation,   ix = ox·stride − padLeft + kx·dilation
/// ```
/// Taps outside the input read zero. The output extent is
/// `(H + padTop + padBottom − dilation·(k − 1) − 1) / stride + 1` (floor), and likewise for W.
/// Each output sums in `Double` in the weights' C order (i, ky, kx increasing) and rounds once.
public struct Conv2D<Scalar: SpikeScalar>: Equatable, Sendable {
  /// Output and input channels.
  public let outChannels: Int, inChannels: Int
  /// Kernel height and width.
  public let kernelHeight: Int, kernelWidth: Int
  /// Stride, dilation (both axes), channel groups.
  public let stride: Int, dilation: Int, groups: Int
  /// Zero padding before (top, left) and after (bottom, right) the input.
  public let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int
  /// W, shape `(outChannels, inChannels/groups, kernelHeight, kernelWidth)`, C order.
  public var weights: [Scalar]

  /// A convolution with PyTorch's arguments (symmetric padding) plus optional extra padding after
  /// the input, as slayerPytorch's pool adds for odd sizes.
  public init(outChannels: Int, inChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int = 1,
              padding: Int = 0, dilation: Int = 1, groups: Int = 1, extraBottom: Int = 0, extraRight: Int = 0,
              weights: [Scalar]) {
    precondition(groups > 0 && inChannels % groups == 0 && outChannels % groups == 0,
                 "Conv2D: \(inChannels) input and \(outChannels) output channels are not divisible by \(groups) groups")
    precondition(stride > 0 && dilation > 0 && padding >= 0 && kernelHeight > 0 && kernelWidth > 0,
                 "Conv2D: stride \(stride), dilation \(dilation), padding \(padding), kernel \(kernelHeight)x\(kernelWidth)")
    precondition(weights.count == outChannels * (inChannels / groups) * kernelHeight * kernelWidth,
                 "Conv2D: \(weights.count) weights do not fill (\(outChannels), \(inChannels / groups), \(kernelHeight), \(kernelWidth))")
    self.outChannels = outChannels; self.inChannels = inChannels
    self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
    self.stride = stride; self.dilation = dilation; self.groups = groups
    self.padTop = padding; self.padLeft = padding
    self.padBottom = padding + extraBottom; self.padRight = padding + extraRight
    self.weights = weights
  }

  /// The output shape for an input shape.
  public func outputShape(_ s: Shape) -> Shape {
    precondition(s.c == inChannels, "conv: input \(s) has \(s.c) channels, the layer expects \(inChannels)")
    let h = (s.h + padTop + padBottom - dilation * (kernelHeight - 1) - 1) / stride + 1
    let w = (s.w + padLeft + padRight - dilation * (kernelWidth - 1) - 1) / stride + 1
    precondition(h > 0 && w > 0, "conv: input \(s) is smaller than the kernel \(kernelHeight)x\(kernelWidth)")
    return Shape(n: s.n, c: outChannels, h: h, w: w, t: s.t)
  }

  /// u = W ⋆ a at every time sample.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ a: Tensor<Scalar>) -> Tensor<Scalar> {
    let inS = a.shape, outS = outputShape(inS), t = inS.t
    var u = [Scalar](repeating: 0, count: outS.count)
    let x = a.scalars, w = weights, g = self
    let cg = inChannels / groups, og = outChannels / groups
    Parallel.forEach(outS.rows, writing: &u) { row, out in
      let ox = row % outS.w, oy = (row / outS.w) % outS.h, o = (row / (outS.w * outS.h)) % outS.c, b = row / outS.neurons
      let group = o / og
      var acc = [Double](repeating: 0, count: t)
      for i in 0..<cg {
        let c = group * cg + i
        for ky in 0..<g.kernelHeight {
          let iy = oy * g.stride - g.padTop + ky * g.dilation
          if iy < 0 || iy >= inS.h { continue }
          for kx in 0..<g.kernelWidth {
            let ix = ox * g.stride - g.padLeft + kx * g.dilation
            if ix < 0 || ix >= inS.w { continue }
            let wv = w[((o * cg + i) * g.kernelHeight + ky) * g.kernelWidth + kx].double
            if wv == 0 { continue }
            let base = (((b * inS.c + c) * inS.h + iy) * inS.w + ix) * t
            for n in 0..<t {
              let v = x[base + n]
              if v != 0 { acc[n] += wv * v.double }
            }
          }
        }
      }
      for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
    }
    return Tensor(shape: outS, scalars: u)
  }

  /// The pullback: g_a = Wᵀ ⋆ g_u (``transposed(_:inputShape:)``) and g_W (``weightGradient(_:input:)``).
  ///
  /// Chain-rule lines: ∂E/∂a[b, c, y, x, n] = Σ over the (o, ky, kx) whose tap lands on (y, x) of
  /// W[o, i, ky, kx]·∂E/∂u[b, o, oy, ox, n] (sum in increasing o, ky, kx), and
  /// ∂E/∂W[o, i, ky, kx] = Σ_b Σ_{oy, ox} Σ_n ∂E/∂u[b, o, oy, ox, n]·a[b, c(i), iy, ix, n]
  /// (sum over b, oy, ox, n, increasing). Exact: drops nothing.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pullback(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>, inputGradient: Bool = true)
    -> (input: Tensor<Scalar>, weights: [Scalar])
  {
    precondition(gU.shape == outputShape(a.shape), "conv pullback: gradient \(gU.shape) vs output \(outputShape(a.shape))")
    let gA = inputGradient ? transposed(gU, inputShape: a.shape) : Tensor(zeros: a.shape)
    return (gA, weightGradient(gU, input: a))
  }

  /// Wᵀ ⋆ g: the transposed convolution, onto an input of shape `inS` (the adjoint of ``forward(_:)``).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func transposed(_ gU: Tensor<Scalar>, inputShape inS: Shape) -> Tensor<Scalar> {
    let outS = outputShape(inS), t = inS.t
    precondition(gU.shape == outS, "conv transpose: \(gU.shape) vs the output \(outS) of input \(inS)")
    let g = gU.scalars, w = weights, geo = self
    let cg = inChannels / groups, og = outChannels / groups
    var gA = [Scalar](repeating: 0, count: inS.count)
    Parallel.forEach(inS.rows, writing: &gA) { row, out in
      let ix = row % inS.w, iy = (row / inS.w) % inS.h, c = (row / (inS.w * inS.h)) % inS.c, b = row / inS.neurons
      let group = c / cg, i = c % cg
      var acc = [Double](repeating: 0, count: t)
      for o in group * og..<(group + 1) * og {
        for ky in 0..<geo.kernelHeight {
          let ny = iy + geo.padTop - ky * geo.dilation
          if ny < 0 || ny % geo.stride != 0 || ny / geo.stride >= outS.h { continue }
          for kx in 0..<geo.kernelWidth {
            let nx = ix + geo.padLeft - kx * geo.dilation
            if nx < 0 || nx % geo.stride != 0 || nx / geo.stride >= outS.w { continue }
            let wv = w[((o * cg + i) * geo.kernelHeight + ky) * geo.kernelWidth + kx].double
            if wv == 0 { continue }
            let base = (((b * outS.c + o) * outS.h + ny / geo.stride) * outS.w + nx / geo.stride) * t
            for n in 0..<t {
              let v = g[base + n]
              if v != 0 { acc[n] += wv * v.double }
            }
          }
        }
      }
      for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
    }
    return Tensor(shape: inS, scalars: gA)
  }

  /// ∂E/∂W = Σ_b Σ_{oy, ox} Σ_n g_u[b, o, oy, ox, n]·a[b, c(i), iy, ix, n].
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func weightGradient(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>) -> [Scalar] {
    let inS = a.shape, outS = outputShape(inS), t = inS.t
    precondition(gU.shape == outS, "conv weight gradient: \(gU.shape) vs output \(outS)")
    let g = gU.scalars, x = a.scalars, w = weights, geo = self
    let cg = inChannels / groups, og = outChannels / groups
    var gW = [Scalar](repeating: 0, count: w.count)
    let taps = cg * kernelHeight * kernelWidth
    Parallel.forEach(outChannels, writing: &gW) { o, out in
      let group = o / og
      for tap in 0..<taps {
        let kx = tap % geo.kernelWidth, ky = (tap / geo.kernelWidth) % geo.kernelHeight, i = tap / (geo.kernelWidth * geo.kernelHeight)
        let c = group * cg + i
        var acc = 0.0
        for b in 0..<inS.n {
          for oy in 0..<outS.h {
            let iy = oy * geo.stride - geo.padTop + ky * geo.dilation
            if iy < 0 || iy >= inS.h { continue }
            for ox in 0..<outS.w {
              let ix = ox * geo.stride - geo.padLeft + kx * geo.dilation
              if ix < 0 || ix >= inS.w { continue }
              let gBase = (((b * outS.c + o) * outS.h + oy) * outS.w + ox) * t
              let xBase = (((b * inS.c + c) * inS.h + iy) * inS.w + ix) * t
              for n in 0..<t {
                let v = g[gBase + n]
                if v != 0 { acc += v.double * x[xBase + n].double }
              }
            }
          }
        }
        out[o * taps + tap] = Scalar(acc)
      }
    }
    return gW
  }
}
