// The YAML subset of slayerPytorch's parameter files (`slayer.md` §7): block maps and lists by
// indentation, one-line flow maps and lists (`{dim: 250}`, `[1, 2]`), plain and quoted scalars, `#`
// comments, an optional `---`. Anchors, aliases, tags, block scalars, multi-line flow collections and
// several documents are rejected with a message that says so. Implementation goals, in order: never
// crash (indices bounds-checked, nesting ≤ `maxDepth`); every error names line, column, expected and
// found; small (a line-based recursive descent, no tokenizer).
import Foundation

/// A node of a parsed YAML document.
///
/// Scalars keep their text; ``number``, ``bool`` and ``string`` interpret it. A quoted scalar's text
/// is its unescaped content, so `'10'` reads as a number too. An empty value (`key:` with nothing
/// below it) is `.scalar("")`.
public enum YAMLValue: Equatable, Sendable {
  /// A map, with its keys in file order (keys are unique).
  case map([(key: String, value: YAMLValue)])
  /// A list.
  case list([YAMLValue])
  /// A scalar's text (unquoted, unescaped).
  case scalar(String)

  /// Structural equality, with map keys compared in order.
  public static func == (a: YAMLValue, b: YAMLValue) -> Bool {
    switch (a, b) {
    case let (.map(x), .map(y)): x.elementsEqual(y) { $0.key == $1.key && $0.value == $1.value }
    case let (.list(x), .list(y)): x == y
    case let (.scalar(x), .scalar(y)): x == y
    default: false
    }
  }

  /// Parses a whole document; `file` only names it in errors.
  public static func parse(_ text: String, file: String) throws -> YAMLValue {
    try YAMLDocument(parsing: text, file: file).root
  }

  /// The value of `key` when this is a map that has it, else nil.
  public subscript(key: String) -> YAMLValue? { entries?.first { $0.key == key }?.value }

  /// The entries when this is a map, else nil.
  public var entries: [(key: String, value: YAMLValue)]? { if case .map(let e) = self { e } else { nil } }
  /// The items when this is a list, else nil.
  public var items: [YAMLValue]? { if case .list(let items) = self { items } else { nil } }
  /// The text when this is a scalar, else nil.
  public var string: String? { if case .scalar(let text) = self { text } else { nil } }

  /// The scalar read as a YAML 1.2 number: `1`, `-2`, `1.0`, `.5`, `1.`, `1e-4`, `+3E+2`, and
  /// `.inf`, `-.inf`, `.nan`; nil for anything else (hex, `1_000`, `inf`, maps, lists).
  public var number: Double? {
    guard let text = string else { return nil }
    if text.wholeMatch(of: /[-+]?\.(inf|Inf|INF)/) != nil { return text.hasPrefix("-") ? -.infinity : .infinity }
    if text.wholeMatch(of: /\.(nan|NaN|NAN)/) != nil { return .nan }
    return text.wholeMatch(of: /[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?/) != nil ? Double(text) : nil
  }

  /// The scalar read as a boolean (`true`/`True`/`TRUE`, `false`/`False`/`FALSE`), else nil.
  public var bool: Bool? {
    ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false][string ?? ""]
  }

  /// A short description for messages: `a map`, `a list`, `nothing` or the quoted text.
  public var kind: String {
    string.map { $0.isEmpty ? "nothing" : "'\(YAMLParser.preview($0))'" } ?? (items == nil ? "a map" : "a list")
  }
}

/// A parsed document plus the line of every block key and list item, so that readers can point at it.
public struct YAMLDocument: Sendable {
  /// The document's root node (an empty map for an empty document).
  public var root: YAMLValue
  /// The 1-based line of every block map key and block list item, by path: `neuron.theta`, `layer[0]`.
  public var keyLines: [String: Int]

  /// The line of `path` (`layer[0].dim`), or of its nearest ancestor that has one: keys inside flow
  /// collections are not recorded, and those lie on their ancestor's line.
  public func line(of path: String) -> Int? {
    var p = Substring(path)
    while !p.isEmpty {
      if let n = keyLines[String(p)] { return n }
      p = p[..<(p.lastIndex { $0 == "." || $0 == "[" } ?? p.startIndex)]
    }
    return nil
  }

  /// Parses `text`; errors are ``IOError``s naming `file`, the line and the column.
  public init(parsing text: String, file: String) throws {
    var parser = try YAMLParser(text: text, file: file)
    root = try parser.parseDocument()
    keyLines = parser.keyLines
  }
}

/// The line-based recursive-descent parser behind ``YAMLDocument``; flow collections and quoted
/// strings are scanned within one line (`line`, from column `pos`).
struct YAMLParser {
  /// A non-blank line with its comment and trailing blanks removed; content starts at `indent`.
  struct Line { var number: Int, indent: Int, text: [Unicode.Scalar] }

  static let maxDepth = 64
  static let indicators = Set(",[]{}".unicodeScalars)
  let file: String
  var lines: [Line] = []
  var i = 0
  var keyLines: [String: Int] = [:]
  /// The line being scanned and the 0-based column in it.
  var line = Line(number: 0, indent: 0, text: [])
  var pos = 0
  var s: [Unicode.Scalar] { line.text }

  static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

  static func text(_ s: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(s)) }

  /// At most 30 characters of `text`, with `…` when cut.
  static func preview<S: Sequence<Unicode.Scalar>>(_ text: S) -> String {
    let all = Array(text)
    return Self.text(all.prefix(30)) + (all.count > 30 ? "…" : "")
  }

  static func preview(_ text: String) -> String { preview(text.unicodeScalars) }

  func fail(_ line: Int, _ column: Int, _ message: String) -> IOError {
    IOError(file: file, message: "line \(line), column \(column): \(message)")
  }

  /// An error at the 0-based column `column` of the line being scanned.
  func fail(_ column: Int, _ message: String) -> IOError { fail(line.number, column + 1, message) }

  /// Splits into lines, drops blank and comment lines, checks indentation and `---`.
  init(text: String, file: String) throws {
    self.file = file
    var all = Array(text.unicodeScalars)
    if all.first == "\u{FEFF}" { all.removeFirst() }
    var sawStart = false
    for (index, raw) in all.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      var s = Array(raw)
      s.removeSubrange((Self.commentStart(s) ?? s.count)...)
      while let last = s.last, Self.isBlank(last) || last == "\r" { s.removeLast() }
      guard let k = s.firstIndex(where: { !Self.isBlank($0) }) else { continue }
      if let tab = s[..<k].firstIndex(of: "\t") {
        throw fail(index + 1, tab + 1, "expected spaces for indentation, found a tab")
      }
      let content = Self.text(s[k...])
      if content == "---" && lines.isEmpty && !sawStart { sawStart = true; continue }
      if content == "---" || content.hasPrefix("--- ") || content == "..." {
        throw fail(index + 1, k + 1, "expected a single document, found '\(Self.preview(content))'")
      }
      lines.append(Line(number: index + 1, indent: k, text: s))
    }
  }

  /// Where a `#` comment starts: a `#` at the start or after a blank, outside quotes.
  static func commentStart(_ s: [Unicode.Scalar]) -> Int? {
    var quote: Unicode.Scalar?
    var j = 0
    while j < s.count {
      let c = s[j]
      if let q = quote {
        if q == "\"" && c == "\\" { j += 2; continue }
        if c == q {
          if q == "'" && j + 1 < s.count && s[j + 1] == "'" { j += 2; continue }
          quote = nil
        }
      } else if c == "#" && (j == 0 || isBlank(s[j - 1])) {
        return j
      } else if (c == "'" || c == "\"") && (j == 0 || isBlank(s[j - 1]) || indicators.contains(s[j - 1])) {
        quote = c
      }
      j += 1
    }
    return nil
  }

  static func isListItem(_ l: Line) -> Bool {
    l.text[l.indent] == "-" && (l.indent + 1 == l.text.count || isBlank(l.text[l.indent + 1]))
  }

  /// "<expected>, found '<the content of l>' at column <c>", at line l.
  func fail(_ l: Line, _ expected: String) -> IOError {
    let found = Self.preview(l.text[l.indent...])
    return fail(l.number, l.indent + 1, "\(expected), found '\(found)' at column \(l.indent + 1)")
  }

  mutating func parseDocument() throws -> YAMLValue {
    guard let first = lines.first else { return .map([]) }
    let root = try parseBlock(indent: first.indent, path: "", depth: 0)
    guard i < lines.count else { return root }
    throw fail(lines[i], lines[i].indent != first.indent ? "bad indentation: expected column \(first.indent + 1)"
      : root.items != nil ? "expected a list item '- '" : "expected end of document (the root is \(root.kind))")
  }

  /// The node whose first line is `lines[i]`, content at column `indent`.
  mutating func parseBlock(indent: Int, path: String, depth: Int) throws -> YAMLValue {
    let l = lines[i]
    guard depth < Self.maxDepth else {
      throw fail(l.number, indent + 1, "expected at most \(Self.maxDepth) levels of nesting, found more")
    }
    if Self.isListItem(l) { return try parseList(indent: indent, path: path, depth: depth) }
    if try keySplit(l) != nil { return try parseMap(indent: indent, path: path, depth: depth) }
    i += 1
    return try inlineValue(l, from: indent, depth: depth)
  }

  /// The key and the column after its `:` when `l` is `key: value`; nil when it is not a key line.
  mutating func keySplit(_ l: Line) throws -> (key: String, after: Int)? {
    let s = l.text, j = l.indent
    if s[j] == "{" || s[j] == "[" { return nil }
    if s[j] == "?" && (j + 1 == s.count || Self.isBlank(s[j + 1])) {
      throw fail(l.number, j + 1, "expected a plain key, found complex key '?' (not supported)")
    }
    if s[j] == "'" || s[j] == "\"" {
      (line, pos) = (l, j)
      let key = try quoted()
      skipBlanks()
      guard pos < s.count, s[pos] == ":", pos + 1 == s.count || Self.isBlank(s[pos + 1]) else { return nil }
      return (key, pos + 1)
    }
    for k in j..<s.count where s[k] == ":" && (k + 1 == s.count || Self.isBlank(s[k + 1])) {
      let key = Self.text(s[j..<k]).trimmingCharacters(in: .whitespaces)
      guard !key.isEmpty else { throw fail(l.number, j + 1, "expected a key before ':', found nothing") }
      return (key, k + 1)
    }
    return nil
  }

  mutating func parseMap(indent: Int, path: String, depth: Int) throws -> YAMLValue {
    var entries: [(key: String, value: YAMLValue)] = []
    var seen: [String: Int] = [:]
    while i < lines.count && lines[i].indent >= indent {
      let l = lines[i]
      if l.indent > indent { throw fail(l, "bad indentation: expected a key at column \(indent + 1)") }
      if Self.isListItem(l) { throw fail(l, "expected a map key, not a list item") }
      guard let (key, after) = try keySplit(l) else { throw fail(l, "expected 'key: value'") }
      if let first = seen[key] {
        throw fail(l.number, l.indent + 1, "duplicate key '\(Self.preview(key))': expected each key once in a map, found it again (first at line \(first))")
      }
      seen[key] = l.number
      let p = path.isEmpty ? key : path + "." + key
      keyLines[p] = l.number
      i += 1
      let start = l.text[after...].firstIndex { !Self.isBlank($0) }
      let value: YAMLValue
      if let start {
        value = try inlineValue(l, from: start, depth: depth + 1)
      } else if i < lines.count && lines[i].indent > indent {
        value = try parseBlock(indent: lines[i].indent, path: p, depth: depth + 1)
      } else if i < lines.count && lines[i].indent == indent && Self.isListItem(lines[i]) {
        value = try parseList(indent: indent, path: p, depth: depth + 1)  // `key:` then `- a` at its column
      } else {
        value = .scalar("")
      }
      entries.append((key, value))
    }
    return .map(entries)
  }

  mutating func parseList(indent: Int, path: String, depth: Int) throws -> YAMLValue {
    var items: [YAMLValue] = []
    while i < lines.count && lines[i].indent >= indent {
      let l = lines[i]
      if l.indent > indent { throw fail(l, "bad indentation: expected a list item '- ' at column \(indent + 1)") }
      guard Self.isListItem(l) else { break }
      let p = "\(path)[\(items.count)]"
      keyLines[p] = l.number
      if let start = l.text[(l.indent + 1)...].firstIndex(where: { !Self.isBlank($0) }) {
        lines[i].indent = start  // `- key: v` or `- {dim: 250}`: the item's content is a line of its own
        items.append(try parseBlock(indent: start, path: p, depth: depth + 1))
      } else {
        i += 1
        let nested = i < lines.count && lines[i].indent > indent
        items.append(nested ? try parseBlock(indent: lines[i].indent, path: p, depth: depth + 1) : .scalar(""))
      }
    }
    return .list(items)
  }

  /// The value that fills the rest of line `l` from column `from`.
  mutating func inlineValue(_ l: Line, from: Int, depth: Int) throws -> YAMLValue {
    (line, pos) = (l, from)
    let value = try value(closer: nil, depth: depth)
    skipBlanks()
    if pos < s.count { throw fail(pos, "expected end of line after \(value.kind), found \(found)") }
    return value
  }

  mutating func skipBlanks() { while pos < s.count && Self.isBlank(s[pos]) { pos += 1 } }

  var found: String { pos < s.count ? "'\(Self.preview(s[pos...]))'" : "end of line" }

  /// A value; `closer` is `}` or `]` inside a flow collection, nil in block context.
  mutating func value(closer: Unicode.Scalar?, depth: Int) throws -> YAMLValue {
    skipBlanks()
    guard depth < Self.maxDepth else {
      throw fail(pos, "expected at most \(Self.maxDepth) levels of nesting, found more")
    }
    guard pos < s.count else {
      if let closer { throw fail(pos, "unterminated flow collection: expected '\(closer)', found end of line") }
      return .scalar("")
    }
    let c = s[pos]
    switch c {
    case "{", "[": return try flow(closer: c == "{" ? "}" : "]", depth: depth)
    case "'", "\"": return .scalar(try quoted())
    case "&", "*", "!", "|", ">", "%", "@", "`":
      throw fail(pos, "expected a plain or quoted scalar, found '\(c)' (anchors, aliases, tags and block "
        + "scalars are not supported)")
    case "-" where pos + 1 == s.count || Self.isBlank(s[pos + 1]):
      throw fail(pos, "expected a value, found a list item '- ' (a block list starts on its own line)")
    default: break
    }
    let start = pos
    let text = plain(flow: closer != nil)
    if closer != nil && text.isEmpty { throw fail(pos, "expected a value, found \(found)") }
    if closer == nil && pos < s.count {  // plain() stopped at ': ' in block context
      throw fail(pos, "expected one value after the key, found a second ': ' in '\(Self.preview(s[start...]))'")
    }
    return .scalar(text)
  }

  /// A plain scalar, trimmed; in flow context it stops at `,`, `[`, `]`, `{`, `}` and `: `.
  mutating func plain(flow: Bool) -> String {
    let start = pos
    while pos < s.count {
      let c = s[pos], next = pos + 1 < s.count ? s[pos + 1] : " "
      if c == ":" && (Self.isBlank(next) || (flow && Self.indicators.contains(next))) { break }
      if flow && Self.indicators.contains(c) { break }
      pos += 1
    }
    return Self.text(s[start..<pos]).trimmingCharacters(in: .whitespaces)
  }

  /// `{k: v, …}` or `[v, …]` on this line.
  mutating func flow(closer: Unicode.Scalar, depth: Int) throws -> YAMLValue {
    let open = pos, what = closer == "}" ? "flow map" : "flow list"
    let unterminated = "unterminated \(what) opened at column \(open + 1): expected '\(closer)', found end of line"
    pos += 1
    var entries: [(key: String, value: YAMLValue)] = [], items: [YAMLValue] = []
    var seen: [String: Int] = [:]
    while true {
      skipBlanks()
      guard pos < s.count else { throw fail(pos, unterminated) }
      if s[pos] == closer { pos += 1; break }
      if closer == "]" {
        items.append(try value(closer: closer, depth: depth + 1))
      } else {
        let keyColumn = pos
        let key = s[pos] == "'" || s[pos] == "\"" ? try quoted() : plain(flow: true)
        if key.isEmpty && keyColumn == pos { throw fail(pos, "expected a key in \(what), found \(found)") }
        skipBlanks()
        guard pos < s.count, s[pos] == ":" else {
          throw fail(pos, "expected ':' after key '\(Self.preview(key))' in \(what), found \(found)")
        }
        if let first = seen[key] {
          throw fail(keyColumn, "duplicate key '\(Self.preview(key))' in \(what): expected each key once, found it again (first at column \(first))")
        }
        seen[key] = keyColumn + 1
        pos += 1
        entries.append((key, try value(closer: closer, depth: depth + 1)))
      }
      skipBlanks()
      if pos < s.count && s[pos] == "," { pos += 1; continue }
      guard pos < s.count else { throw fail(pos, unterminated) }
      if s[pos] != closer { throw fail(pos, "expected ',' or '\(closer)' in \(what), found \(found)") }
    }
    return closer == "}" ? .map(entries) : .list(items)
  }

  /// A single- or double-quoted scalar's content; `''` and the common `\` escapes are decoded.
  mutating func quoted() throws -> String {
    let q = s[pos], open = pos
    pos += 1
    var out = String.UnicodeScalarView()
    while pos < s.count {
      let c = s[pos]
      if c == q {
        if q == "'" && pos + 1 < s.count && s[pos + 1] == "'" { out.append("'"); pos += 2; continue }
        pos += 1
        return String(out)
      }
      if q == "\"" && c == "\\" && pos + 1 < s.count {
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
          "n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", "\"": "\"", "/": "/", " ": " ", "'": "'"]
        let e = s[pos + 1]
        if let decoded = simple[e] { out.append(decoded); pos += 2; continue }
        let width = e == "x" ? 2 : e == "u" ? 4 : e == "U" ? 8 : 0
        let hex = Self.text(s[(pos + 2)..<min(s.count, pos + 2 + width)])
        guard width > 0, hex.count == width, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code)
        else { throw fail(pos, "expected an escape such as \\n, \\t, \\\", \\\\ or \\uXXXX, found '\\\(e)'") }
        out.append(scalar)
        pos += 2 + width
        continue
      }
      out.append(c)
      pos += 1
    }
    let kind = q == "'" ? "single" : "double"
    throw fail(open, "unterminated \(kind)-quoted string: expected a closing \(q), found end of line")
  }
}
