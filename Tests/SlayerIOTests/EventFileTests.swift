// Tests for EventFile.swift and SpikeBinning.swift: round trips, hand-encoded bytes per format
// (`slayer.md` §6), truncated files, writer range checks, a random-bytes fuzz, binning (§6, §9.13),
// and the real data files in `$SLAYER_DATA` when present.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("Event files")
struct EventFileTests {
  /// The three event formats, so one test can run over all of them.
  enum Format: String, CaseIterable, Sendable {
    case bs1, bs2, bs3

    func encode(_ events: Events) throws -> Data {
      switch self {
      case .bs1: try EventFile.encode1D(events, file: "t.bs1")
      case .bs2: try EventFile.encode2D(events, file: "t.bs2")
      case .bs3: try EventFile.encode3D(events, file: "t.bs3")
      }
    }

    func decode(_ data: Data, file: String = "t") throws -> Events {
      switch self {
      case .bs1: try EventFile.decode1D(data, file: file)
      case .bs2: try EventFile.decode2D(data, file: file)
      case .bs3: try EventFile.decode3D(data, file: file)
      }
    }

    var recordSize: Int { self == .bs3 ? 7 : 5 }
  }

  // MARK: Round trips

  @Test(".bs1 round trip keeps ids ≥ 256 (slayerPytorch's encoder bug) and the field maxima")
  func roundTrip1D() throws {
    // Times are µs / 1000, so they survive ms → µs → ms exactly; 8388.607 ms is 2²³ − 1 µs.
    let events = Events(neuron: [0, 1, 255, 256, 257, 4660, 65535],
                        channel: [0, 1, 1, 0, 1, 0, 1],
                        timeMs: [0, 0.001, 1.5, 2.25, 999.999, 4000.123, 8388.607])
    let back = try EventFile.decode1D(EventFile.encode1D(events, file: "t.bs1"), file: "t.bs1")
    #expect(back == events)
  }

  @Test(".bs2 round trip with x and y up to 255")
  func roundTrip2D() throws {
    let events = Events(x: [0, 33, 128, 255, 255], y: [0, 33, 255, 7, 255],
                        channel: [1, 0, 1, 0, 1], timeMs: [0, 0.001, 300, 8388.606, 8388.607])
    #expect(try EventFile.decode2D(EventFile.encode2D(events, file: "t"), file: "t") == events)
  }

  @Test(".bs3 round trip with x, y ≥ 256 up to 4095 and channels up to 255")
  func roundTrip3D() throws {
    // 16777.215 ms is 2²⁴ − 1 µs, the 24-bit maximum.
    let events = Events(x: [0, 256, 2748, 4095], y: [4095, 291, 256, 0],
                        channel: [0, 69, 255, 1], timeMs: [0, 12.345, 8388.608, 16777.215])
    #expect(try EventFile.decode3D(EventFile.encode3D(events, file: "t"), file: "t") == events)
  }

  @Test(".bsn round trip with ids and counts up to 65535")
  func roundTripNumSpikes() throws {
    let targets = SpikeCountTargets(id: [0, 3, 256, 65535], tStartMs: [0, 0, 10.5, 16777.215],
                                    tEndMs: [300, 300, 20.25, 16777.215], count: [10, 60, 256, 65535])
    let back = try EventFile.decodeNumSpikes(EventFile.encodeNumSpikes(targets, file: "t"), file: "t")
    #expect(back == targets)
  }

  @Test("write then read through files, each format", arguments: Format.allCases)
  func fileRoundTrip(format: Format) throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("e.\(format.rawValue)")
    // x 300 needs the 16-bit id of .bs1 or the 12-bit x of .bs3; .bs2 holds at most 255.
    let x = format == .bs2 ? [200, 2] : [300, 2]
    let events = Events(x: x, y: [0, 0], channel: [1, 0], timeMs: [1.234, 5])
    switch format {
    case .bs1: try EventFile.write1D(events, to: url); #expect(try EventFile.read1D(url) == events)
    case .bs2: try EventFile.write2D(events, to: url); #expect(try EventFile.read2D(url) == events)
    case .bs3: try EventFile.write3D(events, to: url); #expect(try EventFile.read3D(url) == events)
    }
    let targets = SpikeCountTargets(id: [1], tStartMs: [0], tEndMs: [300], count: [60])
    let bsn = dir.appendingPathComponent("t.bsn")
    try EventFile.writeNumSpikes(targets, to: bsn)
    #expect(try EventFile.readNumSpikes(bsn) == targets)
  }

  @Test("times are rounded half to even to whole µs, as np.round(t * 1000)")
  func writerRounding() throws {
    // 0.0005 ms · 1000 = 0.5 µs exactly → 0 (even); 0.0015 · 1000 = 1.5 → 2; 0.0024 → 2.4 → 2.
    let events = Events(neuron: [0, 0, 0], channel: [0, 0, 0], timeMs: [0.0005, 0.0015, 0.0024])
    let back = try EventFile.decode1D(EventFile.encode1D(events, file: "t"), file: "t")
    #expect(back.timeMs == [0, 0.002, 0.002])
  }

  // MARK: Exact byte layout

  @Test(".bs1 record bytes by hand")
  func bytes1D() throws {
    // id 0x1234 = 4660  → 0001 0010 0011 0100                   bytes 0x12 0x34
    // polarity 1        → 1                                     top bit of byte 2
    // time 0x0ABCDE µs = 703710 µs → 000 1010 1011 1100 1101 1110 (23 bits)
    // byte 2 = polarity·0x80 | 0x0A = 0x8A, then 0xBC, 0xDE. An encoder with slayerPytorch's bug
    // would write 0x00 for byte 0.
    let bytes: [UInt8] = [0x12, 0x34, 0x8A, 0xBC, 0xDE]
    let events = Events(neuron: [4660], channel: [1], timeMs: [703.710])
    #expect([UInt8](try EventFile.encode1D(events, file: "t")) == bytes)
    #expect(try EventFile.decode1D(Data(bytes), file: "t") == events)
  }

  @Test(".bs2 record bytes by hand")
  func bytes2D() throws {
    // x 33 = 0x21, y 7 = 0x07; polarity 1 → 0x80; time 0x012345 µs = 74565 µs (23 bits: 0x01 in
    // the low 7 bits of byte 2, then 0x23 0x45). Byte 2 = 0x80 | 0x01 = 0x81.
    let bytes: [UInt8] = [0x21, 0x07, 0x81, 0x23, 0x45]
    let events = Events(x: [33], y: [7], channel: [1], timeMs: [74.565])
    #expect([UInt8](try EventFile.encode2D(events, file: "t")) == bytes)
    #expect(try EventFile.decode2D(Data(bytes), file: "t") == events)
  }

  @Test(".bs3 record bytes by hand")
  func bytes3D() throws {
    // x 0xABC = 2748 (12 bits) then y 0x123 = 291 (12 bits): nibbles A B C 1 2 3 → 0xAB 0xC1 0x23;
    // channel 0x45 = 69 → 0x45; time 0xFEDCBA µs = 16702650 µs (24 bits) → 0xFE 0xDC 0xBA.
    let bytes: [UInt8] = [0xAB, 0xC1, 0x23, 0x45, 0xFE, 0xDC, 0xBA]
    let events = Events(x: [2748], y: [291], channel: [69], timeMs: [16702.650])
    #expect([UInt8](try EventFile.encode3D(events, file: "t")) == bytes)
    #expect(try EventFile.decode3D(Data(bytes), file: "t") == events)
  }

  @Test(".bsn record bytes by hand")
  func bytesNumSpikes() throws {
    // Record 1 as in the N-MNIST target file: id 3 → 0x0003; tStart 0 → 0x000000;
    // tEnd 300 ms = 300000 µs = 0x0493E0; count 60 → 0x003C.
    // Record 2: id 0x1234; tStart 0x010203 = 66051 µs; tEnd 0x040506 = 263430 µs; count 0xFFFF.
    let bytes: [UInt8] = [0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x93, 0xE0, 0x00, 0x3C,
                          0x12, 0x34, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xFF, 0xFF]
    let targets = SpikeCountTargets(id: [3, 4660], tStartMs: [0, 66.051], tEndMs: [300, 263.430],
                                    count: [60, 65535])
    #expect([UInt8](try EventFile.encodeNumSpikes(targets, file: "t")) == bytes)
    #expect(try EventFile.decodeNumSpikes(Data(bytes), file: "t") == targets)
  }

  // MARK: Malformed files

  @Test("a truncated last record names the file and its byte offset", arguments: Format.allCases)
  func truncated(format: Format) throws {
    let size = format.recordSize
    let data = Data([UInt8](repeating: 0x5A, count: 2 * size + 3))
    let error = try #require(throws: IOError.self) { try format.decode(data, file: "cut.x") }
    #expect(error.file == "cut.x")
    #expect(error.message.contains("truncated record at byte offset \(2 * size): expected \(size) bytes (one .\(format.rawValue) record), found 3 of \(size) bytes"))
  }

  @Test("a truncated .bsn names the byte offset")
  func truncatedNumSpikes() throws {
    let error = try #require(throws: IOError.self) {
      try EventFile.decodeNumSpikes(Data(count: 47), file: "d.bsn")
    }
    #expect(error.description.hasPrefix("d.bsn: truncated record at byte offset 40: expected 10 bytes (one .bsn record), found 7 of 10 bytes"))
  }

  @Test("an empty file is zero events, not an error", arguments: Format.allCases)
  func empty(format: Format) throws {
    #expect(try format.decode(Data()).count == 0)
    #expect(try EventFile.decodeNumSpikes(Data(), file: "e").id.isEmpty)
    #expect(try format.encode(Events(x: [], y: [], channel: [], timeMs: [])).isEmpty)
  }

  @Test("a missing file is an IOError naming it")
  func missing() throws {
    let url = URL(fileURLWithPath: "/nonexistent-dir/none.bs2")
    let error = try #require(throws: IOError.self) { try EventFile.read2D(url) }
    #expect(error.file == url.path)
  }

  @Test("random bytes of any length decode or throw, never crash")
  func fuzz() throws {
    var rng = SplitMix64(seed: 6)
    for trial in 0..<300 {
      let length = Int(rng.next() % 64)
      let data = Data((0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
      for format in Format.allCases {
        do {
          let events = try format.decode(data)
          #expect(length % format.recordSize == 0, "trial \(trial)")
          #expect(events.count == length / format.recordSize)
          #expect(events.channel.allSatisfy { format == .bs3 || $0 == 0 || $0 == 1 })
          // Whatever was read writes back to the same bytes.
          #expect(try format.encode(events) == data, "trial \(trial), \(format)")
        } catch let error as IOError {
          #expect(length % format.recordSize != 0, "trial \(trial): \(error)")
        }
      }
      if let targets = try? EventFile.decodeNumSpikes(data, file: "f") {
        #expect(try EventFile.encodeNumSpikes(targets, file: "f") == data)
      }
    }
  }

  // MARK: Writer range checks

  /// An input a writer must refuse, and words its message must contain.
  struct BadInput: Sendable, CustomTestStringConvertible {
    let format: Format
    let events: Events
    let words: [String]
    var testDescription: String { "\(format): \(words.joined(separator: ", "))" }
  }

  static let badInputs: [BadInput] = [
    BadInput(format: .bs1, events: Events(neuron: [1, 65536], channel: [0, 0], timeMs: [0, 0]),
             words: ["event 1", "id = 65536", "65535"]),
    BadInput(format: .bs1, events: Events(neuron: [-1], channel: [0], timeMs: [0]),
             words: ["event 0", "id = -1", "negative"]),
    BadInput(format: .bs1, events: Events(neuron: [0, 0, 0], channel: [0, 0, 0],
                                          timeMs: [0, 1, 8388.608]),
             words: ["event 2", "time", "8388608 µs", "8388607"]),
    BadInput(format: .bs1, events: Events(neuron: [0], channel: [0], timeMs: [-0.001]),
             words: ["event 0", "time", "negative"]),
    BadInput(format: .bs1, events: Events(neuron: [0], channel: [2], timeMs: [0]),
             words: ["event 0", "polarity = 2", "limit 1"]),
    BadInput(format: .bs1, events: Events(x: [0], y: [3], channel: [0], timeMs: [0]),
             words: ["event 0", "y = 3", "1-D"]),
    BadInput(format: .bs2, events: Events(x: [255, 256], y: [0, 0], channel: [0, 0], timeMs: [0, 0]),
             words: ["event 1", "x = 256", "255"]),
    BadInput(format: .bs2, events: Events(x: [0], y: [256], channel: [0], timeMs: [0]),
             words: ["event 0", "y = 256", "255"]),
    BadInput(format: .bs2, events: Events(x: [0], y: [0], channel: [0], timeMs: [.nan]),
             words: ["event 0", "time", "not finite"]),
    BadInput(format: .bs3, events: Events(x: [4096], y: [0], channel: [0], timeMs: [0]),
             words: ["event 0", "x = 4096", "4095"]),
    BadInput(format: .bs3, events: Events(x: [0], y: [0], channel: [256], timeMs: [0]),
             words: ["event 0", "channel = 256", "255"]),
    BadInput(format: .bs3, events: Events(x: [0], y: [0], channel: [0], timeMs: [16777.216]),
             words: ["event 0", "time", "16777215"]),
    BadInput(format: .bs2, events: Events(x: [0, 1], y: [0], channel: [0, 1], timeMs: [0, 1]),
             words: ["equal counts", "y 1"]),
  ]

  @Test("writers refuse values a field cannot hold, naming field, event and limit",
        arguments: badInputs)
  func outOfRange(input: BadInput) throws {
    let error = try #require(throws: IOError.self) { try input.format.encode(input.events) }
    for word in input.words { #expect(error.message.contains(word), "\(error.message)") }
  }

  @Test("a refused write leaves no file behind")
  func refusedWrite() throws {
    let dir = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("bad.bs2")
    #expect(throws: IOError.self) {
      try EventFile.write2D(Events(x: [300], y: [0], channel: [0], timeMs: [0]), to: url)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    let targets = SpikeCountTargets(id: [0], tStartMs: [0], tEndMs: [0], count: [65536])
    let error = try #require(throws: IOError.self) {
      try EventFile.writeNumSpikes(targets, to: dir.appendingPathComponent("n.bsn"))
    }
    #expect(error.message.contains("record 0: nSpikes = 65536"))
  }

  // MARK: Binning

  @Test("OR gives 1/Ts for two events in one bin, SUM gives 2/Ts")
  func orVersusSum() {
    // Ts = 0.5 ms: 1.0 ms → 2.0 and 1.1 ms → 2.2 both round to bin 2.
    let events = Events(x: [1, 1], y: [0, 0], channel: [0, 0], timeMs: [1.0, 1.1])
    let shape = Shape(n: 1, c: 1, h: 1, w: 2, t: 4)
    let or: Tensor<Float> = SpikeBinning.toSpikeTensor(events, shape: shape, Ts: 0.5, mode: .or)
    let sum: Tensor<Double> = SpikeBinning.toSpikeTensor(events, shape: shape, Ts: 0.5, mode: .sum)
    #expect(or[0, 0, 0, 1, 2] == 2 && or.scalars.reduce(0, +) == 2)
    #expect(sum[0, 0, 0, 1, 2] == 4 && sum.scalars.reduce(0, +) == 4)
    #expect(BinningMode(rawValue: "SUM") == .sum && BinningMode.or.rawValue == "OR")
  }

  @Test("binned offsets are the sorted offsets of the kept events, for events in time order and shuffled",
        arguments: [81 as UInt64, 82])
  func binnedOffsetsSorted(seed: UInt64) {
    var rng = SplitMix64(seed: seed)
    let shape = Shape(n: 1, c: 2, h: 3, w: 4, t: 9)
    // 400 events over 0–12 ms (some past T = 9 bins, dropped), many in one bin (coincident), in time order.
    let times = (0..<400).map { _ in rng.uniform(0, 12) }.sorted()
    let ordered = Events(x: times.map { _ in Int(rng.next() % 4) }, y: times.map { _ in Int(rng.next() % 3) },
                         channel: times.map { _ in Int(rng.next() % 2) }, timeMs: times)
    var permutation = Array(0..<400)
    for i in stride(from: 399, to: 0, by: -1) { permutation.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
    let shuffled = Events(x: permutation.map { ordered.x[$0] }, y: permutation.map { ordered.y[$0] },
                          channel: permutation.map { ordered.channel[$0] }, timeMs: permutation.map { ordered.timeMs[$0] })
    var expected: [Int] = []
    for i in 0..<400 {
      let bin = Int((times[i] / 1.0).rounded(.toNearestOrEven))
      if bin < shape.t { expected.append(((ordered.channel[i] * 3 + ordered.y[i]) * 4 + ordered.x[i]) * shape.t + bin) }
    }
    expected.sort()
    #expect(expected.count > 250, "seed \(seed): too few events kept to test")
    #expect(SpikeBinning.binnedOffsets(ordered, shape: shape, Ts: 1) == expected, "seed \(seed): events in time order")
    #expect(SpikeBinning.binnedOffsets(shuffled, shape: shape, Ts: 1) == expected, "seed \(seed): shuffled events")
  }

  @Test("bins round half to even, as np.round: 0.5 → 0, 1.5 → 2, 2.5 → 2, 3.5 → 4")
  func halfToEven() {
    let events = Events(neuron: [0, 1, 2, 3], channel: [0, 0, 0, 0], timeMs: [0.5, 1.5, 2.5, 3.5])
    let s: Tensor<Double> = SpikeBinning.toSpikeTensor(
      events, shape: Shape(n: 1, c: 1, h: 1, w: 4, t: 6), Ts: 1, mode: .or)
    #expect(s[0, 0, 0, 0, 0] == 1 && s[0, 0, 0, 1, 2] == 1 && s[0, 0, 0, 2, 2] == 1)
    #expect(s[0, 0, 0, 3, 4] == 1 && s.scalars.reduce(0, +) == 4)
  }

  @Test("events outside the window or the shape are dropped; startMs shifts whole bins")
  func dropped() {
    // Shape C 2, H 3, W 5, T 4; Ts = 1 ms, startMs = 3 ms: bin = round(t) − 3, kept if 0 ≤ bin < 4.
    // Event 0 → bin 3 at (c 1, y 2, x 3); event 1: 6.5 → 6 (half to even) → bin 3 at (0, 0, 0).
    // Dropped: 2.5 → 2 → bin −1; 7 → bin 4 = T; x 5 = W; x −1; y 3 = H; channel 2 = C;
    // channel −1; NaN and 1e300 ms.
    let events = Events(
      x: [3, 0, 0, 0, 5, -1, 0, 0, 0, 0, 0],
      y: [2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0],
      channel: [1, 0, 0, 0, 0, 0, 0, 2, -1, 0, 0],
      timeMs: [6, 6.5, 2.5, 7, 4, 4, 4, 4, 4, .nan, 1e300])
    let s: Tensor<Float> = SpikeBinning.toSpikeTensor(
      events, shape: Shape(n: 1, c: 2, h: 3, w: 5, t: 4), Ts: 1, mode: .sum, startMs: 3)
    #expect(s[0, 1, 2, 3, 3] == 1 && s[0, 0, 0, 0, 3] == 1)
    #expect(s.scalars.reduce(0, +) == 2)
  }

  @Test("1-D events land at (0, channel, 0, neuron, bin), as slayerPytorch's emptyTensor[p, 0, x, t]")
  func layout1D() {
    let events = Events(neuron: [7, 2], channel: [1, 0], timeMs: [0.3, 0.9])
    let s: Tensor<Double> = SpikeBinning.toSpikeTensor(
      events, shape: Shape(n: 1, c: 2, h: 1, w: 8, t: 10), Ts: 0.1, mode: .or)
    // 0.3 / 0.1 = 2.9999999999999996 → 3; 0.9 / 0.1 = 9.0 → 9. Value 1 / 0.1 = 10.
    #expect(s[0, 1, 0, 7, 3] == 10 && s[0, 0, 0, 2, 9] == 10)
    #expect(s.scalars.reduce(0, +) == 20)
  }

  // MARK: Real files ($SLAYER_DATA, default ../shared/data)

  @Test("NMNISTsmall/1.bs2: 34 × 34 pixels, polarity 0/1, times ordered")
  func nmnist() throws {
    guard let url = sharedData("NMNISTsmall/1.bs2") else { return }
    let e = try EventFile.read2D(url)
    #expect(e.count > 0)
    #expect(e.x.allSatisfy { $0 < 34 } && e.y.allSatisfy { $0 < 34 })
    #expect(Set(e.channel).isSubset(of: [0, 1]))
    // Sensor timestamps may jitter slightly; allow 1 ms backwards steps, none larger.
    let backwards = zip(e.timeMs, e.timeMs.dropFirst()).map { $0 - $1 }.max() ?? 0
    #expect(backwards <= 1, "largest backwards step \(backwards) ms")
    let s: Tensor<Float> = SpikeBinning.toSpikeTensor(
      e, shape: Shape(n: 1, c: 2, h: 34, w: 34, t: 350), Ts: 1, mode: .or)
    #expect(s.scalars.contains { $0 == 1 })
  }

  @Test("nmnist_desired_class3.bsn: ids 0…9 (0-based), 0–300 ms, 60 spikes for class 3, 10 else")
  func nmnistTargets() throws {
    guard let url = sharedData("slayer-matlab-golden/nmnist_desired_class3.bsn") else { return }
    let t = try EventFile.readNumSpikes(url)
    #expect(t.id == Array(0..<10))
    #expect(t.tStartMs == [Double](repeating: 0, count: 10))
    #expect(t.tEndMs == [Double](repeating: 300, count: 10))
    #expect(t.count == (0..<10).map { $0 == 3 ? 60 : 10 })
  }

  @Test("oxford/input.bs1: neuron ids < 200")
  func oxford() throws {
    guard let url = sharedData("oxford/input.bs1") else { return }
    let e = try EventFile.read1D(url)
    #expect(e.count == 9445 / 5)
    #expect(e.x.allSatisfy { $0 >= 0 && $0 < 200 } && e.y.allSatisfy { $0 == 0 })
    #expect(try EventFile.encode1D(e, file: url.path) == Data(contentsOf: url))
    // Every event has polarity 1: slayerPytorch's example bins into one channel only after its
    // implicit `p -= p.min()`, which channelsShiftedToZero() reproduces.
    #expect(e.channel.allSatisfy { $0 == 1 })
    let shape = Shape(n: 1, c: 1, h: 1, w: 200, t: 10_000)
    let raw: Tensor<Float> = SpikeBinning.toSpikeTensor(e, shape: shape, Ts: 1, mode: .sum)
    let shifted: Tensor<Float> = SpikeBinning.toSpikeTensor(
      e.channelsShiftedToZero(), shape: shape, Ts: 1, mode: .sum)
    #expect(raw.scalars.allSatisfy { $0 == 0 })
    #expect(shifted.scalars.reduce(0, +) == Float(e.count))
  }

  // MARK: Helpers

  func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("EventFileTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }
}
