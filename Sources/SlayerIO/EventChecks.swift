// What a decoded event file must satisfy for the data set that reads it (issue 8). Every bit
// pattern of a whole record decodes (EventFile.swift), but not every record makes sense for a
// given tensor: an N-MNIST pixel x = 200 on the 34 × 34 sensor, an Oxford neuron id 300 of 200, a
// recording whose time stamps run backwards, or a `.bsn` region that ends before it starts.
// `SpikeBinning` would silently drop such events (slayerPytorch's `toSpikeTensor` does); a data
// set loader calls these checks instead, so that a corrupt file is an error naming the file, the
// event, its byte offset, the field, what was expected and what came.
//
// PAPER-DIFF: slayerPytorch reads such files and drops the events outside the tensor; the oracle's
// N-MNIST and Oxford loaders refuse them (every published sample passes: N-MNIST x, y ≤ 33 in time
// order, Oxford ids < 200).
import Foundation

extension EventFile {
  /// Checks 1-D events (`.bs1`) against `neurons` ids: `0 ≤ id < neurons`, and with
  /// `timeOrdered`, times that never decrease.
  ///
  /// - Throws: ``IOError`` naming `file`, the first bad event, its byte offset (5 bytes a record),
  ///   the field, the range expected and the value found.
  public static func validate1D(_ events: Events, neurons: Int, timeOrdered: Bool, file: String) throws {
    try validate(events, layout: .bs1, limits: [("id", events.x, neurons)], timeOrdered: timeOrdered, file: file)
  }

  /// Checks 2-D events (`.bs2`) against a `width` × `height` sensor with `channels` polarities:
  /// `0 ≤ x < width`, `0 ≤ y < height`, `0 ≤ polarity < channels`, and with `timeOrdered`, times
  /// that never decrease (a camera recording is in time order).
  ///
  /// - Throws: ``IOError`` as ``validate1D(_:neurons:timeOrdered:file:)`` (5 bytes a record).
  public static func validate2D(_ events: Events, width: Int, height: Int, channels: Int, timeOrdered: Bool,
                                file: String) throws {
    try validate(events, layout: .bs2,
                 limits: [("x", events.x, width), ("y", events.y, height), ("polarity", events.channel, channels)],
                 timeOrdered: timeOrdered, file: file)
  }

  /// Checks `.bsn` spike-count targets for `neurons` output neurons: `0 ≤ id < neurons` and each
  /// region non-empty, `tStart < tEnd`.
  ///
  /// - Throws: ``IOError`` naming `file`, the record, its byte offset (10 bytes a record), the
  ///   field, what was expected and what came.
  public static func validateNumSpikes(_ targets: SpikeCountTargets, neurons: Int, file: String) throws {
    let size = RecordLayout.bsn.byteCount
    if let i = targets.id.firstIndex(where: { $0 < 0 || $0 >= neurons }) {
      throw IOError(file: file, message: "record \(i) (byte offset \(i * size)): id: expected 0…\(neurons - 1) "
        + "(one of \(neurons) output neurons), found \(targets.id[i])")
    }
    let count = min(targets.tStartMs.count, targets.tEndMs.count)
    if let i = (0..<count).first(where: { !(targets.tStartMs[$0] < targets.tEndMs[$0]) }) {
      throw IOError(file: file, message: "record \(i) (byte offset \(i * size)): tEnd: expected a time after "
        + "tStart = \(targets.tStartMs[i]) ms (a region of positive length), found \(targets.tEndMs[i]) ms")
    }
  }

  /// The shared loop: each `(field, values, limit)` must lie in `0..<limit`; then the time order.
  static func validate(_ events: Events, layout: RecordLayout, limits: [(String, [Int], Int)], timeOrdered: Bool,
                       file: String) throws {
    try checkCounts(events, file: file)
    let size = layout.byteCount
    for (field, values, limit) in limits {
      if let i = values.firstIndex(where: { $0 < 0 || $0 >= limit }) {
        throw IOError(file: file, message: "event \(i) (byte offset \(i * size)): \(field): expected 0…\(limit - 1), "
          + "found \(values[i])")
      }
    }
    guard timeOrdered else { return }
    let t = events.timeMs
    if let i = t.indices.dropFirst().first(where: { !(t[$0] >= t[$0 - 1]) }) {
      throw IOError(file: file, message: "event \(i) (byte offset \(i * size)): time: expected ≥ \(t[i - 1]) ms "
        + "(event \(i - 1)'s; the recording is in time order), found \(t[i]) ms")
    }
  }
}
