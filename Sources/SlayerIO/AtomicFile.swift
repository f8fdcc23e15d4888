// Writes that a concurrent reader never sees half done.
//
// Both operations build the new content under a hidden temporary name in the *same* directory (so
// the final step is a `rename(2)` within one file system, which POSIX makes atomic for a file) and
// only then move it into place. A crash leaves at worst a stray `.<name>.tmp-…` sibling, never a
// truncated file under the real name.
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Atomic replacement of a file or a whole directory.
public enum AtomicFile {
  /// Writes `data` to `url` so that a reader sees either the old file or the complete new one.
  ///
  /// The bytes go to `.<name>.tmp-<pid>-<random>` beside `url`, are flushed to disk (`fsync`), and
  /// the temporary file is then renamed over `url` (POSIX `rename`, atomic). On failure the
  /// temporary file is removed and `url` is left as it was.
  ///
  /// - Throws: ``IOError`` naming `url`'s path (or the temporary path) and the system's reason.
  public static func write(_ data: Data, to url: URL) throws {
    let temp = temporarySibling(of: url, kind: "tmp")
    do {
      try data.write(to: temp, options: .withoutOverwriting)
    } catch {
      throw IOError(file: url.path, message:
        "write: expected to create temporary file \(temp.lastPathComponent), found error: "
        + error.localizedDescription)
    }
    do {
      let handle = try FileHandle(forWritingTo: temp)
      try handle.synchronize()
      try handle.close()
      try rename(temp, to: url)
    } catch {
      try? FileManager.default.removeItem(at: temp)
      throw error as? IOError ?? IOError(file: url.path, message:
        "write: expected to flush \(temp.lastPathComponent), found error: "
        + error.localizedDescription)
    }
  }

  /// Builds a directory's new content beside it, then swaps it in for `final`.
  ///
  /// `build` receives an empty temporary directory `.<name>.tmp-<pid>-<random>` beside `final` and
  /// fills it. Then, if `final` exists, the two are exchanged in one atomic step (Linux
  /// `renameat2(RENAME_EXCHANGE)`), so that `final` always names a complete directory, old or new,
  /// even if the process is killed; the old content, now under the temporary name, is deleted.
  /// Where the exchange is unavailable (another system, a file system without it), `final` is
  /// renamed away to `.<name>.old-<pid>-<random>` and the new directory renamed to `final`: each
  /// rename is atomic, but for an instant between them `final` does not exist (a reader retrying
  /// then sees the complete new directory). If `build` throws, the temporary directory is
  /// removed, `final` is untouched, and `build`'s error is rethrown unchanged. If deleting the old
  /// directory fails after the swap, the swap stands and the stray hidden directory is left.
  ///
  /// - Throws: `build`'s error, or ``IOError`` naming the path and the system's reason.
  public static func replaceDirectory(at final: URL, build: (URL) throws -> Void) throws {
    let fileManager = FileManager.default
    let temp = temporarySibling(of: final, kind: "tmp")
    do {
      try fileManager.createDirectory(at: temp, withIntermediateDirectories: false)
    } catch {
      throw IOError(file: final.path, message:
        "replaceDirectory: expected to create temporary directory \(temp.lastPathComponent), "
        + "found error: \(error.localizedDescription)")
    }
    do {
      try build(temp)
    } catch {
      try? fileManager.removeItem(at: temp)
      throw error
    }
    guard fileManager.fileExists(atPath: final.path) else {
      do { try rename(temp, to: final) } catch {
        try? fileManager.removeItem(at: temp)
        throw error
      }
      return
    }
    if exchange(temp, final) {
      try? fileManager.removeItem(at: temp)  // now the old content
      return
    }
    let old = temporarySibling(of: final, kind: "old")
    do { try rename(final, to: old) } catch {
      try? fileManager.removeItem(at: temp)
      throw error
    }
    do { try rename(temp, to: final) } catch {
      // Put the old directory back so the failed swap changes nothing.
      try? rename(old, to: final)
      try? fileManager.removeItem(at: temp)
      throw error
    }
    try? fileManager.removeItem(at: old)
  }

  /// `.<name>.<kind>-<pid>-<random>` in the same directory as `url`.
  static func temporarySibling(of url: URL, kind: String) -> URL {
    let pid = ProcessInfo.processInfo.processIdentifier
    let random = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    let name = ".\(url.lastPathComponent).\(kind)-\(pid)-\(random)"
    return url.deletingLastPathComponent().appendingPathComponent(name)
  }

  /// POSIX `rename(2)`, reporting `errno` as an ``IOError`` on `destination`.
  static func rename(_ source: URL, to destination: URL) throws {
    guard systemRename(source.path, destination.path) == 0 else {
      let reason = String(cString: strerror(errno))
      throw IOError(file: destination.path, message:
        "rename: expected to move \(source.lastPathComponent) into place, found error: \(reason)")
    }
  }
}

extension AtomicFile {
  /// Exchanges the two existing paths atomically; false (nothing changed) where the system or the
  /// file system cannot.
  ///
  /// Glibc declares `renameat2` only under `_GNU_SOURCE`, which the Swift module does not see, so
  /// it is looked up by name (glibc ≥ 2.28, Linux ≥ 3.15).
  static func exchange(_ a: URL, _ b: URL) -> Bool {
    #if os(Linux) && canImport(Glibc)
      guard let renameat2 = Self.renameat2 else { return false }
      let renameExchange: UInt32 = 1 << 1  // RENAME_EXCHANGE, <linux/fs.h>
      return renameat2(AT_FDCWD, a.path, AT_FDCWD, b.path, renameExchange) == 0
    #else
      return false
    #endif
  }

  #if os(Linux) && canImport(Glibc)
    typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    /// `renameat2` from the C library, or nil where it has none.
    static let renameat2: Renameat2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2")
      .map { unsafeBitCast($0, to: Renameat2.self) }
  #endif
}

/// The C library's `rename`, named apart from ``AtomicFile/rename(_:to:)``.
private func systemRename(_ old: String, _ new: String) -> Int32 { rename(old, new) }
