// Comparing outputs with a case's `expected/`: `slayer check` (the oracle against itself) and
// `slayer compare` (a backend against the oracle), `shared/spec/case-format.md` "Commands".
//
// Every element passes when |a − e| ≤ atol + rtol·|e| (llm.c's check of a GPU kernel against its
// CPU reference), with a tolerance per kind of tensor, all in `Tolerance`. NaN never passes.
import Foundation
import SlayerCore

/// An element-wise tolerance, |actual − expected| ≤ atol + rtol·|expected|, and the table of the
/// tolerances per kind of tensor (stated here once, and in every report):
///
/// | kind | files | atol | rtol |
/// |---|---|---|---|
/// | spikes | `op<k>.npy` of a spike op | 0 | 0, except where the expected \|u − θ\| < 1e-3 |
/// | potentials | other `op<k>.npy`, `op<k>.u.npy` | 1e-3 | 1e-4 |
/// | loss | `loss.json` | 1e-6 | 1e-5 |
/// | gradients | `grad.*.npy` | 1e-5·max\|expected\| | 1e-3 |
///
/// Why: potentials are sums of float32 products whose order a backend chooses; an independent
/// float32 implementation reproduced the reference potentials within 3e-4 (`slayer.md` §0, [D]),
/// hence 1e-3. A spike is a threshold test on u, so a backend within that potential tolerance can
/// only flip a spike whose |u − θ| is below it: `marginTolerance` equals the potentials' atol.
/// The loss is one sum of squares in `Double`; rtol 1e-5 leaves room for a float32 sum. Gradients
/// pass several float32 correlations and sums of cancelling terms, whose absolute error follows
/// the tensor's largest values, not each element's: hence an atol relative to max|expected| and
/// rtol 1e-3 (the reference gradients were reproduced within 3e-5).
public struct Tolerance: Sendable, Equatable, CustomStringConvertible {
  /// Absolute part.
  public var atol: Double
  /// Relative part, times |expected|.
  public var rtol: Double

  /// A tolerance from its parts.
  public init(atol: Double, rtol: Double) {
    self.atol = atol
    self.rtol = rtol
  }

  /// Whether |actual − expected| ≤ atol + rtol·|expected|; false when either is NaN.
  public func accepts(_ actual: Double, expected: Double) -> Bool {
    abs(actual - expected) <= atol + rtol * abs(expected)
  }

  /// `exact`, or `atol …, rtol …`.
  public var description: String {
    atol == 0 && rtol == 0 ? "exact" : "atol \(atol), rtol \(rtol)"
  }

  /// What a compared file holds, which decides its tolerance.
  public enum Kind: String, Sendable, CaseIterable {
    /// A spike op's output.
    case spikes
    /// Any other op's output, or a spike op's potential `op<k>.u.npy`.
    case potentials
    /// `loss.json`'s `"loss"`.
    case loss
    /// `grad.input.npy`, `grad.op<k>.weights.npy`.
    case gradients
  }

  /// Spikes: exact, except where the expected potential is within ``marginTolerance`` of θ.
  public static let spikes = Tolerance(atol: 0, rtol: 0)
  /// A spike may differ where the expected |u − θ| < this (equal to the potentials' atol).
  public static let marginTolerance = 1e-3
  /// Potentials and psp/dense outputs: atol 1e-3, rtol 1e-4.
  public static let potentials = Tolerance(atol: 1e-3, rtol: 1e-4)
  /// The loss: atol 1e-6, rtol 1e-5.
  public static let loss = Tolerance(atol: 1e-6, rtol: 1e-5)
  /// Gradients: atol is this times max|expected| of the tensor.
  public static let gradientAtolScale = 1e-5
  /// Gradients: rtol 1e-3.
  public static let gradientRtol = 1e-3

  /// The gradient tolerance for a tensor whose largest |expected| is `maxExpected`.
  public static func gradients(maxExpected: Double) -> Tolerance {
    Tolerance(atol: gradientAtolScale * maxExpected, rtol: gradientRtol)
  }

  /// The tolerance of a tensor of `kind` with the expected values `expected`.
  public static func forKind(_ kind: Kind, expected: [Double]) -> Tolerance {
    switch kind {
    case .spikes: spikes
    case .potentials: potentials
    case .loss: loss
    case .gradients: gradients(maxExpected: expected.reduce(0) { max($0, abs($1)) })
    }
  }

  /// The table in one line, for reports.
  public static var table: String {
    "tolerances |a − e| ≤ atol + rtol·|e|: spikes exact except where expected |u − θ| < "
      + "\(marginTolerance); potentials \(potentials); loss \(loss); gradients atol "
      + "\(gradientAtolScale)·max|expected|, rtol \(gradientRtol)"
  }

  /// The table as written into `report.json`.
  static var tableJSON: JSON {
    func pair(_ t: Tolerance) -> JSON { .object(["atol": .number(t.atol), "rtol": .number(t.rtol)]) }
    return .object([
      "spikes": .object(["atol": .number(0), "rtol": .number(0),
                         "marginTolerance": .number(marginTolerance)]),
      "potentials": pair(potentials), "loss": pair(loss),
      "gradients": .object(["atolTimesMaxAbsExpected": .number(gradientAtolScale),
                            "rtol": .number(gradientRtol)]),
    ])
  }
}

/// The comparison of one file: how many elements fail and the worst one.
public struct TensorComparison: Sendable {
  /// The file name, for example `grad.op1.weights.npy`.
  public var name: String
  /// The kind, which chose the tolerance.
  public var kind: Tolerance.Kind
  /// The expected shape (`[]` for the loss).
  public var shape: [Int]
  /// The expected element count.
  public var count: Int
  /// Elements outside the tolerance (the whole count for a shape mismatch or unreadable file).
  public var failures: Int
  /// The worst element's index: `(n, c, h, w, t)` for a 5-D tensor, else `[flat offset]`.
  /// The worst is the failing element with the largest excess over its bound, or if none fails
  /// the element with the largest |actual − expected|. Empty when there is none.
  public var worstIndex: [Int]
  /// The actual value of the worst element.
  public var worstActual: Double
  /// The expected value of the worst element.
  public var worstExpected: Double
  /// The tolerance used.
  public var tolerance: Tolerance
  /// Anything else: a shape mismatch, an unreadable file, spikes excused by their margin.
  public var note: String

  /// Whether every element is within tolerance.
  public var agrees: Bool { failures == 0 }

  /// One report line: name, shape, ok/FAIL, worst element and index, tolerance.
  public var line: String {
    let shapeText = Npy.tupleText(shape)
    var text = "\(name) \(shapeText): " + (agrees ? "ok" : "FAIL, \(failures) of \(count) elements")
    if !worstIndex.isEmpty {
      let index = shape.isEmpty ? "" : shape.count == 5
        ? " at " + Npy.tupleText(worstIndex) : " at [\(worstIndex[0])]"
      text += "; worst\(index): actual \(worstActual), expected \(worstExpected), "
        + "|a − e| \(abs(worstActual - worstExpected))"
    }
    text += "; tolerance \(tolerance) (\(kind.rawValue))"
    return note.isEmpty ? text : text + "; " + note
  }
}

/// The comparison of a whole case: one entry per file, and the files the actual side lacked.
public struct Comparison: Sendable {
  /// One entry per compared file, in the order of `expected/`'s listing.
  public var entries: [TensorComparison]
  /// Files of `expected/` absent from the actual side (`report.json` is never required).
  public var missing: [String]

  /// Whether every file is present and within tolerance.
  public var agrees: Bool { missing.isEmpty && entries.allSatisfy(\.agrees) }

  /// One line per file, one per missing file, a verdict and the tolerance table.
  public func report() -> String {
    var lines = entries.map(\.line)
    lines += missing.map { "\($0): FAIL, missing from the actual directory" }
    let failed = entries.count { !$0.agrees }
    lines.append((agrees ? "agree" : "DISAGREE") + ": \(entries.count - failed) of "
      + "\(entries.count + missing.count) files ok, \(failed) failed, \(missing.count) missing")
    lines.append(Tolerance.table)
    return lines.joined(separator: "\n")
  }

  /// Compares `actual` with `expected` element by element under `kind`'s tolerance; a spike
  /// that differs where `potential` (the expected u of that spike op) is within
  /// ``Tolerance/marginTolerance`` of `theta` is counted in the note, not as a failure.
  static func compare(name: String, kind: Tolerance.Kind, expected: Npy.Array, actual: Npy.Array,
                      potential: [Double]?, theta: Double) -> TensorComparison {
    let e = expected.values, a = actual.values
    let tolerance = Tolerance.forKind(kind, expected: e)
    var result = TensorComparison(
      name: name, kind: kind, shape: expected.shape, count: e.count, failures: 0, worstIndex: [],
      worstActual: 0, worstExpected: 0, tolerance: tolerance, note: "")
    guard actual.shape == expected.shape else {
      result.failures = max(1, e.count)
      result.note = "shape mismatch: expected \(Npy.tupleText(expected.shape)), found "
        + Npy.tupleText(actual.shape)
      return result
    }
    let u = kind == .spikes && potential?.count == e.count ? potential : nil
    var worst = -1, worstKey = (0, -Double.infinity), excused = 0, firstExcused = 0
    for i in e.indices {
      let excess = abs(a[i] - e[i]) - (tolerance.atol + tolerance.rtol * abs(e[i]))
      var failed = !(excess <= 0)
      if failed, let u, abs(u[i] - theta) < Tolerance.marginTolerance {
        if excused == 0 { firstExcused = i }
        excused += 1
        failed = false
      }
      if failed { result.failures += 1 }
      // Among failures the largest excess over the bound; if none fails, the largest |a − e|.
      let difference = failed ? excess : abs(a[i] - e[i])
      let key = (failed ? 1 : 0, difference.isNaN ? Double.infinity : difference)
      if worst < 0 || key > worstKey { (worst, worstKey) = (i, key) }
    }
    if worst >= 0 {
      result.worstIndex = expected.shape.count == 5 ? multiIndex(worst, in: expected.shape) : [worst]
      (result.worstActual, result.worstExpected) = (a[worst], e[worst])
    }
    if excused > 0 {
      let at = Npy.tupleText(multiIndex(firstExcused, in: expected.shape))
      result.note = "\(excused) spike(s) differ where the expected |u − θ| < "
        + "\(Tolerance.marginTolerance), allowed (first at \(at))"
    }
    return result
  }
}

extension CaseRunner {
  /// Recomputes the case in `directory` and compares it with its `expected/`; `memoryLimit` as
  /// for ``run(_:memoryLimit:)``.
  ///
  /// - Throws: ``IOError`` if the case does not load, or `expected/` or one of its files is
  ///   missing or unreadable (run `slayer run CASE` first).
  public static func check(_ directory: URL, memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> Comparison {
    if TSSLCase.declares(directory) { return try TSSLCaseRunner.check(directory, memoryLimit: memoryLimit) }
    let c = try SlayerCase.load(directory, memoryLimit: memoryLimit)
    let expected = try expectedDirectory(directory)
    let result = compute(c)
    var actual: [String: Npy.Array] = [:]
    for a in result.arrays {
      actual[a.name] = Npy.Array(shape: a.shape, values: a.values.map(Double.init), dtype: "<f4")
    }
    if let loss = result.loss { actual["loss.json"] = Npy.Array(shape: [], values: [loss], dtype: "json") }
    return try compare(files: expectedFiles(c), theta: c.neuronParameters.theta, expected: expected) {
      actual[$0].map { .success($0) }
    }
  }

  /// Compares a backend's outputs in `actual` (the file names of `expected/`) with the case's
  /// `expected/`. A missing file is listed in ``Comparison/missing``; an unreadable one fails.
  /// `memoryLimit` as for ``run(_:memoryLimit:)``.
  ///
  /// - Throws: ``IOError`` if the case does not load, `expected/` or one of its files is missing
  ///   or unreadable, or `actual` is not a directory.
  public static func compare(_ directory: URL, actual: URL,
                             memoryLimit: Int = SlayerCase.defaultMemoryLimit) throws -> Comparison {
    if TSSLCase.declares(directory) { return try TSSLCaseRunner.compare(directory, actual: actual, memoryLimit: memoryLimit) }
    let c = try SlayerCase.load(directory, memoryLimit: memoryLimit)
    return try compare(files: expectedFiles(c), theta: c.neuronParameters.theta, expected: expectedDirectory(directory),
                       actualDirectory: actual)
  }

  /// Compares the files of `actual` named in `files` with those of `expected`.
  static func compare(files: [ExpectedFile], theta: Double, expected: URL, actualDirectory actual: URL) throws -> Comparison {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: actual.path, isDirectory: &isDirectory),
          isDirectory.boolValue else {
      throw IOError(file: actual.path, message: "actual: expected a directory of a backend's "
        + "outputs (the file names of expected/), found no such directory")
    }
    return try compare(files: files, theta: theta, expected: expected) { name in
      let url = actual.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else { return nil }
      do { return .success(try readFile(url, name: name)) } catch let error as IOError {
        return .failure(error)
      } catch {
        return .failure(IOError(file: url.path, message: "\(error)"))
      }
    }
  }

  /// Compares each of `files` (with θ for the margin excuse of spikes) as `actual` returns it
  /// with `expected/`'s.
  static func compare(files: [ExpectedFile], theta: Double, expected: URL,
                      actual: (String) -> Result<Npy.Array, IOError>?) throws -> Comparison {
    var expectedArrays: [String: Npy.Array] = [:]
    for f in files {
      let url = expected.appendingPathComponent(f.name)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw IOError(file: url.path, message: "expected/: expected the oracle's \(f.name), found "
          + "no such file; run `slayer run CASE` to rewrite expected/")
      }
      expectedArrays[f.name] = try readFile(url, name: f.name)
    }
    var comparison = Comparison(entries: [], missing: [])
    for f in files {
      let e = expectedArrays[f.name]!
      switch actual(f.name) {
      case nil: comparison.missing.append(f.name)
      case .failure(let error)?:
        comparison.entries.append(TensorComparison(
          name: f.name, kind: f.kind, shape: e.shape, count: e.values.count,
          failures: max(1, e.values.count), worstIndex: [], worstActual: 0, worstExpected: 0,
          tolerance: Tolerance.forKind(f.kind, expected: e.values), note: error.description))
      case .success(let a)?:
        comparison.entries.append(Comparison.compare(
          name: f.name, kind: f.kind, expected: e, actual: a,
          potential: f.potential.flatMap { expectedArrays[$0]?.values },
          theta: theta))
      }
    }
    return comparison
  }

  static func expectedDirectory(_ directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(expectedDirectoryName)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
          isDirectory.boolValue else {
      throw IOError(file: url.path, message: "expected/: expected the oracle's outputs, found no "
        + "such directory; run `slayer run CASE` first")
    }
    return url
  }

  /// An `.npy`, or `loss.json` as a 0-d array holding `"loss"` (null reads as NaN).
  static func readFile(_ url: URL, name: String) throws -> Npy.Array {
    guard name == "loss.json" else { return try Npy.read(url) }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw IOError(file: url.path, message: "open: expected a readable loss.json, found error: "
        + error.localizedDescription)
    }
    guard case .object(let fields) = try JSONValue.decode(data, file: url.path) else {
      throw IOError(file: url.path, message: "loss: expected a JSON object {\"loss\": <number>}")
    }
    switch fields["loss"] {
    case .number(let x)?: return Npy.Array(shape: [], values: [x], dtype: "json")
    case .null?: return Npy.Array(shape: [], values: [.nan], dtype: "json")
    case let other:
      throw IOError(file: url.path, message: "loss: expected a number, found "
        + CaseReader.describe(other))
    }
  }
}
