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
    let threads = threads
    // The pool's workers are awake when a loop starts (a hand-off of ~2 µs); a thread that Dispatch
    // must wake takes ~30–50 µs on the project's VM, so loops there must be larger to pay.
    let pooled = threads > 1 && threads == WorkerPool.shared.workers + 1
    let work = count.multipliedReportingOverflow(by: max(1, cost))
    let affordable = work.overflow ? Int.max : work.partialValue / (pooled ? 20_000 : 100_000)
    let chunks = min(count, threads == 1 ? 1 : threads * 4, max(1, affordable))
    out.withUnsafeMutableBufferPointer { buffer in
      if chunks <= 1 {
        body(0..<count, buffer)
        return
      }
      nonisolated(unsafe) let buffer = buffer  // each range writes its own outputs
      @Sendable func range(_ chunk: Int) -> Range<Int> { count * chunk / chunks..<count * (chunk + 1) / chunks }
      if pooled {
        // Busy (a nested loop, or another thread's): run on this thread, same ranges, same bits.
        if !WorkerPool.shared.run(chunks: chunks, { body(range($0), buffer) }) {
          for chunk in 0..<chunks { body(range(chunk), buffer) }
        }
        return
      }
      withoutActuallyEscaping(body) { escapable in
        nonisolated(unsafe) let task = escapable
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
          task(range(chunk), buffer)
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

/// Worker threads that stay awake for a moment between parallel loops.
///
/// A training step of a small network is a chain of loops of 20–500 µs each; waking a sleeping
/// Dispatch thread for each costs ~30–50 µs on a virtual machine, as much as the loop saves. The
/// pool's workers (one per core but the caller's, each on its own Dispatch queue) spin for
/// ``spinNanoseconds`` after a loop, watching for the next, and then sleep on a semaphore.
///
/// A loop's chunks are claimed one at a time from a shared counter by the caller and the workers
/// that join; which thread runs which chunk never changes a result (each chunk writes its own
/// outputs). One loop at a time uses the pool: a loop started while it is busy (a nested loop, or
/// one on another thread) is told so and runs on its own thread.
final class WorkerPool: @unchecked Sendable {
  /// The pool of the process: one worker per active processor but one.
  static let shared = WorkerPool(workers: max(0, activeProcessorCount() - 1))
  /// How long an idle worker spins before it sleeps.
  static let spinNanoseconds: UInt64 = 300_000

  /// Worker threads (the caller of a loop is the other participant).
  let workers: Int
  private let busy = Atomic<Bool>(false)
  /// generation << 32 | closed << 31 | workers joined. A loop publishes a new generation; a worker
  /// joins it by incrementing the count, unless the caller has closed it.
  private let state = Atomic<UInt64>(0)
  private let nextChunk = Atomic<Int>(0)
  private let finished = Atomic<Int>(0)
  private let sleeping = Atomic<Int>(0)
  private let wake = DispatchSemaphore(value: 0)
  // Written by the caller before it publishes a generation, read by workers that joined it.
  nonisolated(unsafe) private var task: ((Int) -> Void)?
  nonisolated(unsafe) private var chunks = 0
  private static let closed: UInt64 = 1 << 31

  /// A pool of `workers` threads, started at once (the shared pool is made on the first parallel
  /// loop that can use it).
  init(workers: Int) {
    self.workers = workers
    for k in 0..<workers {
      DispatchQueue(label: "slayer.parallel.worker\(k)").async { [self] in work() }
    }
  }

  /// Runs `body(chunk)` for every chunk in `0..<chunks` on this thread and the workers; false
  /// (having run nothing) when the pool is busy.
  func run(chunks: Int, _ body: (Int) -> Void) -> Bool {
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
    defer { busy.store(false, ordering: .releasing) }
    withoutActuallyEscaping(body) { body in
      task = body
      self.chunks = chunks
      nextChunk.store(0, ordering: .relaxed)
      finished.store(0, ordering: .relaxed)
      let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
      state.store(generation << 32, ordering: .sequentiallyConsistent)
      for _ in 0..<sleeping.load(ordering: .sequentiallyConsistent) { wake.signal() }
      drain()
      // Close the loop to late workers, then wait for those that joined.
      var s = state.load(ordering: .relaxed)
      while true {
        let r = state.compareExchange(expected: s, desired: s | Self.closed, ordering: .acquiringAndReleasing)
        if r.exchanged { break }
        s = r.original
      }
      let joined = Int(s & (Self.closed - 1))
      while finished.load(ordering: .acquiring) < joined {}
      task = nil
    }
    return true
  }

  /// Claims and runs chunks until none is left.
  private func drain() {
    while true {
      let chunk = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
      if chunk >= chunks { return }
      task!(chunk)
    }
  }

  /// A worker's life: wait for a generation it has not seen, join it unless closed, drain it.
  private func work() {
    var seen: UInt64 = 0
    while true {
      var s = state.load(ordering: .acquiring)
      var spins = 0, since = DispatchTime.now().uptimeNanoseconds
      while s >> 32 == seen || s & Self.closed != 0 {
        seen = s >> 32  // a closed generation is over for this worker too
        spins &+= 1
        if spins & 1023 == 0 && DispatchTime.now().uptimeNanoseconds - since > Self.spinNanoseconds {
          sleeping.add(1, ordering: .sequentiallyConsistent)
          if state.load(ordering: .sequentiallyConsistent) >> 32 == seen { wake.wait() }
          sleeping.subtract(1, ordering: .sequentiallyConsistent)
          since = DispatchTime.now().uptimeNanoseconds
        }
        s = state.load(ordering: .acquiring)
      }
      guard state.compareExchange(expected: s, desired: s + 1, ordering: .acquiring).exchanged else { continue }
      seen = s >> 32
      drain()
      finished.add(1, ordering: .releasing)
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
