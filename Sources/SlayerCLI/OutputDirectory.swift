import Foundation
import SlayerIO

/// The `--out DIR` of a command that replaces a whole directory (`demo`): the directory is
/// swapped for a new one and the old one deleted (``AtomicFile/replaceDirectory(at:build:)``), so
/// a mistyped `--out ~` or `--out /tmp` must not be taken for an old output.
enum OutputDirectory {
  /// Throws unless `url` does not exist, is an empty directory, or holds one of `markers`, the
  /// files a previous run of the same command wrote there.
  static func checkReplaceable(_ url: URL, markers: [String], command: String) throws {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return }
    guard isDirectory.boolValue else {
      throw IOError(file: url.path, message: "--out: expected a directory to write \(command)'s output into, "
        + "found a file")
    }
    let entries: [String]
    do { entries = try fm.contentsOfDirectory(atPath: url.path).sorted() } catch {
      throw IOError(file: url.path, message: "--out: expected a readable directory, found error: \(error.localizedDescription)")
    }
    guard !entries.isEmpty, !markers.contains(where: entries.contains) else { return }
    let shown = entries.prefix(3).map { "'\($0)'" }.joined(separator: ", ") + (entries.count > 3 ? ", …" : "")
    throw IOError(file: url.path, message: "--out: expected an empty directory or the output of an earlier `slayer \(command)` "
      + "(holding \(markers.joined(separator: " or "))), which is replaced as a whole, found \(entries.count) other "
      + "entr\(entries.count == 1 ? "y" : "ies") (\(shown)); choose another --out")
  }
}
