import Foundation
import SlayerCore

/// The original SLAYER's outputs in `$SLAYER_DATA/slayer-matlab-golden` (default `../shared/data`).
struct GoldenData {
  let directory: URL

  /// The data directory, or the reason it cannot be used.
  static func locate() -> Result<GoldenData, SkipReason> {
    let root = ProcessInfo.processInfo.environment["SLAYER_DATA"] ?? "../shared/data"
    let dir = URL(fileURLWithPath: root).appendingPathComponent("slayer-matlab-golden")
    guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("w1Initial.txt").path) else {
      return .failure(SkipReason(text: "SKIPPED: golden data not found at \(dir.path) (set SLAYER_DATA)"))
    }
    return .success(GoldenData(directory: dir))
  }

  struct SkipReason: Error { let text: String }

  /// Rows of whitespace-separated numbers, '#' lines skipped.
  func table(_ name: String) throws -> [[Double]] {
    let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    return text.split(whereSeparator: \.isNewline).compactMap { line in
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
      return trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Double($0) }
    }
  }

  /// All numbers of a weight file, row-major.
  func matrix(_ name: String) throws -> [Double] { try table(name).flatMap { $0 } }

  /// Events `(time ms, 1-based id)` → a `(1, neurons, 1, 1, T)` spike tensor, sample rint(t/Ts),
  /// events outside the window dropped (`slayer.md` §10.2, §13.4).
  func spikes<S: SpikeScalar>(_ name: String, neurons: Int, Ts: Double, steps: Int) throws -> Tensor<S> {
    var x = Tensor<S>(zeros: Shape(n: 1, c: neurons, t: steps))
    for row in try table(name) {
      let n = Int((row[0] / Ts).rounded(.toNearestOrEven)), id = Int(row[1]) - 1
      if n >= 0 && n < steps { x[0, id, 0, 0, n] = S(1 / Ts) }
    }
    return x
  }
}

/// `(time ms, 1-based id)` of every spike in a `(1, C, 1, 1, T)` tensor, in time order then id.
func events<S: SpikeScalar>(_ s: Tensor<S>, Ts: Double) -> [(time: Double, id: Int)] {
  var out: [(Int, Int)] = []
  for c in 0..<s.shape.c { for n in 0..<s.shape.t where s[0, c, 0, 0, n] != 0 { out.append((n, c)) } }
  return out.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { (Double($0.0) * Ts, $0.1 + 1) }
}
