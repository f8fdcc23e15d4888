// N-MNIST as slayerPytorch's examples read it (`slayer.md` §6, §7, §8.2): a list file of
// `#sample #class` lines and one `.bs2` event file per sample, binned with Ts = 1 ms over 0–300 ms
// in OR mode into a (1, 2, 34, 34, 300) spike tensor (channel = polarity, H = y, W = x).
import Foundation
import SlayerCore

/// A labelled N-MNIST split, held in memory as binned spikes.
///
/// Each sample is read once (the files side by side, on all threads) and binned by the rule of
/// ``SpikeBinning/toSpikeTensor(_:shape:Ts:mode:startMs:)`` in OR mode
///  ```
///  s[0, p, y, x, n] = 1/Ts   if some event (x, y, p, t) has round(t/Ts) = n,  n ∈ 0..<300
///  ```
/// straight to the sorted flat offsets of its non-zero samples
/// (``SpikeBinning/binnedOffsets(_:shape:Ts:startMs:)``; OR mode makes every non-zero value exactly
/// 1/Ts), about 15 kB a sample instead of 2.8 MB dense. ``input(_:)`` rebuilds one sample's tensor,
/// ``batch(_:)`` a whole batch in place.
public struct NMNISTDataset: Sendable {
  /// One line of a list file: the sample's number (its file is `<sample>.bs2`) and its class.
  public struct Entry: Equatable, Sendable {
    /// The sample number.
    public var sample: Int
    /// The class, 0…9.
    public var label: Int
    /// An entry from its fields.
    public init(sample: Int, label: Int) { self.sample = sample; self.label = label }
  }

  /// Sampling time, 1 ms.
  public static let Ts = 1.0
  /// The binned window, 300 ms (the three saccades).
  public static let durationMs = 300.0
  /// The shape of one sample, `(1, 2, 34, 34, 300)`: polarity, y, x, time.
  public static let sampleShape = Shape(n: 1, c: 2, h: 34, w: 34, t: 300)
  /// The classes, 0…9.
  public static let classes = 10

  /// The samples, in list order.
  public let entries: [Entry]
  /// The flat offsets (into ``sampleShape``'s C order) of each sample's spikes, ascending.
  private let spikeOffsets: [[Int32]]
  /// Where ``batch(_:)`` writes its batches: over the storage of the previous one.
  private let batches = SpikeBatches<Float>(sampleShape: sampleShape, height: Float(1 / Ts))

  /// The number of samples.
  public var count: Int { entries.count }
  /// The class of each sample, in list order.
  public var labels: [Int] { entries.map(\.label) }
  /// The number of spikes (non-zero samples) of sample `i` after binning.
  public func spikeCount(_ i: Int) -> Int { spikeOffsets[i].count }

  /// Sample `i` as a `(1, 2, 34, 34, 300)` tensor of spikes 1/Ts.
  public func input(_ i: Int) -> Tensor<Float> {
    Tensor(spikesAt: [spikeOffsets[i]], sampleShape: Self.sampleShape, height: Float(1 / Self.Ts))
  }

  /// Samples `indices` stacked into one batch `(N, 2, 34, 34, 300)` with their classes: the same
  /// tensor as `Trainer.batch(_:)` of their ``input(_:)``s, written in place, over the previous
  /// batch's storage once that batch is no longer in use (`SpikeBatches`).
  public func batch(_ indices: [Int]) -> (input: Tensor<Float>, labels: [Int]) {
    (batches.batch(indices.map { spikeOffsets[$0] }), indices.map { entries[$0].label })
  }

  /// Reads `directory/list` (for example `train1K.txt`) and the first `limit` samples it names
  /// (all when nil), `directory/<sample>.bs2` each.
  ///
  /// - Throws: ``IOError`` for an unreadable or malformed list (file, line number, what came), an
  ///   unreadable sample file (its path), or a sample with an event off the 34 × 34 sensor or out of
  ///   time order (``EventFile/validate2D(_:width:height:channels:timeOrdered:file:)``).
  public static func load(directory: URL, list: String, limit: Int? = nil) throws -> NMNISTDataset {
    let listURL = directory.appendingPathComponent(list)
    let text: String
    do { text = try String(contentsOf: listURL, encoding: .utf8) } catch {
      throw IOError(file: listURL.path, message: "cannot read the sample list: \(error.localizedDescription)")
    }
    var entries = try parseList(text, file: listURL.path)
    if let limit { entries = Array(entries.prefix(max(0, limit))) }
    // The files are read and binned side by side (each sample is independent); the first failure
    // in list order is the one reported, whatever the threads' timing.
    var results = [Result<[Int32], any Error>](repeating: .success([]), count: entries.count)
    let sampleEntries = entries
    Parallel.forEachChunk(entries.count, writing: &results) { range, out in
      for i in range {
        out[i] = Result {
          let url = directory.appendingPathComponent("\(sampleEntries[i].sample).bs2")
          let events = try EventFile.read2D(url)
          // A pixel off the 34 × 34 sensor or a time running backwards means a corrupt file, which
          // binning would silently drop; refused instead.
          try EventFile.validate2D(events, width: sampleShape.w, height: sampleShape.h, channels: sampleShape.c,
                                   timeOrdered: true, file: url.path)
          return bin(events)
        }
      }
    }
    return NMNISTDataset(entries: entries, spikeOffsets: try results.map { try $0.get() })
  }

  /// A dataset from already-binned samples: `spikeOffsets[i]` lists the flat offsets of sample i's
  /// spikes in ``sampleShape`` (for tests and synthetic data).
  public init(entries: [Entry], spikeOffsets: [[Int32]]) {
    precondition(entries.count == spikeOffsets.count, "NMNISTDataset: \(entries.count) entries, \(spikeOffsets.count) samples")
    precondition(spikeOffsets.allSatisfy { $0.allSatisfy { $0 >= 0 && Int($0) < Self.sampleShape.count } },
                 "NMNISTDataset: a spike offset lies outside \(Self.sampleShape)")
    self.entries = entries
    self.spikeOffsets = spikeOffsets
  }

  /// The sorted offsets of the non-zero samples of `events` binned OR-wise into ``sampleShape``.
  public static func bin(_ events: Events) -> [Int32] {
    // OR mode gives every distinct offset the value 1/Ts = 1: the distinct offsets are the spikes.
    var spikes: [Int32] = []
    for offset in SpikeBinning.binnedOffsets(events, shape: sampleShape, Ts: Ts) where spikes.last != Int32(offset) {
      spikes.append(Int32(offset))
    }
    return spikes
  }

  /// Parses a list file: one `<sample> <class>` pair of integers per line, separated by blanks or
  /// tabs; empty lines and lines starting with `#` (the `#sample #class` header) are skipped.
  ///
  /// - Throws: ``IOError`` naming `file`, the line number and what it held: a line that is not two
  ///   integers, a negative sample number, a class outside 0…9, or a list with no samples.
  public static func parseList(_ text: String, file: String) throws -> [Entry] {
    var entries: [Entry] = []
    // `\.isNewline` also splits "\r\n" (one Character in Swift), the line end of the published lists.
    for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      let lineName = "line \(index + 1)"
      guard fields.count == 2, let sample = Int(fields[0]), let label = Int(fields[1]) else {
        throw IOError(file: file, message: "\(lineName): expected '<sample> <class>' (two integers), found '\(line)'")
      }
      guard sample >= 0 else {
        throw IOError(file: file, message: "\(lineName): expected a sample number ≥ 0, found \(sample)")
      }
      guard (0..<classes).contains(label) else {
        throw IOError(file: file, message: "\(lineName): expected a class in 0…\(classes - 1), found \(label)")
      }
      entries.append(Entry(sample: sample, label: label))
    }
    guard !entries.isEmpty else {
      throw IOError(file: file, message: "expected at least one '<sample> <class>' line, found none")
    }
    return entries
  }
}
