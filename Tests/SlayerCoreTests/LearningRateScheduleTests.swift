import SlayerCore
import Testing

/// The piecewise-constant learning rate of the training commands: its text form, the rate per
/// epoch, and how a resume that changes the rate is recorded.
@Suite("Learning-rate schedule")
struct LearningRateScheduleTests {
  static func parse(_ text: String) -> (LearningRateSchedule?, String) {
    var problem = ""
    let schedule = LearningRateSchedule(text, problem: &problem)
    return (schedule, problem)
  }

  @Test("A plain number is the constant schedule; steps apply from their epoch on")
  func rates() throws {
    let constant = try #require(Self.parse("0.01").0)
    #expect(constant == LearningRateSchedule(constant: 0.01))
    #expect([0, 1, 10_000].map(constant.rate(at:)) == [0.01, 0.01, 0.01])
    #expect(constant.description == "0.01")
    let stepped = try #require(Self.parse("0:0.01,2000:0.001,3000:0.0001").0)
    #expect([0, 1999, 2000, 2999, 3000, 9999].map(stepped.rate(at:)) == [0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001])
    #expect(stepped.description == "0:0.01,2000:0.001,3000:0.0001")
    // A step that keeps the rate is dropped, so equal schedules have one text.
    #expect(Self.parse("0:0.01,5:0.01,7:0.1").0?.description == "0:0.01,7:0.1")
  }

  @Test("Bad schedules name what was expected and what came")
  func malformed() {
    for (text, expected) in [
      ("-1", "a positive rate, found -1"),
      ("1:0.01", "the first step at epoch 0, found '1:0.01'"),
      ("0:0.01,50:0.1,20:0.2", "epochs in increasing order, found '20:0.2' after epoch 50"),
      ("0:0.01,,", "EPOCH:RATE items separated by commas, found ''"),
      ("0:0.01,9:abc", "EPOCH:RATE items separated by commas, found '9:abc'"),
      ("0:0.01,9:0", "a positive rate, found '9:0'"),
      ("0:inf", "a positive rate, found '0:inf'"),
    ] {
      let (schedule, problem) = Self.parse(text)
      #expect(schedule == nil, "'\(text)' was accepted")
      #expect(problem == expected, "'\(text)'")
    }
  }

  @Test("A resume that changes the rate keeps the earlier epochs' rates and records the new ones")
  func continued() throws {
    let old = try #require(Self.parse("0:0.01,1000:0.003").0)
    let resumed = old.continued(from: 4351, with: LearningRateSchedule(constant: 0.001))
    #expect(resumed.description == "0:0.01,1000:0.003,4351:0.001")
    // A later schedule's own steps after the resume epoch are kept; its earlier steps are not (they
    // did not happen).
    let later = try #require(Self.parse("0:0.5,2000:0.01,6000:0.0001").0)
    #expect(old.continued(from: 500, with: later).description == "0:0.01,500:0.5,2000:0.01,6000:0.0001")
    #expect(old.continued(from: 2500, with: later).description == "0:0.01,1000:0.003,2500:0.01,6000:0.0001")
    // Resuming with the same rate records nothing new.
    #expect(old.continued(from: 2500, with: LearningRateSchedule(constant: 0.003)) == old)
  }
}
