import Foundation

/// The file or folder `relative` under `$SLAYER_DATA` (default `../shared/data`), or nil after
/// printing a SKIPPED line: the tests that read real data pass on a fresh clone without it and
/// run wherever it is (CI).
func sharedData(_ relative: String) -> URL? {
  let root = ProcessInfo.processInfo.environment["SLAYER_DATA"] ?? "../shared/data"
  let url = URL(fileURLWithPath: root).appendingPathComponent(relative)
  guard FileManager.default.fileExists(atPath: url.path) else {
    print("SKIPPED: \(url.path) not found (set SLAYER_DATA)")
    return nil
  }
  return url
}
