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
          options[name] = args[i + 1]
          i += 2
          continue
        }
        guard allowedFlags.contains(name) else {
          let known = (valued.sorted() + allowedFlags.sorted()).map { "--\($0)" }.joined(separator: ", ")
          throw UsageError("unknown option \(a); this command takes \(known.isEmpty ? "no options" : known)")
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
