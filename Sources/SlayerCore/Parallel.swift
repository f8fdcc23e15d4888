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
    forEachChunk(count, writing: &out) { range, buffer in
      for i in range { body(i, buffer) }
    }
  }

  /// Runs `body(range, out)` over consecutive ranges that together cover `0..<count`, spread over the
  /// worker threads; a body can then set up scratch space once per range rather than once per item.
  ///
  /// The ranges are a few per worker, handed out as workers become free (so a core taken by another
  /// process delays only its own range). `body` must write only the outputs of its items.
  ///
  /// - Parameters:
  ///   - count: the number of items.
  ///   - out: the output the items write, each only its own elements.
  ///   - cost: rough work per item (multiply-adds); when the whole loop is cheaper than a thread
  ///     hand-off it runs on the calling thread. Never affects results.
  ///   - body: called with a range of items and the output's buffer.
  public static func forEachChunk<T>(
    _ count: Int, writing out: inout [T], cost: Int = .max,
    _ body: (Range<Int>, UnsafeMutableBufferPointer<T>) -> Void
  ) {
    guard count > 0 else { return }
    let work = count.multipliedReportingOverflow(by: max(1, cost))
    let affordable = work.overflow ? Int.max : work.partialValue / 100_000
    let chunks = min(count, threads == 1 ? 1 : threads * 4, max(1, affordable))
    out.withUnsafeMutableBufferPointer { buffer in
      if chunks <= 1 {
        body(0..<count, buffer)
        return
      }
      withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let task = escapable
        nonisolated(unsafe) let buffer = buffer  // each range writes its own outputs
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
          task(count * chunk / chunks..<count * (chunk + 1) / chunks, buffer)
        }
      }
    }
  }

  /// Like ``forEach(_:writing:minimumChunkWork:_:)`` for two outputs written together.
  public static func forEach<T, U>(
    _ count: Int, writing out1: inout [T], _ out2: inout [U],
    _ body: (Int, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<U>) -> Void
  ) {
    forEachChunk(count, writing: &out1, &out2) { range, buffer1, buffer2 in
      for i in range { body(i, buffer1, buffer2) }
    }
  }

  /// Like ``forEachChunk(_:writing:cost:_:)`` for two outputs written together.
  public static func forEachChunk<T, U>(
    _ count: Int, writing out1: inout [T], _ out2: inout [U], cost: Int = .max,
    _ body: (Range<Int>, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<U>) -> Void
  ) {
    out2.withUnsafeMutableBufferPointer { buffer2 in
      nonisolated(unsafe) let buffer2 = buffer2
      forEachChunk(count, writing: &out1, cost: cost) { range, buffer1 in body(range, buffer1, buffer2) }
    }
  }

  /// Like ``forEachChunk(_:writing:cost:_:)`` for four outputs written together (an optimizer's
  /// parameters and its three moment buffers).
  public static func forEachChunk<T, U>(
    _ count: Int, writing out1: inout [T], _ out2: inout [U], _ out3: inout [U], _ out4: inout [U], cost: Int = .max,
    _ body: (Range<Int>, UnsafeMutableBufferPointer<T>, UnsafeMutableBufferPointer<U>, UnsafeMutableBufferPointer<U>,
             UnsafeMutableBufferPointer<U>) -> Void
  ) {
    out3.withUnsafeMutableBufferPointer { buffer3 in
      out4.withUnsafeMutableBufferPointer { buffer4 in
        nonisolated(unsafe) let buffer3 = buffer3, buffer4 = buffer4
        forEachChunk(count, writing: &out1, &out2, cost: cost) { range, buffer1, buffer2 in
          body(range, buffer1, buffer2, buffer3, buffer4)
        }
      }
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
