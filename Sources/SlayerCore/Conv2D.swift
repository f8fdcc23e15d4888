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
  public func forward(_ a: Tensor<Scalar>) -> Tensor<Scalar> { forward(a, events: nil) }

  /// ``forward(_:)`` with the input's events, when the caller already has them.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func forward(_ a: Tensor<Scalar>, events: RowEvents?) -> Tensor<Scalar> {
    let inS = a.shape, outS = outputShape(inS), t = inS.t
    let dense = Engine.isDense
    var u = dense ? [Scalar](repeating: 0, count: outS.count) : Tensor<Scalar>.uninitialized(outS.count)  // every row written
    let x = a.scalars, w = weights, g = self
    let cg = inChannels / groups, og = outChannels / groups
    // Event-driven: each tap adds its input row's non-zero samples only (RowEvents.Access.add);
    // every u[n] still receives its terms in the order (i, ky, kx), so the dense sum's bits.
    let rowEvents = dense ? nil : (events ?? RowEvents(x, rows: inS.rows, t: t))
    func run(_ access: RowEvents.Access<Scalar>?) {
      Parallel.forEachChunk(outS.rows, writing: &u, cost: cg * kernelHeight * kernelWidth * t) { rows, out in
        var buffer = [Double](repeating: 0, count: t)
        buffer.withUnsafeMutableBufferPointer { acc in
          for row in rows {
            let ox = row % outS.w, oy = (row / outS.w) % outS.h, o = (row / (outS.w * outS.h)) % outS.c, b = row / outS.neurons
            let group = o / og
            for n in 0..<t { acc[n] = 0 }
            for i in 0..<cg {
              let c = group * cg + i
              for ky in 0..<g.kernelHeight {
                let iy = oy * g.stride - g.padTop + ky * g.dilation
                if iy < 0 || iy >= inS.h { continue }
                for kx in 0..<g.kernelWidth {
                  let ix = ox * g.stride - g.padLeft + kx * g.dilation
                  if ix < 0 || ix >= inS.w { continue }
                  let wv = w[((o * cg + i) * g.kernelHeight + ky) * g.kernelWidth + kx].double
                  let r = ((b * inS.c + c) * inS.h + iy) * inS.w + ix
                  if let access {
                    if wv != 0 { access.add(wv, row: r, into: acc.baseAddress!) }
                  } else {
                    for n in 0..<t { acc[n] += wv * x[r * t + n].double }
                  }
                }
              }
            }
            Lanes.round(acc.baseAddress!, count: t, into: out.baseAddress! + row * t)
          }
        }
      }
    }
    if let rowEvents { rowEvents.withAccess(x, t: t) { run($0) } } else { run(nil) }
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

  /// The taps that reach input row `row` of `inS` (the input position (b, c, iy, ix)): for every
  /// output position (b, o, oy, ox) with oy·stride + ky·dilation − padTop = iy and the same in x,
  /// `body(output row, weight index)`, in increasing (o, ky, kx). This order is the order of the
  /// terms of ∂E/∂a[b, c, iy, ix] = Σ W[o, c, ky, kx]·g[b, o, oy, ox] in ``transposed(_:inputShape:)``.
  @inline(__always)
  func forEachTap(reaching row: Int, inputShape inS: Shape, outputShape outS: Shape, _ body: (Int, Int) -> Void) {
    let cg = inChannels / groups, og = outChannels / groups
    let ix = row % inS.w, iy = (row / inS.w) % inS.h, c = (row / (inS.w * inS.h)) % inS.c, b = row / inS.neurons
    let group = c / cg, i = c % cg
    for o in group * og..<(group + 1) * og {
      forEachLanding(iy: iy, ix: ix, outputShape: outS) { tap, position in
        body((b * outS.c + o) * outS.h * outS.w + position, (o * cg + i) * kernelHeight * kernelWidth + tap)
      }
    }
  }

  /// The taps (ky, kx) that land on input position (iy, ix), in increasing (ky, kx): for each,
  /// `body(ky·KW + kx, oy·OW + ox)` with oy·stride + ky·dilation − padTop = iy and the same in x,
  /// the output position inside `outS` it comes from.
  @inline(__always)
  func forEachLanding(iy: Int, ix: Int, outputShape outS: Shape, _ body: (Int, Int) -> Void) {
    for ky in 0..<kernelHeight {
      let ny = iy + padTop - ky * dilation
      if ny < 0 || ny % stride != 0 || ny / stride >= outS.h { continue }
      for kx in 0..<kernelWidth {
        let nx = ix + padLeft - kx * dilation
        if nx < 0 || nx % stride != 0 || nx / stride >= outS.w { continue }
        body(ky * kernelWidth + kx, (ny / stride) * outS.w + nx / stride)
      }
    }
  }

  /// Wᵀ ⋆ g: the transposed convolution, onto an input of shape `inS` (the adjoint of ``forward(_:)``).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func transposed(_ gU: Tensor<Scalar>, inputShape inS: Shape) -> Tensor<Scalar> {
    let outS = outputShape(inS), t = inS.t
    precondition(gU.shape == outS, "conv transpose: \(gU.shape) vs the output \(outS) of input \(inS)")
    let g = gU.scalars, w = weights, geo = self
    let og = outChannels / groups
    if Engine.isDense {
      var gA = [Scalar](repeating: 0, count: inS.count)
      Parallel.forEachChunk(inS.rows, writing: &gA, cost: og * kernelHeight * kernelWidth * t) { rows, out in
        var acc = [Double](repeating: 0, count: t)
        for row in rows {
          for n in 0..<t { acc[n] = 0 }
          geo.forEachTap(reaching: row, inputShape: inS, outputShape: outS) { r, k in
            let wv = w[k].double
            for n in 0..<t { acc[n] += wv * g[r * t + n].double }
          }
          for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
        }
      }
      return Tensor(shape: inS, scalars: gA)
    }
    if og * kernelHeight * kernelWidth >= 32 { return Tensor(shape: inS, scalars: transposedByChannel(g, inputShape: inS)) }
    // Few taps per input position (pooling): sixteen samples at once, acc[n ..< n + 16] +=
    // W·g[tap row, n ..< n + 16] over the taps that land on this input position, in increasing
    // (o, ky, kx), leaving out zero weights and all-zero gradient rows (their terms are ±0).
    var gA = Tensor<Scalar>.uninitialized(inS.count)  // every row written
    let gd = Lanes.paddedRows(g, rows: outS.rows, t: t, multiple: 2 * Lanes.width)
    Parallel.forEachChunk(inS.rows, writing: &gA, cost: og * kernelHeight * kernelWidth * t) { rows, out in
      var terms = [Lanes.Term]()
      terms.reserveCapacity(og * geo.kernelHeight * geo.kernelWidth)
      var buffer = [Double](repeating: 0, count: gd.stride)  // one row's sums
      buffer.withUnsafeMutableBufferPointer { sums in
        gd.values.withUnsafeBufferPointer { gv in
          for row in rows {
            terms.removeAll(keepingCapacity: true)
            geo.forEachTap(reaching: row, inputShape: inS, outputShape: outS) { r, k in
              let wv = w[k].double
              if wv != 0 && !gd.zeroRow[r] { terms.append(Lanes.Term(row: r * gd.stride, weight: wv)) }
            }
            terms.withUnsafeBufferPointer { Lanes.weightedSum(gv, $0, t: t, into: sums) }
            Lanes.round(sums.baseAddress!, count: t, into: out.baseAddress! + row * t)
          }
        }
      }
    }
    return Tensor(shape: inS, scalars: gA)
  }

  /// ``transposed(_:inputShape:)`` for many taps per input position, on the event-driven engine:
  /// for one sample and sixteen consecutive times at a time, the output channels o in increasing
  /// order, each adding its taps (ky, kx increasing) to every input position it reaches. Each input
  /// element still receives its terms in increasing (o, ky, kx), and the sixteen-sample block of g
  /// that a channel reads stays in the L1 cache while it is used 25 times per input channel.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func transposedByChannel(_ g: [Scalar], inputShape inS: Shape) -> [Scalar] {
    let outS = outputShape(inS), t = inS.t, lanes = 2 * Lanes.width, blocks = (t + lanes - 1) / lanes
    let w = weights, geo = self, cg = inChannels / groups, og = outChannels / groups
    let positions = outS.h * outS.w
    // For each input position, the taps that land on it, (ky, kx) increasing: the tap's offset in a
    // weight row (ky·KW + kx) and the output position it comes from (integer division is slow in
    // the inner loop, so this is worked out once).
    var landStart = [0], landTap: [Int] = [], landPosition: [Int] = []
    for iy in 0..<inS.h {
      for ix in 0..<inS.w {
        forEachLanding(iy: iy, ix: ix, outputShape: outS) { tap, position in
          landTap.append(tap)
          landPosition.append(position)
        }
        landStart.append(landTap.count)
      }
    }
    var gA = Tensor<Scalar>.uninitialized(inS.count)  // every element written
    Parallel.forEachChunk(inS.n * blocks, writing: &gA, cost: outS.neurons * cg * kernelHeight * kernelWidth * lanes) { items, out in
      var tile = [Double](repeating: 0, count: inS.neurons * lanes)  // ∂E/∂a[b, c, iy, ix, n0 + l] at row·16 + l
      var block = [Double](repeating: 0, count: positions * lanes)  // g[b, o, oy, ox, n0 + l] at (oy·W + ox)·16 + l
      tile.withUnsafeMutableBufferPointer { tile in
        block.withUnsafeMutableBufferPointer { block in
          g.withUnsafeBufferPointer { g in
            for item in items {
              let b = item / blocks, n0 = (item % blocks) * lanes, used = min(lanes, t - n0)
              for j in tile.indices { tile[j] = 0 }
              for o in 0..<geo.outChannels {
                let group = o / og
                var any = false
                for p in 0..<positions {
                  let base = ((b * outS.c + o) * positions + p) * t + n0
                  for l in 0..<used {
                    let v = g[base + l]
                    block[p * lanes + l] = v.double
                    any = any || v != 0
                  }
                }
                if !any { continue }  // every term of this channel is ±0
                let gb = UnsafeBufferPointer(block)
                for i in 0..<cg {
                  let c = group * cg + i, wRow = (o * cg + i) * geo.kernelHeight * geo.kernelWidth
                  for position in 0..<inS.h * inS.w {
                    let row = c * inS.h * inS.w + position
                    var acc0 = Lanes.load(UnsafeBufferPointer(tile), row * lanes)
                    var acc1 = Lanes.load(UnsafeBufferPointer(tile), row * lanes + Lanes.width)
                    for j in landStart[position]..<landStart[position + 1] {
                      let wv = w[wRow + landTap[j]].double
                      if wv == 0 { continue }
                      let p = landPosition[j]
                      acc0 += Lanes.load(gb, p * lanes) * wv
                      acc1 += Lanes.load(gb, p * lanes + Lanes.width) * wv
                    }
                    Lanes.store(acc0, tile, row * lanes)
                    Lanes.store(acc1, tile, row * lanes + Lanes.width)
                  }
                }
              }
              for row in 0..<inS.neurons {
                let base = (b * inS.neurons + row) * t + n0
                for l in 0..<used { out[base + l] = Scalar(tile[row * lanes + l]) }
              }
            }
          }
        }
      }
    }
    return gA
  }

  /// ∂E/∂W = Σ_b Σ_{oy, ox} Σ_n g_u[b, o, oy, ox, n]·a[b, c(i), iy, ix, n].
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func weightGradient(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>) -> [Scalar] {
    weightGradient(gU, input: a, events: nil)
  }

  /// ``weightGradient(_:input:)`` with the input's events, when the caller already has them.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func weightGradient(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>, events: RowEvents?) -> [Scalar] {
    let inS = a.shape, outS = outputShape(inS), t = inS.t
    precondition(gU.shape == outS, "conv weight gradient: \(gU.shape) vs output \(outS)")
    let g = gU.scalars, x = a.scalars, w = weights, geo = self
    let cg = inChannels / groups, og = outChannels / groups
    var gW = [Scalar](repeating: 0, count: w.count)
    let taps = cg * kernelHeight * kernelWidth
    if Engine.isDense {
      Parallel.forEachChunk(outChannels, writing: &gW, cost: taps * inS.n * outS.h * outS.w * t) { os, out in
        for o in os {
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
                  for n in 0..<t { acc += g[gBase + n].double * x[xBase + n].double }
                }
              }
            }
            out[o * taps + tap] = Scalar(acc)
          }
        }
      }
      return gW
    }
    // Event-driven over the input's non-zero samples. Each weight's sum runs over (b, oy, ox), then
    // n; visiting the positions (b, oy, ox) in the outer loop and every tap's weight inside keeps
    // that order for each weight, and reads each g row once for all taps.
    let xEvents = events ?? RowEvents(x, rows: inS.rows, t: t)
    xEvents.withAccess(x, t: t) { xs in
      g.withUnsafeBufferPointer { g in
        Parallel.forEachChunk(outChannels, writing: &gW, cost: taps * inS.n * outS.h * outS.w * 4) { os, out in
          var acc = [Double](repeating: 0, count: taps)
          // (i, ky, kx) of each tap, decoded once (integer division is slow in the inner loop).
          let tapI = (0..<taps).map { $0 / (geo.kernelWidth * geo.kernelHeight) }
          let tapY = (0..<taps).map { ($0 / geo.kernelWidth) % geo.kernelHeight * geo.dilation }
          let tapX = (0..<taps).map { $0 % geo.kernelWidth * geo.dilation }
          for o in os {
            let group = o / og
            for tap in 0..<taps { acc[tap] = 0 }
            for b in 0..<inS.n {
              for oy in 0..<outS.h {
                for ox in 0..<outS.w {
                  let gRow = g.baseAddress! + (((b * outS.c + o) * outS.h + oy) * outS.w + ox) * t
                  for tap in 0..<taps {
                    let iy = oy * geo.stride - geo.padTop + tapY[tap], ix = ox * geo.stride - geo.padLeft + tapX[tap]
                    if iy < 0 || iy >= inS.h || ix < 0 || ix >= inS.w { continue }
                    let rx = ((b * inS.c + group * cg + tapI[tap]) * inS.h + iy) * inS.w + ix
                    let lo = xs.start[rx], hi = xs.start[rx + 1]
                    if lo == hi { continue }
                    var sum = acc[tap]
                    for e in lo..<hi { sum += gRow[Int(xs.time[e])].double * xs.value[e] }
                    acc[tap] = sum
                  }
                }
              }
            }
            for tap in 0..<taps { out[o * taps + tap] = Scalar(acc[tap]) }
          }
        }
      }
    }
    return gW
  }
}
