/// A fully connected synapse layer, applied independently at every time sample (`slayer.md` §2.4, §4.5).
///
/// ```
/// continuous   u_o(t) = Σ_i W[o, i]·a_i(t)
/// discrete     u[b, o, n] = Σ_i W[o, i]·a[b, i, n]      i over C·H·W of the input, in C order
/// ```
/// The input `(N, C, H, W, T)` is read as `(N, C·H·W, 1, 1, T)`; the output is `(N, out, 1, 1, T)`.
/// Each output sums in `Double` in increasing i and rounds once. There is no bias (slayerPytorch's
/// Conv3d has none).
public struct Dense<Scalar: SpikeScalar>: Equatable, Sendable {
  /// Output features.
  public let outputs: Int
  /// Input features C·H·W.
  public let inputs: Int
  /// W, shape `(outputs, inputs)`, row-major.
  public var weights: [Scalar]

  /// A dense layer with the given weights, `(outputs, inputs)` row-major.
  public init(outputs: Int, inputs: Int, weights: [Scalar]) {
    precondition(weights.count == outputs * inputs,
                 "Dense: \(weights.count) weights do not fill (\(outputs), \(inputs))")
    self.outputs = outputs; self.inputs = inputs; self.weights = weights
  }

  /// u = W·a at every (batch, time).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func forward(_ a: Tensor<Scalar>) -> Tensor<Scalar> { forward(a, events: nil) }

  /// ``forward(_:)`` with the input's events, when the caller already has them.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func forward(_ a: Tensor<Scalar>, events rowEvents: RowEvents?) -> Tensor<Scalar> {
    precondition(a.shape.neurons == inputs, "dense: input \(a.shape) has \(a.shape.neurons) features, W is (\(outputs), \(inputs))")
    let t = a.shape.t, batch = a.shape.n
    let shape = Shape(n: batch, c: outputs, t: t)
    let w = weights, inputs = inputs, outputs = outputs
    if Engine.isDense || (rowEvents == nil && prefersDenseLoops(a)) {
      // The plain loops: every term, Σ_i in increasing i for eight samples at a time.
      var u = [Scalar](repeating: 0, count: shape.count)
      a.scalars.withUnsafeBufferPointer { x in
        nonisolated(unsafe) let x = x
        Parallel.forEachChunk(batch * outputs, writing: &u, cost: inputs * t) { rows, out in
          var buffer = [Double](repeating: 0, count: t)
          buffer.withUnsafeMutableBufferPointer { acc in
            for row in rows {
              let b = row / outputs, o = row % outputs
              for n in 0..<t { acc[n] = 0 }
              for i in 0..<inputs {
                let wi = w[o * inputs + i].double, source = x.baseAddress! + (b * inputs + i) * t
                for n in 0..<t { acc[n] += wi * source[n].double }
              }
              for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
            }
          }
        }
      }
      return Tensor(shape: shape, scalars: u)
    }
    // Event-driven: for each sample b and time n, the inputs active at n (ascending i), and for a
    // block of eight outputs at once Σ_i W[o, i]·a[b, i, n] over them: each output still receives
    // its non-zero terms in increasing i, so the bits equal the dense sum's.
    let events = (rowEvents ?? RowEvents(a.scalars, rows: batch * inputs, t: t)).byTime(rowsPerBlock: inputs, t: t)
    return forward(a, byTime: events)
  }

  /// ``forward(_:)`` on the event-driven engine, with the input's events grouped by time.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func forward(_ a: Tensor<Scalar>, byTime events: RowEvents.ByTime) -> Tensor<Scalar> {
    let t = a.shape.t, batch = a.shape.n
    let shape = Shape(n: batch, c: outputs, t: t)
    var u = Tensor<Scalar>.uninitialized(shape.count)  // every element written
    let w = weights, inputs = inputs, outputs = outputs
    let width = Lanes.width
    // Spikes of height 1 (Ts = 1 ms) multiply W by exactly 1: that product is W itself, so it is
    // left out (same bits, one multiplication fewer per term).
    let unitValues = events.value.allSatisfy { $0 == 1 }
    // Work items are (block of eight outputs, slice of the (b, n) groups): outputs at different
    // times are independent, so a layer with few blocks (the demo's 25 outputs) still fills the
    // threads. Each item converts its block of W, sums its groups and writes its own outputs.
    let blocks = Lanes.blocks(outputs), groups = batch * t
    let slices = Self.slices(blocks: blocks, upTo: groups)
    Parallel.forEachChunk(blocks * slices, writing: &u, cost: width * (events.row.count + inputs) / slices) { items, out in
      // W[o0 + j, i] at i·8 + j, and u[b, o0 + j, n] at n·8 + j: one cache line per i or n.
      Lanes.withAlignedScratch(inputs * width) { wb in
      Lanes.withAlignedScratch(t * width) { tb in
      w.withUnsafeBufferPointer { w in
      events.groupStart.withUnsafeBufferPointer { gs in
      events.row.withUnsafeBufferPointer { rowOf in
      events.value.withUnsafeBufferPointer { value in
        let wr = UnsafeBufferPointer(wb)
        var converted = -1
        for item in items {
          let block = item / slices, slice = item % slices
          let o0 = block * width, lanes = min(width, outputs - o0)
          if block != converted {
            Lanes.interleave(w.baseAddress! + o0 * inputs, rowStride: inputs, lanes: lanes, t: inputs, into: wb.baseAddress!)
            converted = block
          }
          var g = groups * slice / slices
          let end = groups * (slice + 1) / slices
          while g < end {
            // The groups of one sample b, times n0 ..< n1.
            let b = g / t, n0 = g % t, n1 = min(t, n0 + end - g)
            Lanes.storeSums(wr, at: rowOf, times: value, bounds: gs, b * t + n0..<b * t + n1, unit: unitValues,
                            into: tb, firstLine: n0)
            Lanes.deinterleave(UnsafePointer(tb.baseAddress! + n0 * width), lanes: lanes, t: n1 - n0,
                               into: out.baseAddress! + (b * outputs + o0) * t + n0, rowStride: t)
            g += n1 - n0
          }
        }
      }
      }
      }
      }
      }
      }
    }
    return Tensor(shape: shape, scalars: u)
  }

  /// How many slices each block of eight outputs is cut into (at most `limit`), so that a layer
  /// with few blocks still gives every thread a few work items.
  static func slices(blocks: Int, upTo limit: Int) -> Int {
    min(limit, max(1, (4 * Parallel.threads + blocks - 1) / blocks))
  }

  /// Whether the plain loops beat the event-driven ones on input `a` (same bits either way): the
  /// event-driven forward costs about 6 cycles per event and block of eight outputs, the plain
  /// loops about one cycle per two terms, so they win only for few outputs on a dense input.
  func prefersDenseLoops(_ a: Tensor<Scalar>) -> Bool {
    let blocks = Lanes.blocks(outputs)
    if 6 * blocks <= outputs { return false }  // never, whatever the density
    // More than `limit` non-zeros favour the plain loops (6·nonzero·blocks > outputs·count), so
    // the scan stops once more than count − limit − 1 zeros are seen (a sparse input, early);
    // a tensor that knows its events (spikes) needs no scan.
    let limit = outputs * a.scalars.count / (6 * blocks)
    if let known = a.knownEvents { return known.count > limit }
    var zeros = 0, start = 0
    return a.scalars.withUnsafeBufferPointer { x in
      while start < x.count {
        let end = min(x.count, start + 4096)
        zeros &+= (end - start) - RowEvents.nonZeroCount(x.baseAddress! + start, end - start)
        if zeros > x.count - limit - 1 { return false }
        start = end
      }
      return true
    }
  }

  /// The pullback: g_a = Wᵀ·g_u at every (batch, time), and g_W = Σ_{b, n} g_u[b, o, n]·a[b, i, n].
  ///
  /// Chain-rule lines: ∂E/∂a[b, i, n] = Σ_o W[o, i]·∂E/∂u[b, o, n] (sum in increasing o), and
  /// ∂E/∂W[o, i] = Σ_b Σ_n ∂E/∂u[b, o, n]·a[b, i, n] (sum over b, then n, increasing): the discrete
  /// ∇W = ∫ δ aᵀ dt of `slayer.md` §4.3 with ∂E/∂u = Ts·δ. Exact: drops nothing.
  ///
  /// - Parameters:
  ///   - gU: ∂E/∂u, shape `(N, outputs, 1, 1, T)`.
  ///   - a: the forward input.
  ///   - inputGradient: compute ∂E/∂a (false returns zeros, for the first layer in training).
  /// - Returns: ∂E/∂a in the input's shape, and ∂E/∂W `(outputs, inputs)`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  public func pullback(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>, inputGradient: Bool = true)
    -> (input: Tensor<Scalar>, weights: [Scalar])
  {
    pullback(gU, input: a, inputGradient: inputGradient, events: nil)
  }

  /// ``pullback(_:input:inputGradient:)`` with the input's events, when the caller already has them.
  func pullback(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>, inputGradient: Bool, events: RowEvents?)
    -> (input: Tensor<Scalar>, weights: [Scalar])
  {
    precondition(gU.shape == Shape(n: a.shape.n, c: outputs, t: a.shape.t),
                 "dense pullback: gradient \(gU.shape) does not match output (\(a.shape.n), \(outputs), 1, 1, \(a.shape.t))")
    let gA = inputGradient ? inputPullback(gU, inputShape: a.shape) : Tensor(zeros: a.shape)
    return (gA, weightGradient(gU, input: a, events: events))
  }

  /// ∂E/∂a[b, i, n] = Σ_o W[o, i]·g_u[b, o, n], in increasing o.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func inputPullback(_ gU: Tensor<Scalar>, inputShape: Shape) -> Tensor<Scalar> {
    let t = inputShape.t, batch = inputShape.n
    let w = weights, inputs = inputs, outputs = outputs
    var gA = Engine.isDense ? [Scalar](repeating: 0, count: inputShape.count) : Tensor<Scalar>.uninitialized(inputShape.count)
    if Engine.isDense {
      gU.scalars.withUnsafeBufferPointer { g in
        nonisolated(unsafe) let g = g
        Parallel.forEachChunk(batch * inputs, writing: &gA, cost: outputs * t) { rows, out in
          var acc = [Double](repeating: 0, count: t)
          for row in rows {
            let b = row / inputs, i = row % inputs
            for n in 0..<t { acc[n] = 0 }
            for o in 0..<outputs {
              let wi = w[o * inputs + i].double, base = (b * outputs + o) * t
              for n in 0..<t { acc[n] += wi * g[base + n].double }
            }
            for n in 0..<t { out[row * t + n] = Scalar(acc[n]) }
          }
        }
      }
      return Tensor(shape: inputShape, scalars: gA)
    }
    // Sixteen samples at once (Lanes.weightedSum): acc[n ..< n + 16] += W[o, i]·g[b, o, n ..< n + 16]
    // in increasing o, leaving out zero weights and all-zero gradient rows (their terms are ±0).
    let g = Lanes.paddedRows(gU.scalars, rows: batch * outputs, t: t, multiple: 2 * Lanes.width)
    Parallel.forEachChunk(batch * inputs, writing: &gA, cost: outputs * t) { rows, out in
      var terms = [Lanes.Term]()
      terms.reserveCapacity(outputs)
      var buffer = [Double](repeating: 0, count: g.stride)  // one row's sums
      buffer.withUnsafeMutableBufferPointer { sums in
      g.values.withUnsafeBufferPointer { gd in
        for row in rows {
          let b = row / inputs, i = row % inputs
          terms.removeAll(keepingCapacity: true)
          for o in 0..<outputs {
            let wi = w[o * inputs + i].double
            if wi != 0 && !g.zeroRow[b * outputs + o] { terms.append(Lanes.Term(row: (b * outputs + o) * g.stride, weight: wi)) }
          }
          terms.withUnsafeBufferPointer { Lanes.weightedSum(gd, $0, t: t, into: sums) }
          Lanes.round(sums.baseAddress!, count: t, into: out.baseAddress! + row * t)
        }
      }
      }
    }
    return Tensor(shape: inputShape, scalars: gA)
  }

  /// ∂E/∂W[o, i] = Σ_b Σ_n g_u[b, o, n]·a[b, i, n], over b then n increasing.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  func weightGradient(_ gU: Tensor<Scalar>, input a: Tensor<Scalar>, events: RowEvents?) -> [Scalar] {
    let t = a.shape.t, batch = a.shape.n
    let inputs = inputs, outputs = outputs
    var gW = Tensor<Scalar>.uninitialized(weights.count)  // every weight's sum is written, on both paths
    if Engine.isDense || (events == nil && prefersDenseLoops(a)) {
      gU.scalars.withUnsafeBufferPointer { g in
        a.scalars.withUnsafeBufferPointer { x in
          nonisolated(unsafe) let g = g, x = x
          Parallel.forEachChunk(outputs, writing: &gW, cost: inputs * batch * t) { os, out in
            for o in os {
              for i in 0..<inputs {
                var acc = 0.0
                for b in 0..<batch {
                  let gBase = (b * outputs + o) * t, xBase = (b * inputs + i) * t
                  for n in 0..<t { acc += g[gBase + n].double * x[xBase + n].double }
                }
                out[o * inputs + i] = Scalar(acc)
              }
            }
          }
        }
      }
      return gW
    }
    // Event-driven over the input's non-zero samples, eight outputs at once: g is regrouped as
    // (b, n) → g[b, o0 ..< o0 + 8, n], and each weight still sums its terms over b, then n,
    // increasing. The events are listed input by input (i, then b, then n) so that each block
    // reads them as one stream.
    let rowEvents = events ?? RowEvents(a.scalars, rows: batch * inputs, t: t)
    var first = [Int](repeating: 0, count: inputs + 1)
    for i in 0..<inputs {
      var count = 0
      for b in 0..<batch { count += rowEvents.events(b * inputs + i).count }
      first[i + 1] = first[i] + count
    }
    var at: [Int32] = uninitializedArray(rowEvents.count), value: [Double] = uninitializedArray(rowEvents.count)
    rowEvents.start.withUnsafeBufferPointer { start in
    rowEvents.time.withUnsafeBufferPointer { time in
    rowEvents.value.withUnsafeBufferPointer { source in
      nonisolated(unsafe) let start = start, time = time, source = source
      Parallel.forEachChunk(inputs, writing: &at, &value, cost: 2 * rowEvents.count / max(1, inputs) + batch) { range, at, value in
        for i in range {
          var k = first[i]
          for b in 0..<batch {
            let r = b * inputs + i
            for e in start[r]..<start[r + 1] {
              at[k] = Int32(b * t) + time[e]
              value[k] = source[e]
              k += 1
            }
          }
        }
      }
    }
    }
    }
    let width = Lanes.width
    let unitValues = value.allSatisfy { $0 == 1 }  // g·1 is g: left out, as in the forward pass
    // Work items are (block of eight outputs, slice of the inputs), as in the forward pass: a
    // layer with few blocks still fills the threads, and every weight is summed whole by one item.
    let blocks = Lanes.blocks(outputs)
    let slices = Self.slices(blocks: blocks, upTo: inputs)
    gU.scalars.withUnsafeBufferPointer { g in
      nonisolated(unsafe) let g = g
      Parallel.forEachChunk(blocks * slices, writing: &gW, cost: width * (at.count + batch * t) / slices) { items, out in
        // g[b, o0 + j, n] at (b·T + n)·8 + j (one cache line per (b, n)), and ∂E/∂W[o0 + j, i] at i·8 + j.
        Lanes.withAlignedScratch(batch * t * width) { gb in
        Lanes.withAlignedScratch(inputs * width) { sb in
        at.withUnsafeBufferPointer { at in
        value.withUnsafeBufferPointer { value in
          let gr = UnsafeBufferPointer(gb)
          var converted = -1
          for item in items {
            let block = item / slices, slice = item % slices
            let o0 = block * width, lanes = min(width, outputs - o0)
            if block != converted {
              for b in 0..<batch {
                Lanes.interleave(g.baseAddress! + (b * outputs + o0) * t, rowStride: t, lanes: lanes, t: t,
                                 into: gb.baseAddress! + b * t * width)
              }
              converted = block
            }
            let mine = inputs * slice / slices..<inputs * (slice + 1) / slices
            Lanes.storeSums(gr, at: at, times: value, bounds: first, mine, unit: unitValues, into: sb,
                            firstLine: mine.lowerBound)
            Lanes.deinterleave(UnsafePointer(sb.baseAddress! + mine.lowerBound * width), lanes: lanes, t: mine.count,
                               into: out.baseAddress! + o0 * inputs + mine.lowerBound, rowStride: inputs)
          }
        }
        }
        }
        }
      }
    }
    return gW
  }
}
