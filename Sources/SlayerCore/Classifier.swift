/// The classification decision (`slayer.md` §3.4): the output neuron with the most spikes.
///
/// ```
/// class(b) = argmax_j Σ_n s[b, j, n]      j over C·H·W, n over the whole window
/// ```
/// Ties go to the lowest index.
///
/// PAPER-DIFF: counts are taken over the **whole** simulation, not only the loss's target region,
/// as slayerPytorch's `getClass` does (`slayer.md` §9.8).
public enum Classifier {
  /// Spike counts Ts·Σ_n s[b, j, n], shape `(N, C·H·W)` row-major, summed in `Double` in time order.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func spikeCounts<S>(_ s: Tensor<S>, Ts: Double) -> [Double] {
    let t = s.shape.t
    return (0..<s.shape.rows).map { row in
      var sum = 0.0
      for n in row * t..<(row + 1) * t { sum += s.scalars[n].double }
      return Ts * sum
    }
  }

  /// The predicted class of every sample in the batch.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func predict<S>(_ s: Tensor<S>, Ts: Double) -> [Int] {
    let counts = spikeCounts(s, Ts: Ts), k = s.shape.neurons
    return (0..<s.shape.n).map { b in
      var best = 0
      for j in 1..<max(1, k) where counts[b * k + j] > counts[b * k + best] { best = j }
      return best
    }
  }

  /// The fraction of samples whose predicted class equals its label.
  public static func accuracy(predictions: [Int], labels: [Int]) -> Double {
    precondition(predictions.count == labels.count, "accuracy: \(predictions.count) predictions, \(labels.count) labels")
    guard !labels.isEmpty else { return 0 }
    return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }
}
