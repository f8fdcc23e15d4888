import SlayerIO

/// A small command-line parser: positional arguments and `--name value` / `--flag` options.
///
/// Bad arguments are `UsageError`s (exit code 2) that say which argument, what was expected and
/// what came.
struct Arguments {
  private(set) var positional: [String] = []
  private var options: [String: String] = [:]
  private var flags: Set<String> = []
  private var used: Set<String> = []

  /// Splits `args`; `valued` lists the options that take a value.
  init(_ args: [String], valued: Set<String>, flags allowedFlags: Set<String>) throws {
    var i = 0
    while i < args.count {
      let a = args[i]
      if a.hasPrefix("--") {
        let name = String(a.dropFirst(2))
        if valued.contains(name) {
          guard i + 1 < args.count else { throw UsageError("option --\(name) expects a value, found the end of the arguments") }
          if let first = options[name] {
            throw UsageError("option --\(name) expects one value, found two: '\(first)' and '\(args[i + 1])'")
          }
          options[name] = args[i + 1]
          i += 2
          continue
        }
        guard allowedFlags.contains(name) else {
          let known = (valued.sorted() + allowedFlags.sorted()).map { "--\($0)" }.joined(separator: ", ")
          throw UsageError("unknown option \(a): expected \(known.isEmpty ? "no options" : "one of " + known), found \(a)")
        }
        flags.insert(name)
      } else {
        positional.append(a)
      }
      i += 1
    }
  }

  func flag(_ name: String) -> Bool { flags.contains(name) }

  func string(_ name: String) -> String? { options[name] }

  /// A path option: nil when absent; an empty value is an error (it would mean the working directory).
  func path(_ name: String) throws -> String? {
    guard let text = options[name] else { return nil }
    guard !text.isEmpty else { throw UsageError("option --\(name) expects a path, found an empty string") }
    return text
  }

  /// A positive, finite number option, or `defaultValue`.
  func positive(_ name: String, default defaultValue: Double) throws -> Double {
    guard let text = options[name] else { return defaultValue }
    guard let v = Double(text), v > 0, v.isFinite else {
      throw UsageError("option --\(name) expects a positive number, found '\(text)'")
    }
    return v
  }

  /// `--max-memory GB`: the memory a case may need, in decimal gigabytes (default 4), as bytes.
  func memoryLimit() throws -> Int {
    let limit = 1_000_000.0
    let gb = try positive("max-memory", default: Double(SlayerCase.defaultMemoryLimit) / 1e9)
    guard gb <= limit else {
      throw UsageError("option --max-memory expects at most \(Int(limit)) GB, found '\(options["max-memory"]!)'")
    }
    return Int((gb * 1e9).rounded())
  }

  /// An integer option in `range`, or `defaultValue`.
  func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
    guard let text = options[name] else { return defaultValue }
    guard let v = Int(text), range.contains(v) else {
      throw UsageError("option --\(name) expects an integer in \(range.lowerBound)...\(range.upperBound), found '\(text)'")
    }
    return v
  }

  /// Exactly `count` positional arguments, named for the message.
  func expectPositional(_ names: [String]) throws -> [String] {
    guard positional.count == names.count else {
      throw UsageError("expected \(names.count) argument(s) \(names.map { "<\($0)>" }.joined(separator: " ")), found \(positional.count)\(positional.isEmpty ? "" : ": \(positional.joined(separator: " "))")")
    }
    return positional
  }
}

/// A command-line mistake; printed with the usage line, exit code 2.
struct UsageError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }
}
