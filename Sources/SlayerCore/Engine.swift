import Synchronization

/// Which implementation of the summing kernels runs: the event-driven one (the default) or the
/// plain dense loops they are checked against.
///
/// Both compute the same sums in the same order; the event-driven kernels only leave out terms
/// with an exact zero factor (no spike, a zero weight, a zero kernel tap). Leaving such a term out
/// never changes a bit: every output is a `Double` accumulator that starts at +0, an accumulator
/// that starts at +0 never becomes −0 under round-to-nearest, and adding ±0 to any other value
/// returns it unchanged. So for finite inputs the two modes give bit-identical results (a dense
/// loop would turn ∞·0 into NaN where the event-driven one skips it). `slayer bench --check` and
/// the `Engine modes` tests compare the two on every benchmark.
public enum Engine {
  /// The implementation of the summing kernels.
  public enum Mode: String, Sendable, CaseIterable {
    /// Event-driven: visit only non-zero inputs, skip zero weights and taps, reuse buffers.
    case sparse
    /// The plain loops over every term, as the equations are written.
    case dense
  }

  private static let current = Atomic<Int>(0)

  /// The mode every kernel uses; ``Mode/sparse`` unless set. Changing it never changes a result.
  public static var mode: Mode {
    get { current.load(ordering: .relaxed) == 0 ? .sparse : .dense }
    set { current.store(newValue == .sparse ? 0 : 1, ordering: .relaxed) }
  }

  /// True when the plain dense loops are selected.
  @inlinable public static var isDense: Bool { mode == .dense }
}
