// Events → dense spike tensor: slayerPytorch's `event.toSpikeTensor` (`slayer.md` §6, §9.13).
//
// Continuous input s(t) = Σ_f δ(t − t_f) becomes the discrete train of §1, s[n] ∈ {0, 1/Ts}, by
// sending each event to its nearest sample. Events outside the tensor are dropped, not clamped.
import Foundation
import SlayerCore

/// How coincident events (same channel, y, x and bin) combine: slayerPytorch's `binningMode`.
public enum BinningMode: String, Sendable, CaseIterable {
  /// Any number of events in a bin gives one spike, 1/Ts (the default, §9.13).
  case or = "OR"
  /// Each event adds 1/Ts, so a bin holds k/Ts for k events.
  case sum = "SUM"
}

/// Binning of ``Events`` onto the sample grid of `slayer.md` §1.
public enum SpikeBinning {
  /// The `(1, C, H, W, T)` spike tensor of `events` sampled every `Ts` ms.
  ///
  /// Event f, at time t_f (ms) with channel p, row y and column x, lands at
  /// ```
  /// n_f = round(t_f / Ts) − round(startMs / Ts)        round = half to even, in Double
  /// s[0, p, y, x, n] = (1/Ts) · min(1, k)   (OR)        k = #{f : (p_f, y_f, x_f, n_f) = (p, y, x, n)}
  /// s[0, p, y, x, n] = (1/Ts) · k           (SUM)
  /// ```
  /// which is slayerPytorch's `toSpikeTensor(emptyTensor, samplingTime, binningMode)` with its
  /// `emptyTensor[p, y, x, t]` indexing (channel → C, y → H, x → W). Its 1-D branch writes
  /// `emptyTensor[p, 0, x, t]`; 1-D ``Events`` carry y = 0, so the same rule covers them: a 1-D file
  /// needs `H = 1` and puts neuron ids on W (reshape to `(1, C·W, 1, 1, T)` for a dense layer).
  /// `round` is `np.round`, half to even, so t = 2.5·Ts goes to bin 2 and 3.5·Ts to bin 4.
  /// `startMs` plays the role of slayerPytorch's `tSt` (its `randomShift` offset, in bins), given
  /// here in ms and rounded the same way.
  ///
  /// An event is dropped when any index is outside the shape: n ∉ 0..<T, p ∉ 0..<C, y ∉ 0..<H or
  /// x ∉ 0..<W (non-finite times too). Values are computed as `Double(k) / Ts` and rounded to `S`
  /// once, so one event gives exactly `S(1 / Ts)` in either mode.
  ///
  /// PAPER-DIFF: slayerPytorch's SUM is `emptyTensor[idx] += 1/samplingTime` with fancy indexing,
  /// which numpy (and torch's `index_put_`) applies once per distinct index: coincident events add
  /// 1/Ts only once, so its SUM equals OR on a zero tensor. This follows the documented intent
  /// (§6: "adds 1/Ts per event"). Nearest-bin rounding, OR merging and dropping events outside the
  /// window follow slayerPytorch; the paper does not describe its binning (`slayer.md` §9.13).
  ///
  /// - Parameters:
  ///   - events: the events; their four columns must have equal counts.
  ///   - shape: the tensor shape; `n` must be 1. C channels, H rows (y), W columns (x), T samples.
  ///   - Ts: sampling time in ms, finite and > 0.
  ///   - mode: ``BinningMode/or`` or ``BinningMode/sum``.
  ///   - startMs: time of sample 0 in ms (finite), subtracted as a whole number of bins.
  /// - Returns: a tensor of zeros except at binned events.
  public static func toSpikeTensor<S: SpikeScalar>(
    _ events: Events, shape: Shape, Ts: Double, mode: BinningMode, startMs: Double = 0
  ) -> Tensor<S> {
    precondition(shape.n == 1, "toSpikeTensor: shape \(shape) must have n = 1")
    let offsets = binnedOffsets(events, shape: shape, Ts: Ts, startMs: startMs)
    var tensor = Tensor<S>(zeros: shape)
    var start = 0
    while start < offsets.count {
      var end = start + 1
      while end < offsets.count && offsets[end] == offsets[start] { end += 1 }
      let k = mode == .or ? 1 : end - start
      tensor.scalars[offsets[start]] = S(Double(k) / Ts)
      start = end
    }
    return tensor
  }

  /// The flat offsets into `shape` (C order) of the events that ``toSpikeTensor(_:shape:Ts:mode:startMs:)``
  /// keeps, one per event, ascending (coincident events give equal offsets next to each other).
  /// The binning rule is that function's; this is its sparse half, for callers that keep spikes as
  /// offsets rather than as a dense tensor.
  public static func binnedOffsets(_ events: Events, shape: Shape, Ts: Double, startMs: Double = 0) -> [Int] {
    precondition(Ts.isFinite && Ts > 0, "binning: Ts = \(Ts) ms must be finite and > 0")
    precondition(startMs.isFinite, "binning: startMs = \(startMs) must be finite")
    let counts = [events.x.count, events.y.count, events.channel.count, events.timeMs.count]
    precondition(Set(counts).count <= 1, "binning: event columns x, y, channel, timeMs have counts \(counts)")
    let startBin = (startMs / Ts).rounded(.toNearestOrEven)
    var offsets: [Int] = []
    offsets.reserveCapacity(events.count)
    for i in 0..<events.count {
      // Compared in Double before any Int conversion, so NaN, ±∞ and huge times are dropped safely.
      let bin = (events.timeMs[i] / Ts).rounded(.toNearestOrEven) - startBin
      guard bin >= 0, bin < Double(shape.t) else { continue }
      let (p, y, x) = (events.channel[i], events.y[i], events.x[i])
      guard (0..<shape.c).contains(p), (0..<shape.h).contains(y), (0..<shape.w).contains(x) else {
        continue
      }
      offsets.append(((p * shape.h + y) * shape.w + x) * shape.t + Int(bin))
    }
    // Sorted by a counting sort on the neuron (offset / T), which keeps each neuron's bins in event
    // order: already ascending when the events are in time order (as N-MNIST's are); a neuron
    // found out of order has its few offsets sorted.
    let t = shape.t, neurons = shape.c * shape.h * shape.w
    var first = [Int](repeating: 0, count: neurons + 1)
    for o in offsets { first[o / t + 1] += 1 }
    for r in 0..<neurons { first[r + 1] += first[r] }
    var next = first, sorted = [Int](repeating: 0, count: offsets.count)
    for o in offsets {
      let r = o / t
      sorted[next[r]] = o
      next[r] += 1
    }
    for r in 0..<neurons where first[r + 1] - first[r] > 1 {
      let bucket = first[r]..<first[r + 1]
      if zip(sorted[bucket], sorted[bucket].dropFirst()).contains(where: { $0 > $1 }) { sorted[bucket].sort() }
    }
    return sorted
  }
}
