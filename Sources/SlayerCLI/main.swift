import Foundation
import SlayerCore
import SlayerIO

/// `slayer`: the SLAYER reference implementation's command.
///
/// Exit codes: 0 success (or agreement), 1 disagreement or a failed check, 2 bad input.
let usage = """
  slayer — the SLAYER reference implementation (Shrestha & Orchard, NeurIPS 2018), with TSSL-BP (Zhang & Li, NeurIPS 2020)

  usage:
    slayer demo [--seed N] [--out DIR] [--max-epochs N] [--threads N]
        the paper's first experiment: a 250-25-1 network learns a 3-spike target train
    slayer run CASE          compute a case and write CASE/expected/ (atomically)
    slayer check CASE        recompute a case and compare with CASE/expected/
    slayer compare CASE DIR  compare a backend's outputs in DIR with CASE/expected/
    slayer gradcheck CASE [--step H] [--input]
        finite differences vs backprop on the case's smooth twin (SRMALPHA) or auxiliary model (TSSLBP), in Double
        run, check, compare, gradcheck: [--max-memory GB] refuses a case whose tensors would need
        more (default 4 GB), before allocating them
    slayer fixtures generate [--out DIR] [--threads N]
        write the golden-case library (default Fixtures/), deterministically
    slayer train nmnist [--rule slayer] --data DIR --net mlp|cnn [--epochs 20] [--batch 8|12] [--lr 0.01|0.001]
        [--optimizer adam|nadam] [--seed 1] [--out DIR] [--resume CHECKPOINT_DIR] [--config network.yaml]
        [--threads N] [--limit N] [--every BATCHES]
        train on N-MNIST (train1K.txt / test100.txt); a checkpoint, history.json and training.svg per epoch
    slayer train nmnist --rule tsslbp --data DIR [--epochs 20] [--batch 8] [--lr 5e-4] [--hidden 512]
        [--backward final|paper] [--seed 1] [--out DIR] [--threads N] [--limit N] [--every BATCHES]
        TSSL-BP on N-MNIST, the paper's setting (3 ms bins, 30 steps, tauM 8, tauS 4, count loss 15/3,
        AdamW, clip 1, clamp ±4) on the MLP 2312-hidden-10; history.json, training.svg, weights/ per epoch
    slayer train oxford --data DIR [--epochs 5000] [--lr X | --lr-schedule 0:0.01,4000:0.001]
        [--optimizer adam|nadam] [--weight-scale 50,10] [--out DIR] [--seed 1] [--resume CHECKPOINT_DIR]
        [--threads N] [--every 50]
        the Oxford example: 200-256-200 learns the target spike trains (spikeTime loss); a checkpoint per epoch;
        a rate given with --resume applies from the checkpoint's epoch on and is recorded in the schedule;
        slayerPytorch's oxfordTrain.py is --weight-scale 10,10 --lr 0.01 --epochs 1000
    slayer plot kernels [--case CASE] [--theta X] [--tau-sr MS] [--tau-ref MS] [--tau-rho X] [--Ts MS] [--out F.svg]
        ε, ν and ρ of a neuron (default: the demo's), and their key numbers
    slayer plot membrane CASE [--op K] [--neuron I] [--sample B] [--out F.svg]
        one neuron's potential against ϑ from CASE/expected/ (run the case first)
    slayer plot raster FILE.npy [--target FILE.npy] [--Ts MS] [--sample B] [--out F.svg]
        a spike raster, optionally against a target
    slayer plot learning DEMO_DIR [--out F.svg]      the demo's loss and output raster per epoch
    slayer plot training RUN_DIR [--out F.svg]       loss and accuracy per epoch of slayer train
    slayer bench [--json] [--check] [--quick] [--ops] [--threads N] [--repeats N] [--filter NAME] [--svg FILE]
        [--engine sparse|dense]
        time the fixed benchmark suite (build with -c release); --check runs every benchmark under the
        dense and the event-driven engine and fails unless they agree bit for bit; --ops times one
        training step op by op; --svg draws the scaling sweep
    slayer help              this text

  exit codes: 0 agree / success, 1 disagree / check failed, 2 bad input
  """

func main() -> Int32 {
  keepFreedMemory()
  var args = Array(CommandLine.arguments.dropFirst())
  guard let command = args.first else {
    print(usage)
    return 2
  }
  args.removeFirst()
  do {
    switch command {
    case "demo": return try DemoCommand.run(args)
    case "run": return try CaseCommands.run(args)
    case "check": return try CaseCommands.check(args)
    case "compare": return try CaseCommands.compare(args)
    case "gradcheck": return try GradcheckCommand.run(args)
    case "train": return try TrainCommand.run(args)
    case "fixtures": return try FixturesCommand.run(args)
    case "plot": return try PlotCommand.run(args)
    case "bench": return try BenchCommand.run(args)
    case "help", "--help", "-h":
      print(usage)
      return 0
    default:
      throw UsageError("unknown command '\(command)'; expected one of demo, run, check, compare, gradcheck, fixtures, train, plot, bench, help")
    }
  } catch let error as UsageError {
    printError("slayer \(command): \(error)\n\n\(usage)")
    return 2
  } catch let error as IOError {
    printError("slayer \(command): \(error)")
    return 2
  } catch {
    printError("slayer \(command): \(error)")
    return 2
  }
}

/// Asks glibc's allocator to keep freed memory for reuse instead of returning it to the system:
/// training allocates and frees the same tensors (up to ~22 MB each) every batch, and each
/// return-and-refetch costs a page fault per 4 kB and the kernel's zeroing of the pages.
func keepFreedMemory() {
  #if os(Linux)
    _ = glibcMallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD: blocks up to 32 MB come from the heap, not mmap
    _ = glibcMallopt(-1, 1 << 30)   // M_TRIM_THRESHOLD: keep up to 1 GB of free heap
  #endif
}

#if os(Linux)
  /// glibc's `int mallopt(int param, int value)` (`<malloc.h>`, which the Glibc module does not export).
  @_silgen_name("mallopt")
  func glibcMallopt(_ param: Int32, _ value: Int32) -> Int32

  /// glibc's `int malloc_trim(size_t pad)`: hands the free heap back to the system.
  @_silgen_name("malloc_trim")
  func glibcMallocTrim(_ pad: Int) -> Int32
#endif

func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}

exit(main())
