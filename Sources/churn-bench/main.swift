import ChurnSupport
import ChurnCommandLine
import ChurnModel
import Foundation
import TensorKit

/// `churn-bench lstm`: train and inference throughput of the real LSTM code path.
struct LSTMBench: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-bench lstm",
        abstract: "Measure LSTM training and inference throughput (sequences per second).",
        usage: "churn-bench lstm --batch B --steps T --input I --hidden H [--layers L] [--seconds S] [--isa NAME]",
        discussion: """
        A train step is forward, backward through time and an Adam update over B sequences of T
        steps, loss on the last step; inference is the forward pass. Each side runs for --seconds
        after a warm-up run; rates use the median step time. The isa line names the detected
        instruction set, the one the row-invariant products run on (the environment variable
        CHURN_ISA=avx512|avx2|portable pins it) and the one the cell kernels were compiled for.
        The last line is
        train_sequences_per_second=X infer_sequences_per_second=Y
        """,
        options: [batch, steps, input, hidden, layers].map(\.spec) + [seconds.spec, CommandSpec.isa.spec])

    static let batch = Option<Int>.integer("batch", value: "B", help: "Sequences per batch.", default: 64, in: 1...1_000_000)
    static let steps = Option<Int>.integer("steps", value: "T", help: "Steps per sequence.", default: 100, in: 1...1_000_000)
    static let input = Option<Int>.integer("input", value: "I", help: "Input features per step.", default: 32, in: 1...1_000_000)
    static let hidden = Option<Int>.integer("hidden", value: "H", help: "Hidden size.", default: 64, in: 1...65_536)
    static let layers = Option<Int>.integer("layers", value: "L", help: "LSTM layers.", default: 1, in: 1...64)
    static let seconds = Option<Double>.number("seconds", value: "S", help: "Measuring time per side.", default: 3, in: 0...3600)

    var batch: Int, steps: Int, input: Int, hidden: Int, layers: Int, seconds: Double

    init(parsing a: ParsedArguments) throws {
        (batch, steps, input, hidden, layers) = try (a.required(Self.batch), a.required(Self.steps), a.required(Self.input),
                                                     a.required(Self.hidden), a.required(Self.layers))
        seconds = try a.required(Self.seconds)
    }

    func run() throws {
        let r = try Benchmark.lstm(batch: batch, steps: steps, input: input, hidden: hidden, layers: layers, seconds: seconds)
        let forwardFlops = 2.0 * Double(batch * steps) * Double(4 * hidden) * Double(input + hidden)
            + Double(max(0, layers - 1)) * 2.0 * Double(batch * steps) * Double(4 * hidden) * Double(2 * hidden)
        print("config batch=\(batch) steps=\(steps) input=\(input) hidden=\(hidden) layers=\(layers) threads=\(Threading.threadCount)")
        print(String(format: "train iterations=%d median_ms=%.3f gflops=%.2f", r.train.iterations, r.train.median * 1e3,
                     3 * forwardFlops / r.train.median / 1e9))
        print(String(format: "infer iterations=%d median_ms=%.3f gflops=%.2f", r.infer.iterations, r.infer.median * 1e3,
                     forwardFlops / r.infer.median / 1e9))
        // The ceiling: the measured one-core peak of the widest vectors, times the threads.
        let peak = InstructionSet.detected.measuredPeakGFLOPS() * Double(Threading.threadCount)
        print(String(format: "isa detected=%@ kernels=%@ fma_peak_gflops=%.1f (%d thread%@)",
                     InstructionSet.detected.rawValue, InstructionSet.active.rawValue, peak, Threading.threadCount,
                     Threading.threadCount == 1 ? "" : "s"))
        print(String(format: "train_fraction_of_peak=%.3f infer_fraction_of_peak=%.3f",
                     3 * forwardFlops / r.train.median / 1e9 / peak, forwardFlops / r.infer.median / 1e9 / peak))
        print(String(format: "train_sequences_per_second=%.1f infer_sequences_per_second=%.1f",
                     r.trainSequencesPerSecond, r.inferSequencesPerSecond))
    }
}

/// `churn-bench peak`: the multiply-add peak of one core on every instruction set it runs.
struct PeakBench: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-bench peak",
        abstract: "Measure one core's multiply-add peak (GFLOP/s) on each vector instruction set this CPU runs.",
        usage: "churn-bench peak [--seconds S]",
        discussion: """
        A register-only loop of independent fused multiply-adds (16 chains of 512-bit vectors,
        12 of 256-bit ones; scalar multiply and add on the portable path), compiled for every set
        in one binary and chosen from CPUID; the best of five runs. The last line is
        fma_peak_gflops=X for the widest set.
        """,
        options: [seconds.spec])

    static let seconds = Option<Double>.number("seconds", value: "S", help: "Measuring time per instruction set.", default: 1, in: 0.01...3600)

    var seconds: Double

    init(parsing a: ParsedArguments) throws { seconds = try a.required(Self.seconds) }

    func run() throws {
        print("isa detected=\(InstructionSet.detected.rawValue) kernels=\(InstructionSet.active.rawValue)")
        var widest = 0.0
        for isa in InstructionSet.supported {
            widest = isa.measuredPeakGFLOPS(seconds: seconds)
            print(String(format: "%@ one_core_gflops=%.1f", isa.rawValue, widest))
        }
        print(String(format: "fma_peak_gflops=%.1f", widest))
    }
}

/// `churn-bench gemm`: the sgemm rate of this machine, the ceiling for the LSTM.
struct GEMMBench: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-bench gemm",
        abstract: "Measure the single-precision GEMM rate (GFLOP/s) of OpenBLAS with the same threads.",
        usage: "churn-bench gemm [--m M] [--n N] [--k K] [--seconds S]",
        discussion: """
        Reports OpenBLAS with its own thread pool (gemm_gflops, the ceiling the LSTM is compared
        with) and the row-split product over single-threaded OpenBLAS calls that the model uses.
        """,
        options: [m, n, k].map(\.spec) + [seconds.spec])

    static let m = Option<Int>.integer("m", value: "M", help: "Rows of A and C.", default: 1024, in: 1...100_000)
    static let n = Option<Int>.integer("n", value: "N", help: "Columns of B and C.", default: 1024, in: 1...100_000)
    static let k = Option<Int>.integer("k", value: "K", help: "Inner dimension.", default: 1024, in: 1...100_000)
    static let seconds = Option<Double>.number("seconds", value: "S", help: "Measuring time.", default: 2, in: 0...3600)

    var m: Int, n: Int, k: Int, seconds: Double

    init(parsing a: ParsedArguments) throws {
        (m, n, k, seconds) = try (a.required(Self.m), a.required(Self.n), a.required(Self.k), a.required(Self.seconds))
    }

    func run() throws {
        let r = Benchmark.gemm(m: m, n: n, k: k, seconds: seconds)
        print(String(format: "gemm m=%d n=%d k=%d threads=%d", m, n, k, Threading.threadCount))
        print(String(format: "openblas_threads iterations=%d median_ms=%.3f gflops=%.2f",
                     r.native.iterations, r.native.median * 1e3, r.nativeGFLOPS))
        print(String(format: "row_split      iterations=%d median_ms=%.3f gflops=%.2f",
                     r.split.iterations, r.split.median * 1e3, r.splitGFLOPS))
        print(String(format: "gemm_gflops=%.2f", r.nativeGFLOPS))
    }
}

let overview = """
OVERVIEW: Reproducible throughput benchmarks of ChurnForecaster's kernels.

USAGE: churn-bench <subcommand> [options]

SUBCOMMANDS:
  lstm    Train and inference throughput of the LSTM.
  gemm    The sgemm rate of this machine: the ceiling for the LSTM.
  peak    One core's multiply-add peak on each vector instruction set the CPU runs.

Run 'churn-bench <subcommand> --help' for its options.
"""

var arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "lstm": LSTMBench.main(Array(arguments.dropFirst()))
case "gemm": GEMMBench.main(Array(arguments.dropFirst()))
case "peak": PeakBench.main(Array(arguments.dropFirst()))
case "--help", "-h", "help": print(overview); exit(ExitCode.success.rawValue)
case "--version": print("churn-bench \(churnForecasterVersion)"); exit(ExitCode.success.rawValue)
case nil:
    Terminal.error(overview)
    exit(ExitCode.usage.rawValue)
case let other?:
    Terminal.error("churn-bench: error: unknown subcommand '\(other)' (expected lstm, gemm or peak)")
    exit(ExitCode.usage.rawValue)
}
