/// The post-synaptic potential: each spike train filtered by ε (`slayer.md` §2.2, §4.5).
///
/// ```
/// continuous   a_i(t) = (ε * s_i)(t) = ∫₀ᵗ ε(τ)·s_i(t − τ) dτ
/// discrete     a_i[n] = conv_ε(s_i)[n] = Ts · Σ_k ε[k]·s_i[n−k]
/// ```
/// With spikes of height 1/Ts, one input spike at n₀ gives exactly a[n₀ + k] = ε[k].
///
/// PAPER-DIFF: the paper's spikes are Dirac impulses; the code's are samples of height 1/Ts, so
/// that Ts-weighted sums reproduce the integrals: Ts·Σ s counts spikes and each spike adds ε[k],
/// not ε[k]/Ts, to a (`slayer.md` §9.1).
public enum PSP {
  /// a = conv_ε(s), for every neuron of `s` (shape `(N, C, H, W, T)`, unchanged).
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func forward<S>(_ s: Tensor<S>, _ neuron: Neuron<S>) -> Tensor<S> {
    checkTime(s.shape, neuron)
    return Tensor(shape: s.shape,
                  scalars: TemporalFilter.conv(s.scalars, kernel: neuron.srmKernel, t: s.shape.t, Ts: neuron.Ts))
  }

  /// g_s = corr_ε(g_a).
  ///
  /// Chain-rule line: ∂E/∂s[m] = Σ_n ∂E/∂a[n]·Ts·ε[n−m], the temporal credit assignment of
  /// `slayer.md` §4.4: correlation carries the error at time n back to the earlier spikes that
  /// caused it. Drops nothing; ε is fixed, so no kernel gradient.
  @_specialize(where S == Float)
  @_specialize(where S == Double)
  public static func pullback<S>(_ gA: Tensor<S>, _ neuron: Neuron<S>) -> Tensor<S> {
    checkTime(gA.shape, neuron)
    return Tensor(shape: gA.shape,
                  scalars: TemporalFilter.corr(gA.scalars, kernel: neuron.srmKernel, t: gA.shape.t, Ts: neuron.Ts))
  }

  static func checkTime<S>(_ shape: Shape, _ neuron: Neuron<S>) {
    precondition(shape.t == neuron.steps,
                 "psp: tensor \(shape) has T = \(shape.t), the simulation has \(neuron.steps) samples")
  }
}
