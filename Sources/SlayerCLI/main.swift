import SlayerCore
var cfg = SpikeTrainExperiment.Configuration()
let args = CommandLine.arguments
if args.count > 1 { cfg.seed = UInt64(args[1])! }
if args.count > 2 { cfg.neuron.tauRho = Double(args[2])! }
if args.count > 3 { cfg.weightStd = Double(args[3])! }
var ex = SpikeTrainExperiment(cfg)
for e in 0..<3000 {
  let s = ex.trainEpoch()
  if e % 100 == 0 || s.matches { print(e, s.loss, s.hiddenSpikes, s.outputTimes) }
  if s.matches { break }
}
