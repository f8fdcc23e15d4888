// N-MNIST as TSSL-BP's converter bins it (`tssl-bp.md` §2.3): `NMNIST_Converter('Train', 1, 3000)`
// puts an event at t µs into bin ⌈t / 3000⌉, OR-merges events of one bin (a 0/1 matrix), and the
// loader keeps bins 0 … T−1 (30 steps: the first 90 ms). The same list files and `.bs2` event files
// as SLAYER's ``NMNISTDataset``.
import Foundation
import SlayerCore

/// A labelled N-MNIST split binned for TSSL-BP: `(1, 2, 34, 34, T)` spikes of height 1.
///
/// ```
/// n_f = ⌈t_f / binMs⌉            (t_f in ms; the converter's ceil(ts/3000) on µs)
/// s[0, p, y, x, n] = 1   if some event (x, y, p, t_f) has n_f = n < T,   else 0
/// ```
/// Channel = polarity, H = y, W = x, as ``NMNISTDataset``.
///
/// PAPER-DIFF: the authors' converter first applies `stabilize.m` (saccade-motion compensation)
/// and numbers inputs x-major ((x − 1)·34 + y); the oracle bins the raw events of the `.bs2` files
/// (no stabilisation) in the (p, y, x) order of ``NMNISTDataset``. For a dense first layer the
/// order is only a permutation of the inputs.
public struct TSSLNMNISTDataset: Sendable {
  /// The samples, in list order.
  public let entries: [NMNISTDataset.Entry]
  /// Bin width in ms (3).
  public let binMs: Double
  /// Time steps T (30).
  public let steps: Int
  /// Each sample's spike offsets into ``shape``, ascending.
  private let spikeOffsets: [[Int32]]

  /// The shape of one sample, `(1, 2, 34, 34, T)`.
  public var shape: Shape { Shape(n: 1, c: 2, h: 34, w: 34, t: steps) }
  /// The number of samples.
  public var count: Int { entries.count }
  /// The number of spikes of sample `i` after binning.
  public func spikeCount(_ i: Int) -> Int { spikeOffsets[i].count }

  /// Sample `i` as a `(1, 2, 34, 34, T)` tensor of 0/1 spikes.
  public func input(_ i: Int) -> Tensor<Float> {
    var x = Tensor<Float>(zeros: shape)
    for offset in spikeOffsets[i] { x.scalars[Int(offset)] = 1 }
    return x
  }

  /// Reads `directory/list` and the first `limit` samples it names (all when nil).
  ///
  /// - Throws: ``IOError`` for an unreadable or malformed list or sample file.
  public static func load(directory: URL, list: String, limit: Int? = nil, binMs: Double = 3, steps: Int = 30) throws
    -> TSSLNMNISTDataset
  {
    precondition(binMs > 0 && binMs.isFinite && steps > 0, "TSSLNMNISTDataset: bin \(binMs) ms, \(steps) steps")
    let listURL = directory.appendingPathComponent(list)
    let text: String
    do { text = try String(contentsOf: listURL, encoding: .utf8) } catch {
      throw IOError(file: listURL.path, message: "cannot read the sample list: \(error.localizedDescription)")
    }
    var entries = try NMNISTDataset.parseList(text, file: listURL.path)
    if let limit { entries = Array(entries.prefix(max(0, limit))) }
    let offsets = try entries.map { entry in
      bin(try EventFile.read2D(directory.appendingPathComponent("\(entry.sample).bs2")), binMs: binMs, steps: steps)
    }
    return TSSLNMNISTDataset(entries: entries, binMs: binMs, steps: steps, spikeOffsets: offsets)
  }

  /// The sorted, distinct offsets of `events` binned by ⌈t/binMs⌉ into `(1, 2, 34, 34, steps)`;
  /// events outside the grid (or with a non-finite or negative time) are dropped.
  public static func bin(_ events: Events, binMs: Double, steps: Int) -> [Int32] {
    var offsets = Set<Int32>()
    for i in 0..<events.count {
      let n = (events.timeMs[i] / binMs).rounded(.up)
      guard n >= 0, n < Double(steps) else { continue }
      let (p, y, x) = (events.channel[i], events.y[i], events.x[i])
      guard (0..<2).contains(p), (0..<34).contains(y), (0..<34).contains(x) else { continue }
      offsets.insert(Int32(((p * 34 + y) * 34 + x) * steps + Int(n)))
    }
    return offsets.sorted()
  }
}
