import Evaluation
import ChurnSupport
import Foundation
import TensorKit
import XCTest
import _TestSupport
@testable import ChurnModel

final class TrainerTests: XCTestCase {
    /// Label 1 when the last "error" (id 2) comes after the last "resolved" (id 3): counts alone
    /// cannot tell, the order can.
    func orderDataset(count: Int, seed: UInt64) -> SequenceDataset {
        var rng = SeededGenerator(seed: seed)
        var data = SequenceDataset(numericSize: 1)
        for k in 0..<count {
            let length = 4 + rng.nextInt(below: 12)
            var ids = (0..<length).map { _ in Int32(4 + rng.nextInt(below: 3)) }
            let a = rng.nextInt(below: length), b = (a + 1 + rng.nextInt(below: length - 1)) % length
            ids[a] = 2; ids[b] = 3
            let label: Float = a > b ? 1 : 0
            ids.append(1)
            data.append(eventIDs: ids, numeric: ids.map { _ in Float(rng.nextGaussian()) * 0.1 }, label: label, group: k)
        }
        return data
    }

    let shape = NetworkShape(vocabularySize: 8, embeddingSize: 4, numericSize: 1, hiddenSize: 16, numLayers: 1)

    func makeTrainer(epochs: Int = 10, seed: UInt64 = 1) -> Trainer {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 32
        options.learningRate = 0.01
        options.patience = 100
        options.seed = seed
        var rng = SeededGenerator(seed: seed)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        return Trainer(network: network, options: options, train: orderDataset(count: 400, seed: 1),
                       validation: orderDataset(count: 150, seed: 2), auc: { exactROCAUC(scores: $0, labels: $1) })
    }

    func testLearnsAnOrderDependentLabel() throws {
        let result = try makeTrainer().run(checkpoint: nil)
        let last = try XCTUnwrap(result.history.last)
        print("epochs \(result.history.count), best \(result.bestEpoch), validation AUC \(last.validationAUC)")
        // `max()` skips a NaN after the first element: check finiteness first.
        XCTAssert(result.history.allSatisfy { $0.trainLoss.isFinite && $0.validationAUC.isFinite }, "NaN in \(result.history)")
        XCTAssertGreaterThan(result.history.map(\.validationAUC).max()!, 0.9)
        XCTAssertLessThan(last.trainLoss, result.history[0].trainLoss)
    }

    func testInterruptedRunResumesToTheSameWeights() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("m.checkpoint")

        let reference = makeTrainer(epochs: 3)
        let expected = try reference.run(checkpoint: nil)

        let first = makeTrainer(epochs: 3)
        var batches = 0
        XCTAssertThrowsError(try first.run(checkpoint: checkpoint, shouldStop: { batches += 1; return batches == 20 })) { error in
            guard case TrainingError.interrupted(_, let epoch, let batch) = error else { return XCTFail("\(error)") }
            // 13 batches per epoch: the 20th is the 7th of the second epoch (counted from 1, as progress shows it).
            XCTAssertEqual(epoch, 2); XCTAssertEqual(batch, 7)
        }
        XCTAssert(FileManager.default.fileExists(atPath: checkpoint.path))
        let second = makeTrainer(epochs: 3)
        try second.restoreCheckpoint(from: checkpoint)
        let resumed = try second.run(checkpoint: checkpoint)
        // Everything but wall-clock time must replay exactly.
        func replayed(_ h: [EpochRecord]) -> [[Double]] { h.map { [Double($0.epoch), $0.trainLoss, $0.validationLoss, $0.validationAUC, $0.learningRate] } }
        XCTAssertEqual(replayed(resumed.history), replayed(expected.history))
        XCTAssertEqual(second.network.parameters.values.array, reference.network.parameters.values.array)
        XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint.path), "checkpoint removed after success")

        let other = makeTrainer(epochs: 4)
        try first.saveCheckpoint(to: checkpoint)
        XCTAssertThrowsError(try other.restoreCheckpoint(from: checkpoint)) { error in
            XCTAssert("\(error)".contains("other training options"))
        }
    }

    /// The checkpoint's state writes the best loss +∞ (none yet) as `null`, the project's one
    /// policy for non-finite numbers in JSON, and reads it back as +∞; a finite one round-trips.
    func testCheckpointStateWritesNoNonFiniteNumbers() throws {
        var state = Trainer.State()
        let fresh = String(decoding: try JSONOutput.encode(state), as: UTF8.self)
        XCTAssertTrue(fresh.contains("\"bestValidationLoss\":null"), fresh)
        XCTAssertFalse(fresh.lowercased().contains("inf"), fresh)
        XCTAssertEqual(try JSONDecoder().decode(Trainer.State.self, from: Data(fresh.utf8)).bestValidationLoss, .infinity)
        state.bestValidationLoss = 0.25
        let later = try JSONOutput.encode(state)
        XCTAssertEqual(try JSONDecoder().decode(Trainer.State.self, from: later).bestValidationLoss, 0.25)
    }

    func testNonFiniteInputStopsWithEpochAndBatch() {
        var data = SequenceDataset(numericSize: 1)
        data.append(eventIDs: [2, 1], numeric: [.nan, 0], label: 1, group: 0)
        data.append(eventIDs: [3, 1], numeric: [0, 0], label: 0, group: 1)
        let network = ChurnNetwork(shape: shape)
        let trainer = Trainer(network: network, options: TrainingOptions(), train: data, validation: data, auc: { exactROCAUC(scores: $0, labels: $1) })
        XCTAssertThrowsError(try trainer.run(checkpoint: nil)) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(epoch: 1, batch: 1, what: "the training loss"))
            XCTAssert("\(error)".contains("no model was written"))
        }
    }

    /// An absurd learning rate blows the weights up without NaN: the divergence guard stops it.
    func testAbsurdLearningRateStopsAsDiverged() {
        var options = TrainingOptions()
        options.learningRate = 10
        options.clipNorm = 0
        options.epochs = 5
        var rng = SeededGenerator(seed: 1)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        let trainer = Trainer(network: network, options: options, train: orderDataset(count: 300, seed: 1),
                              validation: orderDataset(count: 50, seed: 2), auc: { exactROCAUC(scores: $0, labels: $1) })
        XCTAssertThrowsError(try trainer.run(checkpoint: nil)) { error in
            switch error as? TrainingError {
            case .diverged?, .nonFinite?: XCTAssert("\(error)".contains("no model was written"))
            default: XCTFail("\(error)")
            }
        }
    }

    func testPlattScalingRecoversKnownParameters() {
        var rng = SeededGenerator(seed: 4)
        var logits: [Float] = [], labels: [Float] = []
        for _ in 0..<20_000 {
            let z = Float(rng.nextGaussian()) * 2
            let p = 1 / (1 + exp(-(2 * Double(z) - 1)))
            logits.append(z)
            labels.append(rng.nextDouble() < p ? 1 : 0)
        }
        let c = PlattScaling.fit(logits: logits, labels: labels)
        XCTAssertEqual(c.a, 2, accuracy: 0.1)
        XCTAssertEqual(c.b, -1, accuracy: 0.1)
        XCTAssertEqual(PlattScaling.fit(logits: [1, 2], labels: [1, 1]), .identity)
    }

    func testLengthGroupedBatchesAreDeterministicAndCoverEveryRow() {
        var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
        let lengths = (0..<1000).map { ($0 * 7919) % 97 + 1 }
        let x = Batching.lengthGroupedBatches(lengths: lengths, rows: Array(0..<1000), batchSize: 32, using: &a)
        let y = Batching.lengthGroupedBatches(lengths: lengths, rows: Array(0..<1000), batchSize: 32, using: &b)
        XCTAssertEqual(x, y)
        XCTAssertEqual(x.flatMap { $0 }.sorted(), Array(0..<1000))
        // Grouping by length: the average spread of lengths within a batch is small.
        let spread = x.map { batch in Double(batch.map { lengths[$0] }.max()! - batch.map { lengths[$0] }.min()!) }
        XCTAssertLessThan(spread.reduce(0, +) / Double(spread.count), 10)
    }
}
