import Dispatch
import SlayerCore
import Testing

/// `Parallel.forEachChunk` and its worker pool: every item is run exactly once, whatever the thread
/// count, when loops are nested, and when several threads start loops at the same time.
@Suite("Parallel")
struct ParallelTests {
  /// Runs a loop over `count` items that each add 1 to their own output; returns the outputs.
  static func visits(_ count: Int, cost: Int, nested: Bool = false) -> [Int] {
    var out = [Int](repeating: 0, count: count)
    Parallel.forEachChunk(count, writing: &out, cost: cost) { range, out in
      for i in range {
        out[i] += 1
        if nested {
          // A loop inside a loop: the pool is busy, so it runs on this thread, and still completely.
          var inner = [Int](repeating: 0, count: 64)
          Parallel.forEachChunk(64, writing: &inner, cost: 1_000_000) { r, o in for j in r { o[j] = 1 } }
          if inner.contains(0) { out[i] = -1_000 }
        }
      }
    }
    return out
  }

  @Test("every item runs exactly once, on 1, 2, 3 and 7 threads, for loops large and small")
  func eachItemOnce() {
    let saved = Parallel.maxThreads
    defer { Parallel.maxThreads = saved }
    for threads in [1, 2, 3, 7] {
      Parallel.maxThreads = threads
      // Many loops in a row (the pool's workers stay awake between them), then a pause long enough
      // for them to sleep, then more: each loop must still cover every item once.
      for round in 0..<3 {
        for count in [1, 2, 7, 64, 1000, 4099] {
          let out = Self.visits(count, cost: 50_000)
          #expect(out.allSatisfy { $0 == 1 }, "\(threads) thread(s), round \(round), \(count) items: \(out.filter { $0 != 1 }.count) items not run exactly once")
        }
        if round == 1 { usleepFor(milliseconds: 5) }
      }
    }
  }

  @Test("a loop inside a loop runs completely")
  func nestedLoops() {
    let out = Self.visits(200, cost: 1_000_000, nested: true)
    #expect(out.allSatisfy { $0 == 1 }, "\(out.filter { $0 != 1 }.count) of 200 outer items wrong")
  }

  @Test("loops started on several threads at once each run completely")
  func concurrentCallers() {
    var failures = [Int](repeating: 0, count: 4)
    failures.withUnsafeMutableBufferPointer { failures in
      nonisolated(unsafe) let failures = failures
      DispatchQueue.concurrentPerform(iterations: 4) { caller in
        for _ in 0..<50 {
          let out = Self.visits(3000, cost: 100)
          if !out.allSatisfy({ $0 == 1 }) { failures[caller] += 1 }
        }
      }
    }
    #expect(failures == [0, 0, 0, 0], "loops with an item not run exactly once, per calling thread: \(failures)")
  }
}

/// Waits about `milliseconds` (a busy-free sleep through Dispatch).
private func usleepFor(milliseconds: Int) {
  let done = DispatchSemaphore(value: 0)
  _ = done.wait(timeout: .now() + .milliseconds(milliseconds))
}
