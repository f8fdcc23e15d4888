import Foundation

/// A minimal SVG writer: enough for line plots and spike rasters, with no dependencies.
///
/// Coordinates are in pixels from the top-left corner. Text is escaped. The document is written
/// atomically by ``write(to:)``.
public struct SVG {
  /// The picture's size in pixels.
  public let width: Double, height: Double
  private var body: [String] = []

  /// An empty picture on a white background.
  public init(width: Double, height: Double) {
    self.width = width; self.height = height
  }

  /// A polyline through `points`.
  public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil) {
    guard !points.isEmpty else { return }
    let coords = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
    body.append("<polyline points=\"\(coords)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
  }

  /// A straight line.
  public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
    body.append("<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(f(width))\"\(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>")
  }

  /// A filled rectangle.
  public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String = "none") {
    body.append("<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>")
  }

  /// Many equal filled rectangles of size `w` × `h` with their top-left corners at `corners`, as one
  /// path: a raster of 20 000 spikes stays a few hundred kB instead of megabytes of `<rect>`s.
  public mutating func marks(_ corners: [(Double, Double)], w: Double, h: Double, fill: String) {
    guard !corners.isEmpty else { return }
    let d = corners.map { "M\(f($0.0)) \(f($0.1))h\(f(w))v\(f(h))h-\(f(w))z" }.joined()
    body.append("<path d=\"\(d)\" fill=\"\(fill)\"/>")
  }

  /// A filled circle.
  public mutating func circle(_ x: Double, _ y: Double, r: Double, fill: String) {
    body.append("<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(fill)\"/>")
  }

  /// Text anchored at (x, y); `anchor` is start, middle or end.
  public mutating func text(_ x: Double, _ y: Double, _ string: String, size: Double = 12, anchor: String = "start", fill: String = "#222") {
    let escaped = string.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
    body.append("<text x=\"\(f(x))\" y=\"\(f(y))\" font-family=\"sans-serif\" font-size=\"\(f(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\">\(escaped)</text>")
  }

  /// The document text.
  public var document: String {
    """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))">
    <rect width="100%" height="100%" fill="white"/>
    \(body.joined(separator: "\n"))
    </svg>

    """
  }

  /// Writes the document atomically.
  public func write(to url: URL) throws {
    try AtomicFile.write(Data(document.utf8), to: url)
  }

  private func f(_ v: Double) -> String { String(format: "%.2f", v) }
}

/// An axis mapping data values to pixels, linear or base-10 logarithmic.
public struct Axis {
  /// The data range [lo, hi], mapped to the pixel range from → to (either direction), on a base-10
  /// log scale when `log`.
  public let lo: Double, hi: Double, from: Double, to: Double, log: Bool

  /// An axis mapping `lo` to pixel `from` and `hi` to pixel `to`.
  public init(_ lo: Double, _ hi: Double, pixels from: Double, _ to: Double, log: Bool = false) {
    self.lo = lo; self.hi = hi; self.from = from; self.to = to; self.log = log
  }

  /// The pixel of value `v` (clamped to the axis range).
  public func callAsFunction(_ v: Double) -> Double {
    let (a, b, x) = log ? (log10(lo), log10(hi), log10(max(v, lo))) : (lo, hi, v)
    let u = b == a ? 0 : (min(max(x, min(a, b)), max(a, b)) - a) / (b - a)
    return from + u * (to - from)
  }
}
