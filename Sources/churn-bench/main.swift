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
        usage: "churn-bench lstm --batch B --steps T --input I --hidden H [--layers L] [--seconds S]",
        discussion: """
        A train step is forward, backward through time and an Adam update over B sequences of T
        steps, loss on the last step; inference is the forward pass. Each side runs for --seconds
        after a warm-up run; rates use the median step time. The last line is
        train_sequences_per_second=X infer_sequences_per_second=Y
        """,
        options: [
            OptionSpec("batch", value: "B", help: "Sequences per batch.", default: "64"),
            OptionSpec("steps", value: "T", help: "Steps per sequence.", default: "100"),
            OptionSpec("input", value: "I", help: "Input features per step.", default: "32"),
            OptionSpec("hidden", value: "H", help: "Hidden size.", default: "64"),
            OptionSpec("layers", value: "L", help: "LSTM layers.", default: "1"),
            OptionSpec("seconds", value: "S", help: "Measuring time per side.", default: "3"),
        ])

    var batch = 64, steps = 100, input = 32, hidden = 64, layers = 1
    var seconds = 3.0

    init(parsing a: ParsedArguments) throws {
        batch = try a.int("batch", in: 1...1_000_000) ?? batch
        steps = try a.int("steps", in: 1...1_000_000) ?? steps
        input = try a.int("input", in: 1...1_000_000) ?? input
        hidden = try a.int("hidden", in: 1...65_536) ?? hidden
        layers = try a.int("layers", in: 1...64) ?? layers
        seconds = try a.double("seconds", in: 0...3600) ?? seconds
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
        print(String(format: "train_sequences_per_second=%.1f infer_sequences_per_second=%.1f",
                     r.trainSequencesPerSecond, r.inferSequencesPerSecond))
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
        options: [
            OptionSpec("m", value: "M", help: "Rows of A and C.", default: "1024"),
            OptionSpec("n", value: "N", help: "Columns of B and C.", default: "1024"),
            OptionSpec("k", value: "K", help: "Inner dimension.", default: "1024"),
            OptionSpec("seconds", value: "S", help: "Measuring time.", default: "2"),
        ])

    var m = 1024, n = 1024, k = 1024
    var seconds = 2.0

    init(parsing a: ParsedArguments) throws {
        m = try a.int("m", in: 1...100_000) ?? m
        n = try a.int("n", in: 1...100_000) ?? n
        k = try a.int("k", in: 1...100_000) ?? k
        seconds = try a.double("seconds", in: 0...3600) ?? seconds
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

Run 'churn-bench <subcommand> --help' for its options.
"""

var arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "lstm": LSTMBench.main(Array(arguments.dropFirst()))
case "gemm": GEMMBench.main(Array(arguments.dropFirst()))
case "--help", "-h", "help": print(overview); exit(ExitCode.success.rawValue)
case "--version": print("churn-bench \(churnForecasterVersion)"); exit(ExitCode.success.rawValue)
case nil:
    Terminal.error(overview)
    exit(ExitCode.usage.rawValue)
case let other?:
    Terminal.error("churn-bench: error: unknown subcommand '\(other)' (expected lstm or gemm)")
    exit(ExitCode.usage.rawValue)
}
