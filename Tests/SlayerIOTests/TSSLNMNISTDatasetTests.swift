import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

/// N-MNIST binned as TSSL-BP's converter does (`tssl-bp.md` §2.3): ⌈t/3 ms⌉, OR-merged, bins < T.
@Suite("TSSL-BP N-MNIST binning")
struct TSSLNMNISTDatasetTests {
  @Test("bin n = ⌈t/binMs⌉: t = 0 → 0, (0, 3] → 1, 3.0001 → 2; bins ≥ T, bad polarity or position dropped; OR-merge")
  func binning() {
    let events = Events(x: [0, 0, 0, 0, 0, 33, 1, 34, 2], y: [0, 0, 0, 0, 0, 33, 2, 0, 0], channel: [0, 0, 0, 0, 1, 1, 0, 0, 2],
                        timeMs: [0, 3, 1.5, 3.0001, 87, 87.0001, -0.5, 4, 4])
    let offsets = TSSLNMNISTDataset.bin(events, binMs: 3, steps: 30)
    func offset(_ p: Int, _ y: Int, _ x: Int, _ n: Int) -> Int32 { Int32(((p * 34 + y) * 34 + x) * 30 + n) }
    // t = 3 and 1.5 both land in bin 1 (one spike); 87 → 29 kept; 87.0001 → 30 dropped; −0.5 → −0 = bin 0
    // (⌈−1/6⌉ = −0); x = 34 and polarity 2 dropped.
    #expect(offsets == [offset(0, 0, 0, 0), offset(0, 0, 0, 1), offset(0, 0, 0, 2), offset(0, 2, 1, 0), offset(1, 0, 0, 29)].sorted(),
            "\(offsets)")
  }

  @Test("NMNISTsmall: the first samples bin into (1, 2, 34, 34, 30) 0/1 tensors with spikes in both polarities")
  func realData() throws {
    guard let dir = sharedData("NMNISTsmall/train1K.txt")?.deletingLastPathComponent() else { return }
    let d = try TSSLNMNISTDataset.load(directory: dir, list: "train1K.txt", limit: 3)
    #expect(d.count == 3 && d.shape == Shape(n: 1, c: 2, h: 34, w: 34, t: 30))
    let slayer = try NMNISTDataset.load(directory: dir, list: "train1K.txt", limit: 3)
    for i in 0..<3 {
      let x = d.input(i)
      #expect(x.scalars.allSatisfy { $0 == 0 || $0 == 1 } && d.spikeCount(i) == x.scalars.count { $0 == 1 })
      let half = x.shape.count / 2
      #expect(x.scalars[..<half].contains(1) && x.scalars[half...].contains(1), "sample \(i): both polarities")
      // The same events in 90 ms at 3 ms bins cannot outnumber those in 300 ms at 1 ms bins.
      #expect(d.spikeCount(i) > 0 && d.spikeCount(i) < slayer.spikeCount(i), "sample \(i)")
    }
  }
}
