import Foundation
import SlayerCore
import SlayerIO

#if canImport(Glibc)
  import Glibc
#endif

/// `slayer bench`: times the fixed suite of ``BenchSuite`` (one line per benchmark, or JSON lines),
/// and with `--check` runs every benchmark under both engines (``Engine/Mode``) and fails unless
/// their outputs, potentials, losses and gradients agree bit for bit.
enum BenchCommand {
  /// One benchmark's figures.
  struct Result: Encodable {
    var name: String
    var shape: String
    var threads: Int
    /// Samples per run (1 for a whole-run benchmark) and what the times are per.
    var samples: Int
    var unit: String
    var repeats: Int
    /// Wall seconds per sample (per run) over the timed repeats.
    var medianSeconds: Double, minSeconds: Double, maxSeconds: Double
    /// Median CPU seconds (user + system, all threads) per sample (per run): what the run cost the
    /// machine, whatever else was running on it.
    var cpuSeconds: Double
    /// Peak resident memory while the benchmark was built and run, MB.
    var peakMB: Double
    /// Spikes per sample at the input and at each spike op.
    var spikes: [Double]
    var targetSeconds: Double?
    var meetsTarget: Bool?
  }

  static func run(_ args: [String]) throws -> Int32 {
    let a = try Arguments(args, valued: ["threads", "repeats", "filter", "svg", "engine"], flags: ["json", "check", "quick", "ops"])
    _ = try a.expectPositional([])
    if let engine = a.string("engine") {
      guard let mode = Engine.Mode(rawValue: engine) else {
        throw UsageError("option --engine expects sparse or dense, found '\(engine)'")
      }
      Engine.mode = mode
    }
    Parallel.maxThreads = try a.int("threads", default: 0, in: 0...256)
    let repeats = a.string("repeats") == nil ? nil : try a.int("repeats", default: 1, in: 1...1000)
    let json = a.flag("json"), quick = a.flag("quick")
    let all = BenchSuite.all()
    let selected = all.filter { a.string("filter") == nil || $0.name.contains(a.string("filter")!) }
    guard !selected.isEmpty else {
      throw UsageError("option --filter matches no benchmark; the benchmarks are \(all.map(\.name).joined(separator: ", "))")
    }
    if a.flag("check") { return try check(selected, quick: quick, json: json) }

    #if DEBUG
      let build = "debug build (figures are ~30x slower than release)"
    #else
      let build = "release build"
    #endif
    if !json {
      say("slayer bench: \(build), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Parallel.threads) thread(s), "
            + "engine \(Engine.mode.rawValue)\(quick ? ", quick configurations" : ""); seconds per sample unless the unit says run")
      say(row(["benchmark", "shape", "thr", "n", "median", "min", "max", "cpu", "peak MB", "spikes per sample (input; spike ops)", "target"]))
    }
    var results: [Result] = []
    for b in selected {
      resetPeakMemory()
      let workload: BenchSuite.Workload
      do { workload = try b.make(quick) } catch let skip as BenchSuite.Skip {
        say(json ? jsonLine(["name": b.name, "skipped": skip.description]) : "\(b.name): skipped: \(skip.description)")
        continue
      }
      let clock = ContinuousClock()
      workload.prepare()
      workload.run()  // warm-up
      var times: [Double] = [], cpu: [Double] = []
      for _ in 0..<(repeats ?? b.repeats) {
        workload.prepare()
        let start = clock.now, cpuStart = cpuSeconds()
        workload.run()
        times.append(seconds(clock.now - start) / Double(workload.samples))
        cpu.append((cpuSeconds() - cpuStart) / Double(workload.samples))
      }
      times.sort()
      cpu.sort()
      let peak = peakMemoryMB()
      let result = Result(
        name: b.name, shape: b.shape, threads: Parallel.threads, samples: workload.samples, unit: workload.unit,
        repeats: times.count, medianSeconds: median(times), minSeconds: times[0], maxSeconds: times[times.count - 1],
        cpuSeconds: median(cpu), peakMB: peak, spikes: workload.spikes(), targetSeconds: b.target, meetsTarget: b.target.map { median(times) <= $0 })
      results.append(result)
      if a.flag("ops"), let ops = workload.ops {
        let steps = ops(repeats ?? b.repeats)
        let total = steps.reduce(0) { $0 + $1.seconds }
        for step in steps {
          say("    \(step.name.padding(toLength: 72, withPad: " ", startingAt: 0)) \(pad(Int((1e6 * step.seconds).rounded()), 9)) µs  "
                + "\(fmt(100 * step.seconds / total, 1)) %")
        }
        say("    \("one training step, op by op (fastest of each)".padding(toLength: 72, withPad: " ", startingAt: 0)) "
              + "\(pad(Int((1e6 * total).rounded()), 9)) µs")
      }
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        say(String(decoding: try encoder.encode(result), as: UTF8.self))
      } else {
        say(row([result.name, result.shape, "\(result.threads)", "\(result.samples)", time(result.medianSeconds, result.unit),
                 time(result.minSeconds, result.unit), time(result.maxSeconds, result.unit), time(result.cpuSeconds, result.unit),
                 fmt(result.peakMB, 0),
                 result.spikes.map { fmt($0, 0) }.joined(separator: "; "),
                 result.targetSeconds.map { "\(time($0, result.unit)) \(result.meetsTarget! ? "met" : "MISSED")" } ?? "-"]))
      }
    }
    if let path = a.string("svg") {
      try sweepFigure(results).write(to: URL(fileURLWithPath: path))
      if !json { say("wrote \(path)") }
    }
    return 0
  }

  /// Runs each benchmark's recorded run under the dense and the event-driven engine and compares
  /// every bit; also times one run of each (per sample, or per run).
  static func check(_ selected: [BenchSuite.Benchmark], quick: Bool, json: Bool) throws -> Int32 {
    let saved = Engine.mode
    defer { Engine.mode = saved }
    var failures = 0
    if !json {
      say("slayer bench --check: each benchmark's run under the dense and the event-driven engine, compared bit for bit "
            + "(\(Parallel.threads) thread(s)\(quick ? ", quick configurations" : ""))")
    }
    for b in selected {
      var records: [BenchSuite.Record] = [], times: [Double] = []
      var unit = "sample"
      do {
        for mode in [Engine.Mode.dense, .sparse] {
          Engine.mode = mode
          // The epoch's check trains on 16 samples: a whole epoch on the dense engine takes hours.
          let workload = try b.make(quick || b.name == "epoch-nmnistsmall")
          let clock = ContinuousClock(), start = clock.now
          records.append(workload.record())
          times.append(seconds(clock.now - start) / Double(workload.samples))
          unit = workload.unit
        }
      } catch let skip as BenchSuite.Skip {
        say(json ? jsonLine(["name": b.name, "skipped": skip.description]) : "\(b.name): skipped: \(skip.description)")
        continue
      }
      let difference = records[0].difference(from: records[1])
      if difference != nil { failures += 1 }
      let speedup = times[0] / max(times[1], 1e-12)
      if json {
        say(jsonLine(["name": b.name, "identical": difference == nil ? "true" : "false", "values": "\(records[1].count)",
                      "tensors": "\(records[1].entries.count)", "denseSeconds": "\(times[0])", "sparseSeconds": "\(times[1])",
                      "unit": unit, "difference": difference ?? ""]))
      } else {
        let verdict = difference.map { "DIFFER: \($0)" } ?? "bit-identical (\(records[1].count) values in \(records[1].entries.count) tensors)"
        say("\(b.name): \(verdict); checked run: dense \(time(times[0], unit)), event-driven \(time(times[1], unit)) per \(unit) "
              + "(\(fmt(speedup, 1))x)")
      }
    }
    if !json { say(failures == 0 ? "check passed: the engines agree on every benchmark" : "check FAILED on \(failures) benchmark(s)") }
    return failures == 0 ? 0 : 1
  }

  // MARK: Figures

  /// Time per sample against the factor by which T, the hidden neurons or the input events change,
  /// from the `sweep-*` results, with the line of proportional growth for comparison.
  static func sweepFigure(_ results: [Result]) -> SVG {
    var svg = SVG(width: 720, height: 480)
    svg.text(360, 24, "nmnist-mlp-train: time per sample as one quantity is halved or doubled", size: 15, anchor: "middle")
    let byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    guard let center = byName["sweep-T300"] else {
      svg.text(360, 240, "run the sweep-* benchmarks (with sweep-T300) to draw this figure", anchor: "middle")
      return svg
    }
    let lines: [(String, String, [(Double, String)])] = [
      ("T (input events scale with T)", "#1f77b4", [(0.5, "sweep-T150"), (1, "sweep-T300"), (2, "sweep-T600")]),
      ("hidden neurons", "#ff7f0e", [(0.5, "sweep-hidden256"), (1, "sweep-T300"), (2, "sweep-hidden1024")]),
      ("input events (T fixed)", "#2ca02c", [(0.5, "sweep-events2350"), (1, "sweep-T300"), (2, "sweep-events9400")]),
    ]
    let ms = results.filter { $0.name.hasPrefix("sweep-") }.map { 1000 * $0.medianSeconds }
    let c = 1000 * center.medianSeconds
    let x = Axis(0.5, 2, pixels: 90, 650, log: true)
    let y = Axis(max(1e-3, min(ms.min() ?? c, c / 2) / 1.2), max(ms.max() ?? c, 2 * c) * 1.2, pixels: 420, 50, log: true)
    svg.rect(90, 50, 560, 370, fill: "none", stroke: "#444")
    svg.polyline([(x(0.5), y(c / 2)), (x(2), y(2 * c))], stroke: "#999", width: 1, dash: "4 3")
    svg.text(x(2) - 4, y(2 * c) - 6, "proportional", size: 10, anchor: "end", fill: "#777")
    for (k, (label, color, points)) in lines.enumerated() {
      let found = points.compactMap { p in byName[p.1].map { (x(p.0), y(1000 * $0.medianSeconds)) } }
      svg.polyline(found, stroke: color, width: 2)
      for (px, py) in found { svg.circle(px, py, r: 3.5, fill: color) }
      svg.rect(110, 64 + 18 * Double(k), 14, 4, fill: color)
      svg.text(130, 70 + 18 * Double(k), label, size: 12)
    }
    for f in [0.5, 1, 2] { svg.text(x(f), 438, f == 1 ? "1 (T 300, 512 hidden, 4700 events)" : "\(f)x", size: 11, anchor: "middle") }
    svg.text(370, 462, "factor (log scale)", size: 12, anchor: "middle")
    svg.text(84, 54, "\(fmt(y.hi, 1)) ms", size: 10, anchor: "end")
    svg.text(84, 420, "\(fmt(y.lo, 1)) ms", size: 10, anchor: "end")
    svg.text(84, y(c) + 4, "\(fmt(c, 1)) ms", size: 10, anchor: "end")
    return svg
  }

  // MARK: Helpers

  static func median(_ sorted: [Double]) -> Double {
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
  }

  /// Seconds as ms (per sample) or s (per run).
  static func time(_ s: Double, _ unit: String) -> String {
    unit == "run" ? "\(fmt(s, 2)) s" : (s < 0.1 ? "\(fmt(1000 * s, s < 0.01 ? 2 : 1)) ms" : "\(fmt(s, 2)) s")
  }

  static let widths = [20, 44, 3, 4, 9, 9, 9, 9, 7, 32, 16]

  static func row(_ cells: [String]) -> String {
    zip(cells, widths).enumerated().map { k, p in
      let (cell, width) = p
      let padding = String(repeating: " ", count: max(0, width - cell.count))
      return k <= 1 || k >= 9 ? cell + padding : padding + cell
    }.joined(separator: " ")
  }

  static func jsonLine(_ fields: [String: String]) -> String {
    let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  static func say(_ line: String) {
    print(line)
    fflush(nil)
  }

  /// User plus system CPU time of the whole process so far, in seconds.
  static func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }

  /// Resets the kernel's peak-RSS mark of this process (Linux `clear_refs` 5), where allowed.
  ///
  /// Memory freed by earlier benchmarks is first handed back to the system (`malloc_trim`), since
  /// `slayer` asks the allocator to keep freed memory (``keepFreedMemory()``) and it would otherwise
  /// count toward every later benchmark's peak.
  static func resetPeakMemory() {
    #if os(Linux)
      _ = glibcMallocTrim(0)
    #endif
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
  }

  /// Peak resident memory since the last reset, MB: `VmHWM` of `/proc/self/status`, else
  /// `getrusage`'s `ru_maxrss` (the whole process's peak).
  static func peakMemoryMB() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kB = Double(line.split(separator: " ").dropFirst().first ?? "")
    {
      return kB / 1024
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
  }
}
