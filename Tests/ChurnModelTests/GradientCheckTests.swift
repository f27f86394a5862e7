import ChurnSupport
import TensorKit
import XCTest
import _TestSupport
@testable import ChurnModel

/// Compares every analytic gradient of Embedding → 2-layer LSTM → Linear → BCE with central
/// finite differences on small random batches of mixed sequence lengths.
final class GradientCheckTests: XCTestCase {
    /// Relative error per element, `|a − n| / max(|a|, |n|)`, for elements whose gradient is
    /// large enough for Float differences to resolve; the worst one must be below 1e-2.
    func check(shape: NetworkShape, lengths: [Int], posWeight: Float, seed: UInt64,
               dropout: ChurnNetwork.Dropout? = nil) throws {
        var rng = SeededGenerator(seed: seed)
        let network = ChurnNetwork(shape: shape)
        // The same seed draws the same masks in every forward pass, so the differences see them too.
        network.dropout = dropout
        network.computesNumericGradient = true
        network.parameters.initialize(using: &rng)
        // Larger weights than the default init make the gradients big enough to check in Float.
        let p = network.parameters.values
        for i in 0..<p.count { p[i] *= 2.5 }
        let S = lengths.reduce(0, +)
        let batch = SequenceBatch(
            lengths: lengths,
            eventIDs: (0..<S).map { _ in Int32(rng.nextInt(below: shape.vocabularySize)) },
            numeric: (0..<S * shape.numericSize).map { _ in Float(rng.nextGaussian()) },
            labels: lengths.indices.map { _ in Float(rng.nextInt(below: 2)) })
        try computeGradients(network, batch, posWeight: posWeight)
        let analytic = network.parameters.gradients.array
        let analyticNumeric = network.numericGradient.array
        // Training's backward computes only the embedding columns of the input gradient (with
        // the dropout mask applied to those): the same parameter gradients.
        network.computesNumericGradient = false
        try computeGradients(network, batch, posWeight: posWeight)
        for (k, (full, training)) in zip(analytic, network.parameters.gradients.array).enumerated() {
            XCTAssertEqual(training, full, accuracy: 1e-6 * max(1, abs(full)), "gradient \(k) without the numeric-input gradient")
        }
        network.computesNumericGradient = true

        func loss(_ b: SequenceBatch) throws -> Double {
            BinaryCrossEntropy.forward(logits: try network.forward(b), labels: b.labels!, posWeight: posWeight)
        }
        let h: Float = 1e-2
        var checked = 0
        func compare(_ a: Float, _ numeric: Double, _ what: String) {
            let n = Float(numeric)
            let scale = max(abs(a), abs(n))
            guard scale > 1e-3 else {
                XCTAssertLessThan(abs(a - n), 2e-5, "\(what): analytic \(a) vs numeric \(n)")
                return
            }
            checked += 1
            XCTAssertLessThan(abs(a - n) / scale, 1e-2, "\(what): analytic \(a) vs numeric \(n)")
        }
        for entry in network.parameters.entries {
            var worst: Float = 0
            for k in 0..<entry.count {
                let i = entry.offset + k
                let saved = p[i]
                p[i] = saved + h; let plus = try loss(batch)
                p[i] = saved - h; let minus = try loss(batch)
                p[i] = saved
                let numeric = (plus - minus) / Double(2 * h)
                compare(analytic[i], numeric, "\(entry.name)[\(k)]")
                worst = maximumPropagatingNaN(worst, abs(analytic[i] - Float(numeric)) / max(abs(analytic[i]), 1e-3))
            }
            print(String(format: "  %-22@ worst relative error %.2e", entry.name as NSString, worst))
            XCTAssertFalse(worst.isNaN, "\(entry.name): NaN gradient or loss")
        }
        var perturbed = batch
        for k in 0..<batch.numeric.count {
            let saved = perturbed.numeric[k]
            perturbed.numeric[k] = saved + h; let plus = try loss(perturbed)
            perturbed.numeric[k] = saved - h; let minus = try loss(perturbed)
            perturbed.numeric[k] = saved
            compare(analyticNumeric[k], (plus - minus) / Double(2 * h), "numeric input[\(k)]")
        }
        XCTAssertGreaterThan(checked, network.parameters.parameterCount / 3, "too few gradients were large enough to check")
    }

    func testTwoLayerNetworkWithMixedLengths() throws {
        try check(shape: NetworkShape(vocabularySize: 6, embeddingSize: 3, numericSize: 2, hiddenSize: 5, numLayers: 2),
                  lengths: [4, 1, 7, 3, 7, 2], posWeight: 1, seed: 11)
    }

    func testPositiveClassWeightAndSingleStepSequences() throws {
        try check(shape: NetworkShape(vocabularySize: 4, embeddingSize: 2, numericSize: 3, hiddenSize: 3, numLayers: 2),
                  lengths: [1, 5, 1, 2], posWeight: 3, seed: 5)
    }

    func testWithDropoutMasks() throws {
        try check(shape: NetworkShape(vocabularySize: 6, embeddingSize: 3, numericSize: 2, hiddenSize: 5, numLayers: 2),
                  lengths: [4, 1, 7, 3, 7, 2], posWeight: 1, seed: 11, dropout: .init(rate: 0.3, seed: 42))
    }

    /// Dropout changes training logits, draws about `rate` zeros, and never touches inference.
    func testDropoutIsActiveInTrainingOnly() throws {
        var rng = SeededGenerator(seed: 8)
        let shape = NetworkShape(vocabularySize: 6, embeddingSize: 4, numericSize: 3, hiddenSize: 8, numLayers: 1)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        let lengths = [5, 3, 8, 2]
        let S = lengths.reduce(0, +)
        let batch = SequenceBatch(lengths: lengths, eventIDs: (0..<S).map { _ in Int32(rng.nextInt(below: 6)) },
                                  numeric: (0..<S * 3).map { _ in Float(rng.nextGaussian()) }, labels: [0, 1, 0, 1])
        let plain = try network.forward(batch)
        let inference = try network.forward(batch, mode: .inference)
        network.dropout = .init(rate: 0.5, seed: 1)
        let dropped = try network.forward(batch)
        XCTAssertEqual(try network.forward(batch), dropped, "same seed, same masks")
        XCTAssertNotEqual(dropped, plain)
        XCTAssertEqual(try network.forward(batch, mode: .inference), inference)
        let mask = FloatBuffer(count: 20_000)
        var maskRNG = SeededGenerator(seed: 3)
        ChurnNetwork.fillMask(mask.pointer, count: mask.count, rate: 0.25, using: &maskRNG)
        let zeros = (0..<mask.count).filter { mask[$0] == 0 }.count
        XCTAssertEqual(Double(zeros) / Double(mask.count), 0.25, accuracy: 0.015)
        XCTAssertTrue((0..<mask.count).allSatisfy { mask[$0] == 0 || mask[$0] == Float(1 / 0.75) })
    }

    func testThreeLayersWithoutNumericFeatures() throws {
        try check(shape: NetworkShape(vocabularySize: 5, embeddingSize: 4, numericSize: 0, hiddenSize: 4, numLayers: 3),
                  lengths: [3, 6, 2], posWeight: 1, seed: 3)
    }
}
