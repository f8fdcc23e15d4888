/// The paper's first experiment (`slayer.md` §8.1): a 250-25-1 network learns to answer a fixed
/// Poisson input with a target spike train, by the spike-time loss.
///
/// Defaults: Ts 0.1 ms, 50 ms, θ 10, τ_sr = τ_ref = 1 ms, ν peak −2θ truncated at 1e-4, target
/// spikes at 20.3, 35.5 and 44.7 ms (the original SLAYER's target), input Poisson at 60 Hz (the
/// original's input density), weights N(0, 3²) (near the scale of the original's initial weights, σ ≈ 4), and
/// Adam with AMSGrad, lr 0.01. ρ uses tauRho 1 (α = β = 0.1): with α = β = 1 training stalls
/// (`slayer.md` §8.1).
///
/// PAPER-DIFF: the paper's optimizer, learning rate and surrogate constants for this experiment are
/// not known; these settings are an independent reproduction's (`slayer.md` §8.1, §9.14), and the
/// input and initial weights are drawn from a seed rather than read from the original's files.
public struct SpikeTrainExperiment: Sendable {
  /// Experiment settings.
  public struct Configuration: Sendable, Codable {
    /// Seed of the input (seed), and of the initial weights (seed + 0x5EED).
    public var seed: UInt64 = 1
    /// Input and hidden neurons (the output is one neuron).
    public var inputs = 250, hidden = 25
    /// Rate of the Poisson input, in Hz.
    public var rateHz = 60.0
    /// Standard deviation of the normally distributed initial weights.
    public var weightStd = 3.0
    /// Target spike times, in ms.
    public var targetTimes = [20.3, 35.5, 44.7]
    /// Adam's learning rate.
    public var learningRate = 0.01
    /// The neuron: θ 10, τ_sr = τ_ref = 1 ms, ν peak −2θ cut at 1e-4, α = β = 0.1.
    public var neuron = NeuronParameters(theta: 10, tauSr: 1, tauRef: 1, scaleRef: 2, tauRho: 1, scaleRho: 1, refKernelEpsilon: 1e-4)
    /// The grid: Ts 0.1 ms, 50 ms.
    public var simulation = SimulationParameters(Ts: 0.1, tSample: 50)
    /// The defaults above.
    public init() {}
  }

  /// The settings the experiment was built from.
  public let configuration: Configuration
  /// The network being trained.
  public private(set) var network: Network<Float>
  /// The fixed input `(1, inputs, 1, 1, T)` and target `(1, 1, 1, 1, T)` spike trains.
  public let input: Tensor<Float>, target: Tensor<Float>
  private var optimizer: Optimizer
  /// Epochs trained so far.
  public private(set) var epoch = 0

  /// Builds the input, target and initial weights from the configuration's seed.
  public init(_ configuration: Configuration = Configuration()) {
    self.configuration = configuration
    let c = configuration, steps = c.simulation.steps
    input = RandomSpikes.poisson(Shape(n: 1, c: c.inputs, t: steps), rateHz: c.rateHz, Ts: c.simulation.Ts, seed: c.seed)
    target = RandomSpikes.train(times: c.targetTimes, Ts: c.simulation.Ts, steps: steps)
    var rng = SplitMix64(seed: c.seed &+ 0x5EED)
    let w1 = (0..<c.hidden * c.inputs).map { _ in Float(c.weightStd * rng.normal()) }
    let w2 = (0..<c.hidden).map { _ in Float(c.weightStd * rng.normal()) }
    network = Network(neuron: Neuron(c.neuron, c.simulation), layers: [
      .psp, .dense(Dense(outputs: c.hidden, inputs: c.inputs, weights: w1)), .spike,
      .psp, .dense(Dense(outputs: 1, inputs: c.hidden, weights: w2)), .spike,
    ])
    optimizer = Optimizer(.adam, learningRate: c.learningRate, amsgrad: true)
  }

  /// The outcome of one epoch, measured before its update.
  public struct Step: Sendable {
    /// E, the spike-time loss.
    public var loss: Double
    /// Output spike times, ms.
    public var outputTimes: [Double]
    /// True when the output spikes sit exactly on the target samples.
    public var matches: Bool
    /// Spikes of the hidden layer (all neurons, the whole window).
    public var hiddenSpikes: Int
  }

  /// Evaluates the current network; if the output does not match yet, applies one Adam step.
  public mutating func trainEpoch() -> Step {
    let trace = network.forward(input)
    let loss = Loss.spikeTime(target: target).evaluate(trace.output, network.neuron)
    let gradients = network.weightGradients(trace, outputGradient: loss.gradient)
    let out = trace.output.scalars
    let times = out.indices.filter { out[$0] != 0 }.map { Double($0) * configuration.simulation.Ts }
    let matches = out == target.scalars
    let step = Step(loss: loss.loss, outputTimes: times, matches: matches,
                    hiddenSpikes: trace.values[3].scalars.filter { $0 != 0 }.count)
    if !matches {
      var params = network.weightedLayers.map { network.weights(of: $0)! }
      optimizer.update(&params, gradients: network.weightedLayers.map { gradients[$0]! })
      for (j, k) in network.weightedLayers.enumerated() { network.setWeights(of: k, params[j]) }
      epoch += 1
    }
    return step
  }
}
