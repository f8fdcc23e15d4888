// Binary spike-event files: `.bs1`, `.bs2`, `.bs3` events and `.bsn` spike-count targets.
//
// Spec: `slayer.md` §6 (byte layout), from slayerPytorch `src/spikeFileIO.py` (`read1Dspikes`,
// `encode1Dspikes`, `read2Dspikes`, …, `read1DnumSpikes`, `encode1DnumSpikes`). Every record is one
// big-endian bit field, fields in the order listed, most significant bit first:
//
//   ext    bytes  fields (bits)
//   .bs1   5      id 16 · polarity 1 · time 23 (µs)
//   .bs2   5      x 8 · y 8 · polarity 1 · time 23 (µs)          (N-MNIST, N-Caltech101)
//   .bs3   7      x 12 · y 12 · channel 8 · time 24 (µs)
//   .bsn   10     id 16 · tStart 24 (µs) · tEnd 24 (µs) · nSpikes 16
//
// Implementation goals, in order of priority:
//   1. Never crash on any input bytes: every bit pattern of a whole record is a valid record, so the
//      only malformed file is one whose length is not a multiple of the record size.
//   2. Errors name the file, the field, the event (or byte offset), the limit and what was found.
//   3. Byte-identical to slayerPytorch's readers; its writers are followed except for their bug.
//      PAPER-DIFF: `encode1Dspikes` and `encode3Dspikes` compute the high byte as
//      `(x >> 8) & 0xFF00`, which is 0 for every x < 65536, so they corrupt ids (and `.bs3` y) ≥ 256.
//      These writers store the full field; a file slayerPytorch wrote correctly reads back the same.
import Foundation

/// Spike events in struct-of-arrays form, times in ms (slayerPytorch's `spikeFileIO.event`).
///
/// All four arrays have one entry per event. For 1-D files (`.bs1`) `x` holds the neuron id and `y`
/// is 0. `channel` is the polarity bit (0 = OFF, 1 = ON) for `.bs1` and `.bs2`, the 8-bit channel
/// for `.bs3`.
///
/// PAPER-DIFF: slayerPytorch's `event.__init__` shifts the polarity so that its minimum is 0 (`p -=
/// p.min()`), so a file holding only ON events lands in channel 0 there. Here `channel` is the
/// stored bit, unshifted, so an event's channel never depends on the other events in the file;
/// call ``channelsShiftedToZero()`` to get slayerPytorch's channels (its `oxford/input.bs1` example
/// holds only polarity-1 events and bins them into a single channel).
public struct Events: Equatable, Sendable {
  /// x index (column) of each event; the neuron id for 1-D data.
  public var x: [Int]
  /// y index (row) of each event; 0 for 1-D data.
  public var y: [Int]
  /// Polarity (0 or 1) or channel index of each event.
  public var channel: [Int]
  /// Time stamp of each event, in ms.
  public var timeMs: [Double]

  /// Events from their four columns, which should have equal counts (writers and
  /// ``SpikeBinning/toSpikeTensor(_:shape:Ts:mode:startMs:)`` check).
  public init(x: [Int], y: [Int], channel: [Int], timeMs: [Double]) {
    self.x = x
    self.y = y
    self.channel = channel
    self.timeMs = timeMs
  }

  /// 1-D events: `neuron` goes to ``x`` and ``y`` is all zeros.
  public init(neuron: [Int], channel: [Int], timeMs: [Double]) {
    self.init(x: neuron, y: [Int](repeating: 0, count: neuron.count), channel: channel, timeMs: timeMs)
  }

  /// The number of events (the count of ``timeMs``).
  public var count: Int { timeMs.count }

  /// The same events with `channel` shifted so that its minimum is 0: slayerPytorch's
  /// `p -= p.min()` in `event.__init__`. Empty events are returned unchanged.
  public func channelsShiftedToZero() -> Events {
    guard let low = channel.min() else { return self }
    return Events(x: x, y: y, channel: channel.map { $0 - low }, timeMs: timeMs)
  }
}

/// The records of a `.bsn` target-count file: neuron `id[i]` should fire `count[i]` spikes in the
/// region `tStartMs[i] … tEndMs[i]` (slayerPytorch `read1DnumSpikes`; the `NumSpikes` loss, §3.3).
public struct SpikeCountTargets: Equatable, Sendable {
  /// Neuron id of each record, as stored (the N-MNIST target files are 0-based: ids 0 … 9).
  public var id: [Int]
  /// Start of each region, in ms.
  public var tStartMs: [Double]
  /// End of each region, in ms.
  public var tEndMs: [Double]
  /// Desired spike count in each region.
  public var count: [Int]

  /// Targets from their four columns, which should have equal counts (the writer checks).
  public init(id: [Int], tStartMs: [Double], tEndMs: [Double], count: [Int]) {
    self.id = id
    self.tStartMs = tStartMs
    self.tEndMs = tEndMs
    self.count = count
  }
}

/// Readers and writers for the binary event formats of `slayer.md` §6.
///
/// Readers convert stored µs to ms as `Double(µs) / 1000` (what numpy's `tEvent/1000` computes).
/// Writers convert ms to µs as `(ms · 1000).rounded(.toNearestOrEven)` (numpy's
/// `np.round(t * 1000)`), so read → write reproduces a file byte for byte. Writers reject anything a
/// field cannot hold instead of wrapping it, and write atomically through ``AtomicFile``.
public enum EventFile {
  // MARK: Reading

  /// Reads a `.bs1` file: id 16 b · polarity 1 b · time 23 b (µs); id → ``Events/x``, y = 0.
  /// - Throws: ``IOError`` if the file cannot be read or ends in an incomplete record.
  public static func read1D(_ url: URL) throws -> Events { try decode1D(read(url), file: url.path) }
  /// Reads a `.bs2` file: x 8 b · y 8 b · polarity 1 b · time 23 b (µs).
  /// - Throws: ``IOError`` if the file cannot be read or ends in an incomplete record.
  public static func read2D(_ url: URL) throws -> Events { try decode2D(read(url), file: url.path) }
  /// Reads a `.bs3` file: x 12 b · y 12 b · channel 8 b · time 24 b (µs).
  /// - Throws: ``IOError`` if the file cannot be read or ends in an incomplete record.
  public static func read3D(_ url: URL) throws -> Events { try decode3D(read(url), file: url.path) }
  /// Reads a `.bsn` file: id 16 b · tStart 24 b (µs) · tEnd 24 b (µs) · nSpikes 16 b.
  /// - Throws: ``IOError`` if the file cannot be read or ends in an incomplete record.
  public static func readNumSpikes(_ url: URL) throws -> SpikeCountTargets {
    try decodeNumSpikes(read(url), file: url.path)
  }

  /// Decodes `.bs1` bytes; `file` names them in errors. Empty data is zero events.
  /// - Throws: ``IOError`` naming the byte offset of an incomplete last record.
  public static func decode1D(_ data: Data, file: String) throws -> Events {
    let f = try fields(of: data, layout: .bs1, file: file)
    return Events(x: f[0], y: [Int](repeating: 0, count: f[0].count), channel: f[1],
                  timeMs: f[2].map(milliseconds))
  }

  /// Decodes `.bs2` bytes; `file` names them in errors. Empty data is zero events.
  /// - Throws: ``IOError`` naming the byte offset of an incomplete last record.
  public static func decode2D(_ data: Data, file: String) throws -> Events {
    let f = try fields(of: data, layout: .bs2, file: file)
    return Events(x: f[0], y: f[1], channel: f[2], timeMs: f[3].map(milliseconds))
  }

  /// Decodes `.bs3` bytes; `file` names them in errors. Empty data is zero events.
  /// - Throws: ``IOError`` naming the byte offset of an incomplete last record.
  public static func decode3D(_ data: Data, file: String) throws -> Events {
    let f = try fields(of: data, layout: .bs3, file: file)
    return Events(x: f[0], y: f[1], channel: f[2], timeMs: f[3].map(milliseconds))
  }

  /// Decodes `.bsn` bytes; `file` names them in errors. Empty data is zero records.
  /// - Throws: ``IOError`` naming the byte offset of an incomplete last record.
  public static func decodeNumSpikes(_ data: Data, file: String) throws -> SpikeCountTargets {
    let f = try fields(of: data, layout: .bsn, file: file)
    return SpikeCountTargets(id: f[0], tStartMs: f[1].map(milliseconds),
                             tEndMs: f[2].map(milliseconds), count: f[3])
  }

  // MARK: Writing

  /// Writes `events` as `.bs1` (x is the neuron id; y must be 0), atomically.
  /// - Throws: ``IOError`` naming the field, event index and limit of the first value that does
  ///   not fit (id > 65535, polarity > 1, time ≥ 2²³ µs, anything negative), or the write failure.
  public static func write1D(_ events: Events, to url: URL) throws {
    try AtomicFile.write(encode1D(events, file: url.path), to: url)
  }
  /// Writes `events` as `.bs2`, atomically.
  /// - Throws: ``IOError`` as ``write1D(_:to:)``, with x and y limited to 255.
  public static func write2D(_ events: Events, to url: URL) throws {
    try AtomicFile.write(encode2D(events, file: url.path), to: url)
  }
  /// Writes `events` as `.bs3`, atomically.
  /// - Throws: ``IOError`` as ``write1D(_:to:)``, with x, y ≤ 4095, channel ≤ 255, time < 2²⁴ µs.
  public static func write3D(_ events: Events, to url: URL) throws {
    try AtomicFile.write(encode3D(events, file: url.path), to: url)
  }
  /// Writes `targets` as `.bsn`, atomically.
  /// - Throws: ``IOError`` naming the field, record index and limit (id and count ≤ 65535,
  ///   times < 2²⁴ µs).
  public static func writeNumSpikes(_ targets: SpikeCountTargets, to url: URL) throws {
    try AtomicFile.write(encodeNumSpikes(targets, file: url.path), to: url)
  }

  /// The `.bs1` bytes of `events`; `file` names them in errors.
  /// - Throws: ``IOError`` as ``write1D(_:to:)``.
  public static func encode1D(_ events: Events, file: String) throws -> Data {
    try checkCounts(events, file: file)
    if let i = events.y.firstIndex(where: { $0 != 0 }) {
      throw IOError(file: file, message:
        "event \(i): y = \(events.y[i]), expected 0 in a 1-D .bs1 file (only x, the neuron id, is stored)")
    }
    let layout = RecordLayout.bs1
    return try encode([events.x, events.channel,
                       microseconds(events.timeMs, field: 2, layout: layout, file: file)],
                      layout: layout, file: file)
  }

  /// The `.bs2` bytes of `events`; `file` names them in errors.
  /// - Throws: ``IOError`` as ``write2D(_:to:)``.
  public static func encode2D(_ events: Events, file: String) throws -> Data {
    try checkCounts(events, file: file)
    let layout = RecordLayout.bs2
    return try encode([events.x, events.y, events.channel,
                       microseconds(events.timeMs, field: 3, layout: layout, file: file)],
                      layout: layout, file: file)
  }

  /// The `.bs3` bytes of `events`; `file` names them in errors.
  /// - Throws: ``IOError`` as ``write3D(_:to:)``.
  public static func encode3D(_ events: Events, file: String) throws -> Data {
    try checkCounts(events, file: file)
    let layout = RecordLayout.bs3
    return try encode([events.x, events.y, events.channel,
                       microseconds(events.timeMs, field: 3, layout: layout, file: file)],
                      layout: layout, file: file)
  }

  /// The `.bsn` bytes of `targets`; `file` names them in errors.
  /// - Throws: ``IOError`` as ``writeNumSpikes(_:to:)``.
  public static func encodeNumSpikes(_ targets: SpikeCountTargets, file: String) throws -> Data {
    let counts = [targets.id.count, targets.tStartMs.count, targets.tEndMs.count, targets.count.count]
    guard Set(counts).count <= 1 else {
      throw IOError(file: file, message: "targets: expected equal counts, found id \(counts[0]), "
        + "tStartMs \(counts[1]), tEndMs \(counts[2]), count \(counts[3])")
    }
    let layout = RecordLayout.bsn
    return try encode([targets.id,
                       microseconds(targets.tStartMs, field: 1, layout: layout, file: file),
                       microseconds(targets.tEndMs, field: 2, layout: layout, file: file),
                       targets.count],
                      layout: layout, file: file)
  }
}

// MARK: - Record layouts and bit packing

/// One row of §6's table: the fields of a record, most significant first.
struct RecordLayout: Sendable {
  /// The file extension without the dot, for messages.
  let ext: String
  /// What a record is called in writer messages ("event" or "record").
  let item: String
  /// Field names and widths in bits, in file order.
  let fields: [(name: String, bits: Int)]
  /// The bytes per record (the widths sum to a multiple of 8).
  var byteCount: Int { fields.reduce(0) { $0 + $1.bits } / 8 }

  static let bs1 = RecordLayout(ext: "bs1", item: "event",
                                fields: [("id", 16), ("polarity", 1), ("time", 23)])
  static let bs2 = RecordLayout(ext: "bs2", item: "event",
                                fields: [("x", 8), ("y", 8), ("polarity", 1), ("time", 23)])
  static let bs3 = RecordLayout(ext: "bs3", item: "event",
                                fields: [("x", 12), ("y", 12), ("channel", 8), ("time", 24)])
  static let bsn = RecordLayout(ext: "bsn", item: "record",
                                fields: [("id", 16), ("tStart", 24), ("tEnd", 24), ("nSpikes", 16)])
}

extension EventFile {
  /// The file's bytes, or an ``IOError`` with the system's reason.
  static func read(_ url: URL) throws -> Data {
    do { return try Data(contentsOf: url) } catch {
      throw IOError(file: url.path, message:
        "read: expected a readable file, found error: \(error.localizedDescription)")
    }
  }

  /// Stored µs → ms, exactly as numpy's `tEvent/1000` in float64.
  static func milliseconds(_ us: Int) -> Double { Double(us) / 1000 }

  /// Unpacks every record into one column per field (`columns[field][record]`).
  ///
  /// Bits are read most significant first: record bit k is bit `7 − k mod 8` of byte `k / 8`.
  /// Every field is at most 24 bits wide, so each value fits an `Int` without overflow.
  static func fields(of data: Data, layout: RecordLayout, file: String) throws -> [[Int]] {
    let bytes = [UInt8](data)
    let size = layout.byteCount
    let remainder = bytes.count % size
    guard remainder == 0 else {
      let offset = bytes.count - remainder
      throw IOError(file: file, message: "truncated record at byte offset \(offset): expected \(size) bytes "
        + "(one .\(layout.ext) record), found \(remainder) of \(size) bytes (file length \(bytes.count))")
    }
    let records = bytes.count / size
    var columns = [[Int]](repeating: [], count: layout.fields.count)
    for f in columns.indices { columns[f].reserveCapacity(records) }
    for r in 0..<records {
      var bit = r * size * 8
      for (f, field) in layout.fields.enumerated() {
        var value = 0
        for _ in 0..<field.bits {
          value = value << 1 | Int(bytes[bit >> 3] >> (7 - UInt8(bit & 7)) & 1)
          bit += 1
        }
        columns[f].append(value)
      }
    }
    return columns
  }

  /// Packs `columns[field][record]` into records after checking every value against its field's
  /// range 0 … 2^bits − 1. The check runs over all values before a byte is written.
  static func encode(_ columns: [[Int]], layout: RecordLayout, file: String) throws -> Data {
    for (f, field) in layout.fields.enumerated() {
      let limit = (1 << field.bits) - 1
      if let i = columns[f].firstIndex(where: { $0 < 0 || $0 > limit }) {
        let value = columns[f][i]
        let problem = value < 0 ? "is negative" : "exceeds the limit \(limit)"
        throw IOError(file: file, message: "\(layout.item) \(i): \(field.name) = \(value) \(problem) "
          + "(\(field.bits)-bit field of .\(layout.ext), expected 0...\(limit))")
      }
    }
    let records = columns.first?.count ?? 0
    var bytes = [UInt8](repeating: 0, count: records * layout.byteCount)
    for r in 0..<records {
      var bit = r * layout.byteCount * 8
      for (f, field) in layout.fields.enumerated() {
        let value = columns[f][r]
        for k in stride(from: field.bits - 1, through: 0, by: -1) {
          if value >> k & 1 == 1 { bytes[bit >> 3] |= 0x80 >> UInt8(bit & 7) }
          bit += 1
        }
      }
    }
    return Data(bytes)
  }

  /// ms → µs as `(ms · 1000).rounded(.toNearestOrEven)` (numpy's `np.round(t * 1000)`), with the
  /// range of `layout.fields[field]` checked here so that no non-finite or huge value reaches `Int`.
  static func microseconds(_ times: [Double], field: Int, layout: RecordLayout,
                           file: String) throws -> [Int] {
    let (name, bits) = layout.fields[field]
    let limit = (1 << bits) - 1
    return try times.enumerated().map { i, ms in
      let us = (ms * 1000).rounded(.toNearestOrEven)
      let found = "\(layout.item) \(i): \(name) = \(ms) ms"
      let range = "(\(bits)-bit field of .\(layout.ext) in µs, expected 0...\(limit) µs)"
      guard us.isFinite else { throw IOError(file: file, message: "\(found) is not finite \(range)") }
      let rounded = abs(us) < 1e15 ? "\(Int(us))" : "\(us)"
      guard us >= 0 else {
        throw IOError(file: file, message: "\(found) rounds to \(rounded) µs, which is negative \(range)")
      }
      guard us <= Double(limit) else {
        throw IOError(file: file, message: "\(found) rounds to \(rounded) µs, which exceeds the limit "
          + "\(limit) µs \(range)")
      }
      return Int(us)
    }
  }

  /// Throws unless the four columns of `events` have equal counts.
  static func checkCounts(_ events: Events, file: String) throws {
    let counts = [events.x.count, events.y.count, events.channel.count, events.timeMs.count]
    guard Set(counts).count <= 1 else {
      throw IOError(file: file, message: "events: expected equal counts, found x \(counts[0]), "
        + "y \(counts[1]), channel \(counts[2]), timeMs \(counts[3])")
    }
  }
}
