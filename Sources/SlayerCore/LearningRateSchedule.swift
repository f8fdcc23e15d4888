// A piecewise-constant learning rate, by epoch: the one schedule the training commands use
// (lower the rate once the loss oscillates around its floor). Written and read as text,
// "EPOCH:RATE,EPOCH:RATE,…", so a checkpoint's configuration records exactly how its weights
// were reached, including the steps added on a resume.

/// A learning rate that is constant between the epochs where it changes.
///
/// ```
/// lr(e) = rate of the last step (eₖ, rₖ) with eₖ ≤ e;   e₀ = 0
/// ```
/// The text form is `"0:0.01,4000:0.001"`; a plain number `"0.01"` is the constant schedule.
public struct LearningRateSchedule: Sendable, Equatable, CustomStringConvertible {
  /// The steps (first epoch, rate), epochs strictly increasing from 0, no two neighbours with the
  /// same rate.
  public private(set) var steps: [(epoch: Int, rate: Double)]

  /// The constant schedule.
  public init(constant rate: Double) {
    precondition(rate > 0 && rate.isFinite, "LearningRateSchedule: rate must be positive and finite, got \(rate)")
    steps = [(0, rate)]
  }

  /// Parses `"0.01"` or `"0:0.01,4000:0.001"`; `nil` names what is wrong (`problem`).
  public init?(_ text: String, problem: inout String) {
    if let rate = Double(text) {
      guard rate > 0, rate.isFinite else { problem = "a positive rate, found \(text)"; return nil }
      steps = [(0, rate)]
      return
    }
    var parsed: [(epoch: Int, rate: Double)] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 2, let epoch = Int(parts[0]), let rate = Double(parts[1]) else {
        problem = "EPOCH:RATE items separated by commas, found '\(item)'"; return nil
      }
      guard rate > 0, rate.isFinite else { problem = "a positive rate, found '\(item)'"; return nil }
      if let previous = parsed.last?.epoch, epoch <= previous {
        problem = "epochs in increasing order, found '\(item)' after epoch \(previous)"; return nil
      }
      if parsed.isEmpty, epoch != 0 { problem = "the first step at epoch 0, found '\(item)'"; return nil }
      parsed.append((epoch, rate))
    }
    steps = []
    for step in parsed where steps.last?.rate != step.rate { steps.append(step) }
  }

  /// The rate used to train epoch `epoch`.
  public func rate(at epoch: Int) -> Double {
    steps.last(where: { $0.epoch <= epoch })!.rate
  }

  /// This schedule up to `epoch` (exclusive), then `later`'s rates from `epoch` on: how a resumed
  /// run that changes the rate records what its weights went through.
  public func continued(from epoch: Int, with later: LearningRateSchedule) -> LearningRateSchedule {
    var result = self
    result.steps = steps.filter { $0.epoch < epoch }
    for step in [(epoch: epoch, rate: later.rate(at: epoch))] + later.steps.filter({ $0.epoch > epoch })
    where result.steps.last?.rate != step.rate {
      result.steps.append(step)
    }
    return result
  }

  /// `"0.01"` for a constant schedule, else `"0:0.01,4000:0.001"`.
  public var description: String {
    steps.count == 1 ? "\(steps[0].rate)" : steps.map { "\($0.epoch):\($0.rate)" }.joined(separator: ",")
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.steps.count == b.steps.count && zip(a.steps, b.steps).allSatisfy { $0.epoch == $1.epoch && $0.rate == $1.rate }
  }
}
