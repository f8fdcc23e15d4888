/// SplitMix64 (Steele, Lea & Flood 2014): a small, fast, seedable generator, so that every random
/// draw in the oracle (demo inputs, initial weights, test data) is reproducible from its seed on any
/// platform.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  private var state: UInt64

  /// A generator whose whole sequence is determined by `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1) with 53 random bits.
  public mutating func uniform() -> Double {
    Double(next() >> 11) * 0x1p-53
  }

  /// A uniform double in [lo, hi).
  public mutating func uniform(_ lo: Double, _ hi: Double) -> Double {
    lo + (hi - lo) * uniform()
  }
}

/// Seeded spike trains and weights.
public enum RandomSpikes {
  /// Bernoulli-per-sample approximation of Poisson spike trains: each sample of each neuron spikes
  /// with probability rate·Ts/1000 (rate in Hz, Ts in ms). Spikes have height 1/Ts.
  public static func poisson<S>(_ shape: Shape, rateHz: Double, Ts: Double, seed: UInt64) -> Tensor<S> {
    var rng = SplitMix64(seed: seed)
    let p = rateHz * Ts / 1000, height = S(1 / Ts)
    return Tensor(shape: shape, scalars: (0..<shape.count).map { _ in rng.uniform() < p ? height : 0 })
  }

  /// A train with spikes at the given times (ms) on one neuron of a `(1, 1, 1, 1, T)` tensor;
  /// time t goes to sample rint(t/Ts).
  public static func train<S>(times: [Double], Ts: Double, steps: Int) -> Tensor<S> {
    var x = Tensor<S>(zeros: Shape(n: 1, c: 1, t: steps))
    for time in times {
      let n = Int((time / Ts).rounded(.toNearestOrEven))
      if n >= 0 && n < steps { x.scalars[n] = S(1 / Ts) }
    }
    return x
  }

  /// Weights uniform in ±scale/√fanIn, PyTorch's default initialisation times slayerPytorch's
  /// `weightScale`: 10 for dense, 100 for conv.
  ///
  /// PAPER-DIFF: the paper does not describe its initialisation; this is slayerPytorch's
  /// (`slayer.md` §9.10).
  public static func weights<S: SpikeScalar>(outputs: Int, inputs: Int, scale: Double, seed: UInt64) -> [S] {
    var rng = SplitMix64(seed: seed)
    let bound = scale / Double(inputs).squareRoot()
    return (0..<outputs * inputs).map { _ in S(rng.uniform(-bound, bound)) }
  }
}

extension SplitMix64 {
  /// A standard normal draw (Box–Muller, one of the pair, from two uniforms).
  public mutating func normal() -> Double {
    let u1 = 1 - uniform()  // (0, 1]
    let u2 = uniform()
    return (-2 * Elementary.log(u1)).squareRoot() * Elementary.cos(2 * Double.pi * u2)
  }
}
