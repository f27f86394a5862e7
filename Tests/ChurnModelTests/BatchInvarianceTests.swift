import ChurnSupport
import TensorKit
import XCTest
import _TestSupport
@testable import ChurnModel

/// A sequence's logit must not depend on which other sequences share its batch: shards of
/// churn-predict must reproduce the unsharded output exactly.
final class BatchInvarianceTests: XCTestCase {
    func testLogitsAreBitwiseIndependentOfBatchComposition() throws {
        let shape = NetworkShape(vocabularySize: 9, embeddingSize: 8, numericSize: 13, hiddenSize: 64, numLayers: 2)
        var rng = SeededGenerator(seed: 12)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        var dataset = SequenceDataset(numericSize: 13)
        for k in 0..<90 {
            let n = 1 + rng.nextInt(below: 120)
            dataset.append(eventIDs: (0..<n).map { _ in Int32(rng.nextInt(below: 9)) },
                           numeric: (0..<n * 13).map { _ in Float(rng.nextGaussian()) }, label: 0, group: k)
        }
        let all = try network.forward(dataset.batch(0..<90), mode: .inference)
        // Inference agrees with the training path (BLAS) to float precision.
        assertClose(all, try network.forward(dataset.batch(0..<90)), tolerance: 1e-5, "inference vs training logits")
        var mismatches = 0
        for (start, size, threads) in [(0, 1, 2), (5, 3, 1), (10, 17, 2), (30, 45, 1), (3, 64, 2), (89, 1, 1)] {
            let part = try Threading.withThreadCount(threads) {
                try network.forward(dataset.batch(start..<(start + size)), mode: .inference)
            }
            for k in 0..<size where part[k].bitPattern != all[start + k].bitPattern { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0, "logits changed with the batch around them")
    }

    func testPackedWeightsFollowParameterChanges() throws {
        let shape = NetworkShape(vocabularySize: 3, embeddingSize: 2, numericSize: 1, hiddenSize: 5, numLayers: 1)
        var rng = SeededGenerator(seed: 2)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        let batch = SequenceBatch(lengths: [3], eventIDs: [1, 2, 0], numeric: [0.5, -1, 2])
        let before = try network.forward(batch, mode: .inference)
        var optimizer = AdamOptimizer(parameterCount: network.parameters.values.count, learningRate: 0.1)
        network.parameters.gradients.pointer.update(repeating: 1, count: network.parameters.gradients.count)
        network.updateParameters { optimizer.update($0) }
        let after = try network.forward(batch, mode: .inference)
        XCTAssertNotEqual(before, after)
        assertClose(after, try network.forward(batch), tolerance: 1e-5, "inference after an update")
    }
}
