import Foundation

/// A worked number cited in `Docs/`: the number(s) written just before a marker
///
/// ```
/// ε peaks at 1.0000 <!-- check: kernels.eps.peak -->            the value must round to what is written
/// worst relative error below 1e-7 <!-- check-below: gc.dense -->   the value must be ≤ what is written
/// ```
///
/// A check whose value is a list takes that many numbers before the marker, in order
/// (`output spikes at 20.3, 35.5 and 44.7 ms <!-- check: demo.times -->`). Numbers are read from the
/// same line only; `−` (U+2212) counts as a minus sign; `**`, backticks and other Markdown around them
/// are ignored, and so are indices (`ε[10]`, `u[n+1]`: a number in brackets right after a name).
/// HTML comments do not render on GitHub, so the markers are invisible to a reader; one written in
/// code voice (`` `<!-- check: NAME -->` ``, right after a backtick) is an example, not a marker.
struct Marker: CustomStringConvertible {
  enum Kind: String { case equal = "check", below = "check-below" }
  /// The check's name in ``WorkedNumbers/registry``.
  var name: String
  var kind: Kind
  /// Every number on the line before the marker, in order, as written.
  var numbersBefore: [WrittenNumber]
  /// `Docs/<file>:<line>`.
  var location: String

  var description: String { "\(location) <!-- \(kind.rawValue): \(name) -->" }

  /// Every marker in a Markdown text.
  static func parse(_ text: String, file: String) -> [Marker] {
    var markers: [Marker] = []
    let pattern = try! NSRegularExpression(pattern: #"(?<!`)<!--\s*(check|check-below):\s*([A-Za-z0-9_.\-]+)\s*-->"#)
    for (i, line) in text.components(separatedBy: "\n").enumerated() {
      let ns = line as NSString
      for m in pattern.matches(in: line, range: NSRange(location: 0, length: ns.length)) {
        let before = ns.substring(to: m.range.location)
        // Earlier markers on the same line end the text this one may read from.
        let from = before.range(of: "-->", options: .backwards).map { String(before[$0.upperBound...]) } ?? before
        markers.append(Marker(name: ns.substring(with: m.range(at: 2)), kind: Kind(rawValue: ns.substring(with: m.range(at: 1)))!,
                              numbersBefore: WrittenNumber.all(in: from), location: "\(file):\(i + 1)"))
      }
    }
    return markers
  }
}

/// A number as written in the text, with the precision its digits imply.
struct WrittenNumber: CustomStringConvertible {
  var text: String
  var value: Double
  /// Half a unit in the last written digit: 1.0000 → 5e-5, 77 → 0.5, 2.7e-5 → 5e-7.
  var halfUnit: Double

  var description: String { text }

  static func all(in line: String) -> [WrittenNumber] {
    let pattern = try! NSRegularExpression(pattern: #"(?<![\w.])([−-]?)(\d+)(?:\.(\d+))?(?:[eE]([−+-]?\d+))?(?![\w])"#)
    let ns = line as NSString
    let index = try! NSRegularExpression(pattern: #"[\p{L}\p{N}_\])]\[[^\]]*\]"#)
    let indices = index.matches(in: line, range: NSRange(location: 0, length: ns.length)).map(\.range)
    return pattern.matches(in: line, range: NSRange(location: 0, length: ns.length)).compactMap { m in
      if indices.contains(where: { NSLocationInRange(m.range.location, $0) }) { return nil }
      func group(_ k: Int) -> String? { m.range(at: k).location == NSNotFound ? nil : ns.substring(with: m.range(at: k)) }
      let sign = group(1)?.isEmpty == false ? "-" : ""
      let decimals = group(3)?.count ?? 0
      let exponent = Int((group(4) ?? "0").replacingOccurrences(of: "−", with: "-")) ?? 0
      let plain = sign + group(2)! + (group(3).map { "." + $0 } ?? "") + "e\(exponent)"
      guard let v = Double(plain) else { return nil }
      return WrittenNumber(text: ns.substring(with: m.range), value: v,
                           halfUnit: 0.5 * pow(10, Double(exponent - decimals)))
    }
  }
}
