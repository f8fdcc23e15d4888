// The one error type of the file layer: every problem with something a user hands in (a file,
// a directory) is reported as the file's path plus a message naming the field or byte offset,
// what was expected and what came instead (house style §5).
import Foundation

/// A problem with a file a user handed in, or with writing one.
///
/// The message names the field or byte offset, what was expected and what was found, for example
/// `header: expected descr '<f4', found '<f8'` or
/// `data: expected 4800 bytes for shape (2, 3, 1, 1, 200) of <f4, found 4796 (file truncated at
/// byte offset 4924)`.
public struct IOError: Error, CustomStringConvertible, Equatable, LocalizedError {
  /// The path of the file (or directory) concerned.
  public var file: String
  /// What went wrong: field or byte offset, expected, found.
  public var message: String

  /// An error about `file`.
  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }

  /// `"<file>: <message>"`.
  public var description: String { "\(file): \(message)" }

  /// The same text as ``description``, so `localizedDescription` shows it too.
  public var errorDescription: String? { description }
}
