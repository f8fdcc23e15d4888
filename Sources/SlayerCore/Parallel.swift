import Dispatch
import Synchronization

/// The one place that splits work across threads.
///
/// Rule: parallelism only ever splits **independent outputs** (rows of a result), never the terms of
/// one sum, so every result is bit-identical for any thread count. Each task writes its own disjoint
/// range of the output through the buffer handed to it.
public enum Parallel {
  private static let threadLimit = Atomic<Int>(0)

  /// The number of worker threads used; 0 (the default) means one per active processor.
  ///
  /// Changing it never changes a result, only the time taken (that is tested).
  public static var maxThreads: Int {
    get { threadLimit.load(ordering: .relaxed) }
    set { threadLimit.store(max(0, newValue), ordering: .relaxed) }
  }

  /// The threads a parallel loop will use.
  public static var threads: Int {
    let limit = maxThreads
    let cores = max(1, activeProcessorCount())
    return limit == 0 ? cores : min(limit, cores * 4)
  }

  /// Runs `body(i, out)` for `i` in `0..<count`, spread over the worker threads.
  ///
  /// `body` must write only the part of `out` that belongs to output `i`, and read only values that
  /// no other iteration writes.
  public static func forEach<T>(
    _ count: Int, writing out: inout [T], minimumChunkWork: Int = 1,
    _ body: (Int, UnsafeMutableBufferPointer<T>) -> Void
  ) {
    let workers = min(threads, count)
    out.withUnsafeMutableBufferPointer { buffer in
      if workers <= 1 {
        for i in 0..<count { body(i, buffer) }
        return
      }
      withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let task = escapable
        nonisolated(unsafe) let buffer = buffer  // each iteration writes its own disjoint range
        // Contiguous chunks of iterations, one queue task each.
        let chunks = workers
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
          let lo = count * chunk / chunks
          let hi = count * (chunk + 1) / chunks
          for i in lo..<hi { task(i, buffer) }
        }
      }
    }
  }

  /// Like ``forEach(_:writing:minimumChunkWork:_:)`` for two outputs written together.
  public static func forEach<T, U>(
    _ count: Int, writing out1: inout [T], _ out2: inout [U],
    _ body: (Int, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<U>) -> Void
  ) {
    out2.withUnsafeMutableBufferPointer { buffer2 in
      nonisolated(unsafe) let buffer2 = buffer2
      forEach(count, writing: &out1) { i, buffer1 in body(i, buffer1, buffer2) }
    }
  }
}

#if canImport(Glibc)
  import Glibc
  private func activeProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#elseif canImport(Darwin)
  import Darwin
  private func activeProcessorCount() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#else
  private func activeProcessorCount() -> Int { 1 }
#endif
