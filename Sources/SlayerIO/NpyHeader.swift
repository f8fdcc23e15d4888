// The `.npy` header: a Python dict literal such as
//
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
// numpy reads it with `ast.literal_eval`; this file parses the same subset of Python literal syntax
// (dict, tuple, list, str, int, float, True/False/None) by recursive descent, then checks the three
// fields. Every index is bounds-checked and nesting is limited, so no header bytes can crash it.
extension Npy {
  /// The header's three fields, checked.
  struct Header {
    var descr: String
    var shape: [Int]
    var itemSize: Int
  }

  /// Parses and checks the header dict; `bytes` keeps file offsets as indices.
  static func parseHeader(_ bytes: ArraySlice<UInt8>, utf8: Bool, file: String) throws -> Header {
    func failure(_ message: String) -> IOError {
      IOError(file: file, message: "header: " + message)
    }
    var parser = LiteralParser(bytes: bytes, utf8: utf8)
    let literal: Literal
    do {
      literal = try parser.parseAll()
    } catch {
      throw failure("expected \(error.expected) at byte offset \(error.offset), found "
        + "\(error.found) (the header must be a Python dict literal)")
    }
    guard case .dict(let entries) = literal else {
      throw failure("expected a Python dict literal such as {'descr': '<f4', 'fortran_order': "
        + "False, 'shape': (2, 3), }, found \(literal.kind) \(literal.text)")
    }
    let keys = ["descr", "fortran_order", "shape"]
    var fields: [String: Literal] = [:]
    for (key, value) in entries {
      guard keys.contains(key) else {
        throw failure("expected only the keys 'descr', 'fortran_order' and 'shape', found key "
          + Literal.string(key).text)
      }
      fields[key] = value
    }
    for key in keys where fields[key] == nil {
      let found = entries.isEmpty ? "no keys" : "keys " + entries.map { "'\($0.key)'" }
        .joined(separator: ", ")
      throw failure("expected key '\(key)', found \(found)")
    }

    guard case .string(let descr)? = fields["descr"] else {
      let found = fields["descr"] ?? .pyNone
      let note = found.kind == "a list" ? " (structured dtypes are not supported)" : ""
      throw failure("expected descr to be a string such as '<f4', found \(found.kind) "
        + found.text + note)
    }
    guard let itemSize = supportedDescrs.first(where: { $0.descr == descr })?.size else {
      if descr.hasPrefix(">") {
        throw failure("expected a little-endian descr such as '<f4', found "
          + "\(Literal.string(descr).text) (big-endian data is not supported)")
      }
      let supported = supportedDescrs.map { "'\($0.descr)'" }.joined(separator: ", ")
      throw failure("expected descr one of \(supported), found \(Literal.string(descr).text)")
    }

    switch fields["fortran_order"] {
    case .bool(false)?: break
    case .bool(true)?:
      throw failure("expected 'fortran_order': False (C order), found True (Fortran order is "
        + "not supported)")
    case let other:
      let found = other ?? .pyNone
      throw failure("expected fortran_order to be False, found \(found.kind) \(found.text)")
    }

    guard case .tuple(let entriesOfShape)? = fields["shape"] else {
      let found = fields["shape"] ?? .pyNone
      throw failure("expected shape to be a tuple of integers such as (2, 3), found "
        + "\(found.kind) \(found.text)")
    }
    var shape: [Int] = []
    for (axis, entry) in entriesOfShape.enumerated() {
      var context: String { "at entry \(axis) of shape \(Literal.tuple(entriesOfShape).text)" }
      switch entry {
      case .int(let extent) where extent >= 0: shape.append(extent)
      case .int(let extent):
        throw failure("expected non-negative shape entries, found \(extent) \(context)")
      case .bigInt(let digits):
        throw failure("expected shape entries that fit in 64 bits, found \(digits) \(context)")
      default: throw failure("expected integer shape entries, found \(entry.text) \(context)")
      }
    }
    return Header(descr: descr, shape: shape, itemSize: itemSize)
  }

  /// A Python literal, the subset `ast.literal_eval` of a header can meet.
  indirect enum Literal {
    case string(String), bool(Bool), pyNone
    case int(Int), bigInt(String), float(String)
    case tuple([Literal]), list([Literal]), dict([(key: String, value: Literal)])

    /// "a string", "a tuple", … for messages.
    var kind: String {
      switch self {
      case .string: "a string"
      case .bool: "a bool"
      case .pyNone: "None"
      case .int, .bigInt: "an integer"
      case .float: "a float"
      case .tuple: "a tuple"
      case .list: "a list"
      case .dict: "a dict"
      }
    }

    /// Python-like repr, with non-printable characters escaped, for messages.
    var text: String {
      switch self {
      case .string(let s):
        let body = s.unicodeScalars.prefix(40).map { $0.escaped(asASCII: true) }.joined()
        return "'" + body + (s.unicodeScalars.count > 40 ? "…'" : "'")
      case .bool(let b): return b ? "True" : "False"
      case .pyNone: return "None"
      case .int(let v): return String(v)
      case .bigInt(let s), .float(let s): return s
      case .tuple(let items):
        return items.count == 1 ? "(\(items[0].text),)" : "(" + Literal.join(items, \.text) + ")"
      case .list(let items): return "[" + Literal.join(items, \.text) + "]"
      case .dict(let entries):
        return "{" + Literal.join(entries) { "'\($0.key)': \($0.value.text)" } + "}"
      }
    }

    /// Comma-separated, at most 8 items, so a hostile header cannot make a huge message.
    static func join<T>(_ items: [T], _ text: (T) -> String) -> String {
      items.prefix(8).map(text).joined(separator: ", ") + (items.count > 8 ? ", …" : "")
    }
  }

  /// A recursive-descent parser for Python dict/tuple/list/str/int/float/bool/None literals.
  struct LiteralParser {
    /// Where parsing stopped, what it wanted and what it saw.
    struct Failure: Error {
      var offset: Int
      var expected: String
      var found: String
    }

    let bytes: ArraySlice<UInt8>
    let utf8: Bool
    var position: Int
    var depth = 0

    init(bytes: ArraySlice<UInt8>, utf8: Bool) {
      self.bytes = bytes
      self.utf8 = utf8
      self.position = bytes.startIndex
    }

    /// One value followed only by whitespace (numpy's padding and final newline).
    mutating func parseAll() throws(Failure) -> Literal {
      let value = try parseValue()
      skipSpace()
      guard position == bytes.endIndex else { throw fail("the end of the header") }
      return value
    }

    mutating func parseValue() throws(Failure) -> Literal {
      skipSpace()
      switch peek() {
      case UInt8(ascii: "{")?: return try parseDict()
      case UInt8(ascii: "(")?: return try parseSequence(close: UInt8(ascii: ")"))
      case UInt8(ascii: "[")?: return try parseSequence(close: UInt8(ascii: "]"))
      case UInt8(ascii: "'")?, UInt8(ascii: "\"")?: return .string(try parseString())
      case let b? where b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || isDigit(b):
        return try parseNumber()
      default:
        let start = position
        let letters = UInt8(ascii: "a")...UInt8(ascii: "z")
        while let b = peek(), isDigit(b) || letters.contains(b | 0x20) { position += 1 }
        switch String(decoding: bytes[start..<position], as: UTF8.self) {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .pyNone
        default:
          position = start
          throw fail("a value")
        }
      }
    }

    mutating func parseDict() throws(Failure) -> Literal {
      try enter()
      defer { depth -= 1 }
      var entries: [(key: String, value: Literal)] = []
      while true {
        skipSpace()
        if peek() == UInt8(ascii: "}") { position += 1; return .dict(entries) }
        guard peek() == UInt8(ascii: "'") || peek() == UInt8(ascii: "\"") else {
          throw fail("a string key or '}'")
        }
        let key = try parseString()
        skipSpace()
        guard peek() == UInt8(ascii: ":") else { throw fail("':'") }
        position += 1
        entries.append((key, try parseValue()))
        skipSpace()
        if peek() == UInt8(ascii: ",") { position += 1; continue }
        guard peek() == UInt8(ascii: "}") else { throw fail("',' or '}'") }
      }
    }

    /// A tuple or list; `(x)` without a comma is just `x`, as in Python.
    mutating func parseSequence(close: UInt8) throws(Failure) -> Literal {
      try enter()
      defer { depth -= 1 }
      var items: [Literal] = []
      var sawComma = false
      while true {
        skipSpace()
        if peek() == close { position += 1; break }
        items.append(try parseValue())
        skipSpace()
        if peek() == UInt8(ascii: ",") { position += 1; sawComma = true; continue }
        guard peek() == close else { throw fail("',' or '\(Character(Unicode.Scalar(close)))'") }
      }
      guard close == UInt8(ascii: ")") else { return .list(items) }
      return items.count == 1 && !sawComma ? items[0] : .tuple(items)
    }

    /// A quoted string; backslash escapes `\n`, `\t` and any other character taken literally.
    mutating func parseString() throws(Failure) -> String {
      let start = position
      let quote = bytes[position]
      position += 1
      var content: [UInt8] = []
      while let b = peek(), b != 0x0A {
        position += 1
        if b == quote {
          return utf8
            ? String(decoding: content, as: UTF8.self)
            : String(String.UnicodeScalarView(content.map { Unicode.Scalar($0) }))  // latin-1
        }
        if b == UInt8(ascii: "\\"), let escaped = peek() {
          position += 1
          switch escaped {
          case UInt8(ascii: "n"): content.append(0x0A)
          case UInt8(ascii: "t"): content.append(0x09)
          default: content.append(escaped)
          }
        } else {
          content.append(b)
        }
      }
      throw Failure(offset: position, expected: "a closing quote for the string opened at byte "
        + "offset \(start)", found: foundText())
    }

    /// An integer (`.int`, or `.bigInt` beyond 64 bits) or a float (`.float`, kept as text).
    mutating func parseNumber() throws(Failure) -> Literal {
      let start = position
      if let b = peek(), b == UInt8(ascii: "-") || b == UInt8(ascii: "+") { position += 1 }
      let digitsStart = position
      var isFloat = false
      while let b = peek() {
        if isDigit(b) {
        } else if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
          isFloat = true
        } else if isFloat, b == UInt8(ascii: "-") || b == UInt8(ascii: "+") {
        } else {
          break
        }
        position += 1
      }
      guard bytes[digitsStart..<position].contains(where: isDigit) else {
        position = start
        throw fail("a number")
      }
      let text = String(decoding: bytes[start..<position], as: UTF8.self)
      if isFloat { return .float(text) }
      return Int(text).map(Literal.int) ?? .bigInt(text)
    }

    /// Nesting guard, so that `((((…` cannot exhaust the stack.
    mutating func enter() throws(Failure) {
      guard depth < 32 else { throw fail("at most 32 levels of nesting") }
      depth += 1
      position += 1
    }

    func peek() -> UInt8? { position < bytes.endIndex ? bytes[position] : nil }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    mutating func skipSpace() {
      while let b = peek(), b == 0x20 || (0x09...0x0D).contains(b) { position += 1 }
    }

    func fail(_ expected: String) -> Failure {
      Failure(offset: position, expected: expected, found: foundText())
    }

    /// The next few bytes, printable ASCII as is and others as `\xNN`.
    func foundText() -> String {
      guard position < bytes.endIndex else { return "the end of the header" }
      let next = bytes[position..<min(position + 16, bytes.endIndex)]
      return "'" + next.map { b in
        (0x20..<0x7F).contains(b)
          ? String(Character(Unicode.Scalar(b))) : "\\x" + hex([b])
      }.joined() + "'"
    }
  }
}
