// Tests for CaseMemory.swift: a case whose tensors would need more than the memory limit is
// refused before they are built, with both figures in the message, and loads when the limit is
// raised; the estimate follows the formula in the file's header.
import Foundation
import SlayerCore
import Testing

@testable import SlayerIO

@Suite("Case memory limit")
struct CaseMemoryTests {
  /// A (1, 64, 1, 1, 1) input replicated over T = 2·10⁷ samples: a 256-byte file asking for
  /// 64·2·10⁷ floats (5.12 GB) in one tensor.
  static func replicatingCase() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-memory-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Npy.write(dir.appendingPathComponent("input.npy"), shape: [1, 64, 1, 1, 1], float32: [Float](repeating: 1, count: 64))
    let json = """
      {"format": "slayer-case", "version": 1, "simulation": {"Ts": 1, "tSample": 20000000},
       "neuron": {"type": "SRMALPHA", "theta": 10, "tauSr": 1, "tauRef": 1, "scaleRef": 2, "tauRho": 1, "scaleRho": 1},
       "input": "input.npy", "ops": [{"op": "replicateInTime"}]}
      """
    try Data(json.utf8).write(to: dir.appendingPathComponent("case.json"))
    return dir
  }

  @Test("refused at the default 4 GB with the estimate and the largest tensor in the message; loads at 6 GB")
  func refusedThenRaised() throws {
    let dir = try Self.replicatingCase()
    defer { try? FileManager.default.removeItem(at: dir) }
    let error = try #require(throws: IOError.self) { try SlayerCase.load(dir) }
    #expect(error.file == dir.appendingPathComponent("case.json").path)
    // 4·(64 + 64·2e7) bytes of tensors + 24·2e7 of kernels = 5 600 000 256 bytes.
    for fragment in ["memory: expected a case needing at most 4.00 GB (4000000000 bytes)",
                     "found an estimated 5.60 GB (5600000256 bytes)", "ops[0] of shape (1, 64, 1, 1, 20000000)",
                     "alone 5.12 GB (5120000000 bytes)", "--max-memory"] {
      #expect(error.message.contains(fragment), "missing '\(fragment)' in: \(error.message)")
    }
    // Loading allocates none of the big tensors: only the shapes are known, and computing is not asked for.
    let c = try SlayerCase.load(dir, memoryLimit: 6_000_000_000)
    #expect(c.memoryEstimate == 5_600_000_256)
    #expect(c.input.shape.count == 64)
  }

  @Test("the estimate of a small case: trace, potentials, gradients, weights and kernels")
  func estimateFormula() {
    // input (2, 3, 1, 1, 40) = 240; ops psp 240, dense (2, 4, 1, 1, 40) = 320, spike 320; weights 12.
    let m = CaseMemory(input: [2, 3, 1, 1, 40], outputs: [[2, 3, 1, 1, 40], [2, 4, 1, 1, 40], [2, 4, 1, 1, 40]],
                       names: ["psp", "dense", "spike"], parameters: [1: [4, 3]], hasLoss: true, steps: 40)
    let values = 240.0 + 240 + 320 + 320, potentials = 320.0
    #expect(Double(m.bytes) == 4 * (values + potentials) + 4 * values + 8 * 12 + 24 * 40)
    #expect(m.largest.field == "ops[1]" && m.largest.shape == [2, 4, 1, 1, 40])
    let forwardOnly = CaseMemory(input: [2, 3, 1, 1, 40], outputs: [[2, 3, 1, 1, 40]], names: ["psp"], parameters: [:],
                                 hasLoss: false, steps: 40)
    #expect(Double(forwardOnly.bytes) == 4 * 480 + 24 * 40)
  }

  @Test("an element count beyond 2⁴⁰ is refused whatever the limit, naming the op and its shape")
  func elementCap() throws {
    let dir = try Self.replicatingCase()
    defer { try? FileManager.default.removeItem(at: dir) }
    // (1, 1024, 1, 1, 1) replicated over 2·10⁹ samples: 2.048·10¹² elements > 2⁴⁰.
    try Npy.write(dir.appendingPathComponent("input.npy"), shape: [1, 1024, 1, 1, 1], float32: [Float](repeating: 1, count: 1024))
    let json = try String(contentsOf: dir.appendingPathComponent("case.json"), encoding: .utf8)
      .replacingOccurrences(of: "\"tSample\": 20000000", with: "\"tSample\": 2000000000")
    try Data(json.utf8).write(to: dir.appendingPathComponent("case.json"))
    let error = try #require(throws: IOError.self) { try SlayerCase.load(dir, memoryLimit: Int.max) }
    #expect(error.message.contains("ops[0]: expected a tensor of at most 1099511627776 elements, found shape (1, 1024, 1, 1, 2000000000)"),
            "\(error.message)")
  }

  @Test("a TSSL-BP case over 2·10⁹ steps is refused before its neuron's T-sample kernel is built")
  func tsslRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slayer-memory-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Npy.write(dir.appendingPathComponent("input.npy"), shape: [1, 1, 1, 1, 1], float32: [1])
    let json = """
      {"format": "slayer-case", "version": 1, "simulation": {"Ts": 1, "tSample": 2000000000},
       "neuron": {"type": "TSSLBP", "tauM": 5, "tauS": 3, "theta": 1}, "input": "input.npy", "ops": [{"op": "replicateInTime"}]}
      """
    try Data(json.utf8).write(to: dir.appendingPathComponent("case.json"))
    // Before the check the kernel alone was 2·10⁹ Doubles (16 GB), built ahead of any op.
    let error = try #require(throws: IOError.self) { try TSSLCase.load(dir) }
    #expect(error.message.contains("memory: expected a case needing at most 4.00 GB")
            && error.message.contains("ops[0] of shape (1, 1, 1, 1, 2000000000)"), "\(error.message)")
  }
}
