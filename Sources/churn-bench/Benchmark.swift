import ChurnModel
import ChurnSupport
import Foundation
import TensorKit

/// Throughput measurements of the real training and inference code paths.
enum Benchmark {
    /// Timing of repeated runs of one operation.
    struct Timing: Sendable {
        var iterations: Int
        var seconds: [Double]
        var median: Double {
            let sorted = seconds.sorted()
            let n = sorted.count
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        }
    }

    /// Runs `body` once to warm up, then repeatedly until `budget` seconds have passed (at least
    /// `minimumIterations` times), timing each run with a monotonic clock.
    static func measure(budget: Double, minimumIterations: Int = 3, _ body: () throws -> Void) rethrows -> Timing {
        try body()
        var seconds: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while seconds.count < minimumIterations || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return Timing(iterations: seconds.count, seconds: seconds)
    }

    /// The LSTM benchmark: B sequences of T steps with I numeric inputs each (no embedding),
    /// labels drawn at random, loss on the last step.
    ///
    /// A train step is zero-grad, forward, BCE on the last step, backward through time and an
    /// Adam update; inference is the batch-invariant forward pass that scoring uses.
    struct LSTMResult: Sendable {
        var train: Timing
        var infer: Timing
        var batch: Int
        var trainSequencesPerSecond: Double { Double(batch) / train.median }
        var inferSequencesPerSecond: Double { Double(batch) / infer.median }
    }

    static func lstm(batch B: Int, steps T: Int, input I: Int, hidden H: Int, layers L: Int,
                            seconds: Double, seed: UInt64 = 1) throws -> LSTMResult {
        var rng = SeededGenerator(seed: seed)
        let shape = NetworkShape(vocabularySize: 2, embeddingSize: 0, numericSize: I, hiddenSize: H, numLayers: L)
        let network = ChurnNetwork(shape: shape)
        network.updateParameters { $0.initialize(using: &rng) }
        let batch = SequenceBatch(lengths: [Int](repeating: T, count: B),
                                  eventIDs: [Int32](repeating: 0, count: B * T),
                                  numeric: (0..<B * T * I).map { _ in Float(rng.nextGaussian()) },
                                  labels: (0..<B).map { _ in Float(rng.nextInt(below: 2)) })
        var optimizer = AdamOptimizer(parameterCount: network.parameters.values.count, learningRate: 1e-3)
        let labels = batch.labels!
        let train = try measure(budget: seconds) {
            network.parameters.gradients.zero()
            let logits = try network.forward(batch)
            network.backward(network.head.lossGradient(outputs: logits, labels: labels, positiveWeight: 1))
            network.updateParameters { optimizer.update($0) }
        }
        let infer = try measure(budget: seconds) { _ = try network.forward(batch, mode: .inference) }
        return LSTMResult(train: train, infer: infer, batch: B)
    }

    /// The sgemm rate for `(M, K) · (K, N)` in GFLOP/s (median run): OpenBLAS with its own
    /// pool of `Threading.threadCount` threads (the ceiling), and our row-split `parallelGemm`
    /// over single-threaded OpenBLAS calls (what the model uses).
    static func gemm(m: Int, n: Int, k: Int, seconds: Double) -> (native: Timing, nativeGFLOPS: Double,
                                                                          split: Timing, splitGFLOPS: Double) {
        var rng = SeededGenerator(seed: 1)
        let a = FloatBuffer((0..<m * k).map { _ in rng.nextFloat() })
        let b = FloatBuffer((0..<k * n).map { _ in rng.nextFloat() })
        let c = FloatBuffer(count: m * n)
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let native = BLAS.withNativeThreads(Threading.threadCount) {
            measure(budget: seconds / 2) { BLAS.gemm(m: m, n: n, k: k, a: a.pointer, b: b.pointer, c: c.pointer) }
        }
        let split = measure(budget: seconds / 2) {
            BLAS.parallelGemm(m: m, n: n, k: k, a: a.pointer, b: b.pointer, c: c.pointer)
        }
        return (native, flops / native.median / 1e9, split, flops / split.median / 1e9)
    }
}
