// A training checkpoint: everything a ``Trainer`` needs to continue exactly where it stopped.
//
//   checkpoint/
//     state.json          format, version, epoch, seed, configuration, history, optimizer settings
//                         and step, and one entry per learnable op naming its files
//     weights.op<k>.npy   the op's learnable tensor, float32 (exact), in the op's own shape
//     m.op<k>.npy         optimizer moments m, v, v̂ of that tensor, float64 (exact); absent before
//     v.op<k>.npy         the first step
//     vMax.op<k>.npy
//
// The directory is replaced as a whole (``AtomicFile/replaceDirectory(at:build:)``), so a crash
// while writing leaves the previous checkpoint intact.
import Foundation
import SlayerCore

/// The saved state of a training run; ``restore(into:)`` makes a resumed run bit-identical to an
/// uninterrupted one (the weights, the optimizer's moments and step, the epoch and the shuffle seed
/// are all restored exactly).
public struct Checkpoint: Sendable, Equatable {
  /// The `format` field of `state.json`.
  public static let format = "slayer-train-checkpoint"
  /// The `version` field of `state.json`.
  public static let version = 1

  /// Epochs completed; a resumed run trains epoch number `epoch` next.
  public var epoch: Int
  /// The shuffle seed (`Trainer.seed`).
  public var seed: UInt64
  /// The run's settings as text (network, batch size, neuron, loss, …), for the caller to rebuild
  /// the same network and compare with what a resumed run is asked to do.
  public var configuration: [String: String]
  /// The figures of every epoch so far.
  public var history: [Trainer.EpochRecord]
  /// The optimizer with its moments and step.
  public var optimizer: TrainingOptimizer
  /// The learnable tensor of each op that has one, by op index.
  public var tensors: [Int: [Float]]

  /// The state of `trainer` now.
  public init(trainer: Trainer, configuration: [String: String], history: [Trainer.EpochRecord]) {
    epoch = trainer.epoch
    seed = trainer.seed
    self.configuration = configuration
    self.history = history
    optimizer = trainer.optimizer
    tensors = Dictionary(uniqueKeysWithValues: trainer.network.weightedLayers.map { ($0, trainer.network.weights(of: $0)!) })
  }

  /// Puts the saved weights, optimizer, epoch and seed into `trainer`, whose network must have the
  /// same learnable ops with the same sizes (build it from ``configuration``).
  ///
  /// - Throws: ``IOError`` (file `checkpoint`) naming the first op whose presence or size differs.
  public func restore(into trainer: inout Trainer) throws {
    let ops = trainer.network.weightedLayers
    guard ops == tensors.keys.sorted() else {
      throw IOError(file: "checkpoint", message: "expected learnable ops \(ops) for this network, found \(tensors.keys.sorted())")
    }
    for k in ops where tensors[k]!.count != trainer.network.weights(of: k)!.count {
      throw IOError(file: "checkpoint", message: "op \(k) (\(trainer.network.layers[k].name)): expected "
        + "\(trainer.network.weights(of: k)!.count) values, found \(tensors[k]!.count)")
    }
    for k in ops { trainer.network.setWeights(of: k, tensors[k]!) }
    trainer.optimizer = optimizer
    trainer.epoch = epoch
    trainer.seed = seed
  }

  // MARK: Files

  /// `state.json`'s layout.
  struct State: Codable {
    var format: String, version: Int, epoch: Int, seed: UInt64
    var configuration: [String: String]
    var history: [Trainer.EpochRecord]
    var optimizer: OptimizerSettings
    var tensors: [TensorEntry]
  }

  /// The optimizer's scalars; the moments go to `.npy` files.
  struct OptimizerSettings: Codable {
    var rule: String, learningRate: Double, beta1: Double, beta2: Double, epsilon: Double
    var amsgrad: Bool, momentum: Double, step: Int
  }

  /// One learnable op: its index, its name and the shape its `.npy` files have.
  struct TensorEntry: Codable {
    var op: Int, name: String, count: Int
  }

  /// Writes the checkpoint to `directory`, replacing it atomically as a whole.
  ///
  /// - Throws: ``IOError`` naming the path if anything cannot be written.
  public func write(to directory: URL, network: Network<Float>) throws {
    let ops = tensors.keys.sorted()
    let o = optimizer
    let state = State(
      format: Self.format, version: Self.version, epoch: epoch, seed: seed, configuration: configuration, history: history,
      optimizer: OptimizerSettings(rule: o.rule.rawValue, learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2,
                                   epsilon: o.epsilon, amsgrad: o.amsgrad, momentum: o.momentum, step: o.step),
      tensors: ops.map { TensorEntry(op: $0, name: network.layers[$0].name, count: tensors[$0]!.count) })
    try AtomicFile.replaceDirectory(at: directory) { dir in
      for (j, k) in ops.enumerated() {
        let shape = Self.shape(of: network.layers[k], count: tensors[k]!.count)
        try Npy.write(dir.appendingPathComponent("weights.op\(k).npy"), shape: shape, float32: tensors[k]!)
        guard !o.m.isEmpty else { continue }
        for (name, moments) in [("m", o.m), ("v", o.v), ("vMax", o.vMax)] {
          try Npy.write(dir.appendingPathComponent("\(name).op\(k).npy"), shape: shape, float64: moments[j])
        }
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try AtomicFile.write(encoder.encode(state), to: dir.appendingPathComponent("state.json"))
    }
  }

  /// Reads a checkpoint written by ``write(to:network:)``.
  ///
  /// - Throws: ``IOError`` naming the file and field for a missing or malformed `state.json`, a
  ///   wrong format or version, an unknown optimizer rule, or a `.npy` file of the wrong size.
  public static func read(_ directory: URL) throws -> Checkpoint {
    let url = directory.appendingPathComponent("state.json")
    let state: State
    do {
      state = try JSONDecoder().decode(State.self, from: Data(contentsOf: url))
    } catch {
      throw IOError(file: url.path, message: "expected a checkpoint state (format \(format)), found an unreadable "
        + "or malformed file: \(error)")
    }
    guard state.format == format, state.version == version else {
      throw IOError(file: url.path, message: "expected format \(format) version \(version), found \(state.format) version \(state.version)")
    }
    let s = state.optimizer
    guard let rule = Optimizer.Rule(rawValue: s.rule) else {
      throw IOError(file: url.path, message: "optimizer.rule: expected sgd, adam or nadam, found '\(s.rule)'")
    }
    try checkState(state, file: url.path)
    var optimizer = TrainingOptimizer(Optimizer(rule, learningRate: s.learningRate, beta1: s.beta1, beta2: s.beta2,
                                                epsilon: s.epsilon, amsgrad: s.amsgrad, momentum: s.momentum))
    optimizer.step = s.step
    var tensors: [Int: [Float]] = [:]
    for entry in state.tensors {
      tensors[entry.op] = try values(directory, "weights.op\(entry.op).npy", count: entry.count).map { Float($0) }
      guard s.step > 0 else { continue }
      optimizer.m.append(try values(directory, "m.op\(entry.op).npy", count: entry.count))
      optimizer.v.append(try values(directory, "v.op\(entry.op).npy", count: entry.count))
      optimizer.vMax.append(try values(directory, "vMax.op\(entry.op).npy", count: entry.count))
    }
    return Checkpoint(epoch: state.epoch, seed: state.seed, configuration: state.configuration, history: state.history,
                      optimizer: optimizer, tensors: tensors)
  }

  /// The numbers of `state.json` that the optimizer and the trainer would trap on or turn into NaN.
  static func checkState(_ state: State, file: String) throws {
    func fail(_ field: String, _ expected: String, _ found: String) -> IOError {
      IOError(file: file, message: "\(field): expected \(expected), found \(found)")
    }
    let s = state.optimizer
    guard state.epoch >= 0 else { throw fail("epoch", "a count ≥ 0", "\(state.epoch)") }
    // `power(β, step)` loops over 0..<step: negative would trap, huge would never end.
    guard (0...1_000_000_000).contains(s.step) else { throw fail("optimizer.step", "a step count in 0…10⁹", "\(s.step)") }
    try TrainingCheck.number(s.learningRate, in: .leastNonzeroMagnitude...1e6, expected: "a learning rate in (0, 10⁶]",
                             file: file, field: "optimizer.learningRate")
    for (key, value) in [("beta1", s.beta1), ("beta2", s.beta2)] {
      try TrainingCheck.number(value, in: 0...(1 - .ulpOfOne), expected: "a decay in [0, 1)", file: file, field: "optimizer.\(key)")
    }
    try TrainingCheck.number(s.epsilon, in: .leastNonzeroMagnitude...1, expected: "an epsilon in (0, 1]", file: file, field: "optimizer.epsilon")
    try TrainingCheck.number(s.momentum, in: 0...1, expected: "a momentum in [0, 1]", file: file, field: "optimizer.momentum")
    for (j, entry) in state.tensors.enumerated() {
      // In op order, as the optimizer's moments are (one array per learnable op, op order).
      guard entry.op >= 0, j == 0 || entry.op > state.tensors[j - 1].op else {
        throw fail("tensors[\(j)].op", "op indices ≥ 0 in increasing order", "\(state.tensors.map(\.op))")
      }
      guard entry.count >= 0 else { throw fail("tensors[\(j)].count", "a count ≥ 0", "\(entry.count)") }
    }
  }

  /// A checkpoint from its fields.
  public init(epoch: Int, seed: UInt64, configuration: [String: String], history: [Trainer.EpochRecord],
              optimizer: TrainingOptimizer, tensors: [Int: [Float]]) {
    self.epoch = epoch; self.seed = seed; self.configuration = configuration; self.history = history
    self.optimizer = optimizer; self.tensors = tensors
  }

  /// The elements of `directory/name`, which must hold `count` of them, all finite.
  static func values(_ directory: URL, _ name: String, count: Int) throws -> [Double] {
    let url = directory.appendingPathComponent(name)
    let array = try Npy.read(url)
    guard array.values.count == count else {
      throw IOError(file: url.path, message: "expected \(count) values, found \(array.values.count) (shape \(array.shape))")
    }
    if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
      throw IOError(file: url.path, message: "expected finite values, found \(array.values[bad]) at index \(bad)")
    }
    return array.values
  }

  /// The natural shape of an op's learnable tensor: `(out, in)` for dense, `(out, in/groups, kh, kw)`
  /// for a convolution, `(count,)` otherwise.
  static func shape(of layer: Layer<Float>, count: Int) -> [Int] {
    switch layer {
    case .dense(let d): [d.outputs, d.inputs]
    case .conv(let c): [c.outChannels, c.inChannels / c.groups, c.kernelHeight, c.kernelWidth]
    default: [count]
    }
  }
}
