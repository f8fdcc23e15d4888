// The case format's layer ops beyond psp and spike (`Docs/CaseFormat.md`): dense, conv,
// convTranspose, pool, unpool, dropout, delay, delayShift, pspLayer, pspFilter, replicateInTime.
// Every shape and argument is checked here, before a SlayerCore type is built, so that no
// precondition of the core can fire on a loaded case.
import Foundation
import SlayerCore

extension CaseReader {
  /// Parses op `name` at `field` on an incoming tensor of `shape`; nil when `name` is not one of
  /// these ops (the SRMALPHA and TSSLBP case readers both use them). Returns the layer, the
  /// outgoing shape and the shape of its learnable tensor.
  func readSharedOp(_ name: String, _ op: [String: JSONValue], field: String, shape s: [Int], steps: Int, Ts: Double) throws
    -> (Layer<Float>, [Int], [Int]?)?
  {
    switch name {
    case "dense":
      _ = try object(.object(op), field, allowed: ["op", "weights"])
      let (w, url) = try array(op, "weights", in: field)
      let inputs = s[1] * s[2] * s[3]
      guard w.shape.count == 2, w.shape[0] > 0, w.shape[1] == inputs else {
        throw IOError(file: url.path, message: "\(field).weights: expected shape (out, \(inputs)) "
          + "with out ≥ 1, \(inputs) = C·H·W of the incoming tensor \(Npy.tupleText(s)), "
          + "found \(Npy.tupleText(w.shape))")
      }
      return (.dense(Dense(outputs: w.shape[0], inputs: inputs, weights: w.values.map { Float($0) })),
              [s[0], w.shape[0], 1, 1, s[4]], w.shape)
    case "conv", "convTranspose":
      _ = try object(.object(op), field, allowed: ["op", "weights", "stride", "padding", "dilation", "groups"])
      let stride = try integer(op, "stride", in: field, default: 1, min: 1)
      let padding = try integer(op, "padding", in: field, default: 0, min: 0)
      let dilation = try integer(op, "dilation", in: field, default: 1, min: 1)
      let groups = try integer(op, "groups", in: field, default: 1, min: 1)
      let (w, url) = try array(op, "weights", in: field)
      let transposed = name == "convTranspose"
      guard w.shape.count == 4, w.shape.allSatisfy({ $0 > 0 }) else {
        throw IOError(file: url.path, message: "\(field).weights: expected a rank-4 array "
          + (transposed ? "(inC, outC/groups, kH, kW)" : "(outC, inC/groups, kH, kW)") + ", found \(Npy.tupleText(w.shape))")
      }
      let (kH, kW) = (w.shape[2], w.shape[3])
      let inC = transposed ? w.shape[0] : w.shape[1] * groups, outC = transposed ? w.shape[1] * groups : w.shape[0]
      guard inC == s[1], inC % groups == 0, outC % groups == 0 else {
        throw IOError(file: url.path, message: "\(field).weights: expected \(s[1]) input channels (C of the incoming "
          + "tensor \(Npy.tupleText(s))) divisible by groups \(groups), found weights \(Npy.tupleText(w.shape)) "
          + "meaning \(inC) input and \(outC) output channels")
      }
      let values = w.values.map { Float($0) }
      if transposed {
        let h = (s[2] - 1) * stride - 2 * padding + dilation * (kH - 1) + 1
        let wd = (s[3] - 1) * stride - 2 * padding + dilation * (kW - 1) + 1
        guard h > 0, wd > 0 else { throw fail(field, "expected a positive output extent, found \(h)×\(wd)") }
        let layer = ConvTranspose2D(inChannels: inC, outChannels: outC, kernelHeight: kH, kernelWidth: kW, stride: stride,
                                    padding: padding, dilation: dilation, groups: groups, weights: values)
        return (.convTranspose(layer), [s[0], outC, h, wd, s[4]], w.shape)
      }
      let h = (s[2] + 2 * padding - dilation * (kH - 1) - 1), wd = (s[3] + 2 * padding - dilation * (kW - 1) - 1)
      guard h >= 0, wd >= 0 else {
        throw fail(field, "expected the kernel \(kH)×\(kW) (dilation \(dilation)) to fit the padded input "
          + "\(s[2] + 2 * padding)×\(s[3] + 2 * padding), found it larger")
      }
      let layer = Conv2D(outChannels: outC, inChannels: inC, kernelHeight: kH, kernelWidth: kW, stride: stride,
                         padding: padding, dilation: dilation, groups: groups, weights: values)
      return (.conv(layer), [s[0], outC, h / stride + 1, wd / stride + 1, s[4]], w.shape)
    case "pool", "unpool":
      _ = try object(.object(op), field, allowed: ["op", "size", "stride", "padding", "dilation"])
      let size = try integer(op, "size", in: field, default: nil, min: 1)
      let stride = try integer(op, "stride", in: field, default: size, min: 1)
      let padding = try integer(op, "padding", in: field, default: 0, min: 0)
      let dilation = try integer(op, "dilation", in: field, default: 1, min: 1)
      if name == "unpool" {
        let h = (s[2] - 1) * stride - 2 * padding + dilation * (size - 1) + 1
        let wd = (s[3] - 1) * stride - 2 * padding + dilation * (size - 1) + 1
        guard h > 0, wd > 0 else { throw fail(field, "expected a positive output extent, found \(h)×\(wd)") }
        return (.unpool(Unpool(size: size, stride: stride, padding: padding, dilation: dilation)), [s[0], s[1], h, wd, s[4]], nil)
      }
      let h = s[2] + s[2] % size + 2 * padding - dilation * (size - 1) - 1
      let wd = s[3] + s[3] % size + 2 * padding - dilation * (size - 1) - 1
      guard h >= 0, wd >= 0 else {
        throw fail(field, "expected the pool window \(size) to fit the input \(s[2])×\(s[3]), found it larger")
      }
      return (.pool(Pool(size: size, stride: stride, padding: padding, dilation: dilation)),
              [s[0], s[1], h / stride + 1, wd / stride + 1, s[4]], nil)
    case "dropout":
      _ = try object(.object(op), field, allowed: ["op", "mask"])
      let (m, url) = try array(op, "mask", in: field)
      guard m.shape == Array(s[0..<4]) else {
        throw IOError(file: url.path, message: "\(field).mask: expected shape \(Npy.tupleText(Array(s[0..<4]))) "
          + "(N, C, H, W of the incoming tensor), found \(Npy.tupleText(m.shape))")
      }
      if let bad = m.values.firstIndex(where: { $0 < 0 }) {
        throw IOError(file: url.path, message: "\(field).mask: expected entries 0 or 1/(1 − p) ≥ 1, found \(m.values[bad]) at \(bad)")
      }
      return (.dropout(Dropout(mask: m.values.map { Float($0) })), s, nil)
    case "delay":
      _ = try object(.object(op), field, allowed: ["op", "delays", "gradient"])
      let (d, url) = try array(op, "delays", in: field)
      let perNeuron = d.shape == Array(s[1..<4]), perChannel = d.shape == [s[1], 1, 1]
      guard perNeuron || perChannel else {
        throw IOError(file: url.path, message: "\(field).delays: expected shape \(Npy.tupleText(Array(s[1..<4]))) "
          + "(one per neuron) or (\(s[1]), 1, 1) (one per channel), found \(Npy.tupleText(d.shape))")
      }
      if let bad = d.values.firstIndex(where: { $0 < 0 || $0 / Ts > 1e6 }) {
        throw IOError(file: url.path, message: "\(field).delays: expected delays in 0 … 10⁶·Ts ms, found \(d.values[bad]) at \(bad)")
      }
      var gradient = DelayGradient.slayerPytorch
      if op["gradient"] != nil {
        let text = try string(op, "gradient", in: field)
        guard let g = DelayGradient(rawValue: text) else {
          throw fail("\(field).gradient", "expected \"slayerPytorch\" or \"exact\", found \(Self.describe(text))")
        }
        gradient = g
      }
      let layer = Delay(delays: d.values.map { Float($0) }, perChannel: perChannel && !perNeuron, gradient: gradient)
      return (.delay(layer), s, d.shape)
    case "delayShift":
      _ = try object(.object(op), field, allowed: ["op", "shift"])
      let shift = try number(op, "shift", in: field)
      guard abs(shift) <= 1e9 else { throw fail("\(field).shift", "expected |shift| ≤ 1e9 ms, found \(shift)") }
      return (.delayShift(shift), s, nil)
    case "pspLayer", "pspFilter":
      let key = name == "pspLayer" ? "filter" : "filters"
      _ = try object(.object(op), field, allowed: ["op", key])
      let (f, url) = try array(op, key, in: field)
      let ok = name == "pspLayer" ? f.shape.count == 1 && f.shape[0] > 0 : f.shape.count == 2 && f.shape.allSatisfy { $0 > 0 }
      guard ok else {
        throw IOError(file: url.path, message: "\(field).\(key): expected shape "
          + (name == "pspLayer" ? "(L,)" : "(F, L)") + ", found \(Npy.tupleText(f.shape))")
      }
      let count = name == "pspLayer" ? 1 : f.shape[0]
      // Checked: C·F of a wide input and a long filter list could overflow Int.
      let (channels, overflow) = s[1].multipliedReportingOverflow(by: count)
      guard !overflow else {
        throw IOError(file: url.path, message: "\(field).\(key): expected C·F = \(s[1])·\(count) output channels "
          + "to fit in 64 bits, found it overflows")
      }
      return (.pspFilter(PSPFilter(count: count, filters: f.values.map { Float($0) })), [s[0], channels, s[2], s[3], s[4]], f.shape)
    case "replicateInTime":
      _ = try object(.object(op), field, allowed: ["op"])
      guard s[4] == 1 else {
        throw fail(field, "expected a static input with T = 1 to replicate, found \(Npy.tupleText(s))")
      }
      return (.replicateInTime, [s[0], s[1], s[2], s[3], steps], nil)
    default:
      return nil
    }
  }

  /// A whole number ≥ `min`; `default` when the key is absent, if given.
  func integer(_ dict: [String: JSONValue], _ key: String, in parent: String, default value: Int?, min: Int) throws -> Int {
    let field = Self.join(parent, key)
    if dict[key] == nil, let value { return value }
    let x = try number(dict, key, in: parent)
    guard x == x.rounded(), x >= Double(min), x <= 1e6 else {
      throw fail(field, "expected a whole number in \(min)…1000000, found \(Self.text(x))")
    }
    return Int(x)
  }
}
