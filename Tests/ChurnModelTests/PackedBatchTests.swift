import ChurnSupport
import TensorKit
import XCTest
import _TestSupport
@testable import ChurnModel

final class PackedBatchTests: XCTestCase {
    func testPackingPlanOfMixedLengths() {
        let plan = PackingPlan(lengths: [2, 4, 1, 4])
        XCTAssertEqual(plan.order, [1, 3, 0, 2])
        XCTAssertEqual(plan.batchSizes, [4, 3, 2, 2])
        XCTAssertEqual(plan.offsets, [0, 4, 7, 9, 11])
        XCTAssertEqual(plan.lastRows, [9, 10, 6, 3])
        XCTAssertEqual(plan.sequenceStarts, [0, 2, 6, 7])
    }

    func testPartitionsCoverEverySequenceWithBalancedSteps() {
        var rng = SeededGenerator(seed: 1)
        let lengths = (0..<100).map { _ in 1 + rng.nextInt(below: 50) }
        let plan = PackingPlan(lengths: lengths)
        let parts = plan.partitions(2)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts.first?.lowerBound, 0)
        XCTAssertEqual(parts.last?.upperBound, 100)
        XCTAssertEqual(parts[0].upperBound, parts[1].lowerBound)
        let sorted = plan.order.map { lengths[$0] }
        let steps = parts.map { sorted[$0].reduce(0, +) }
        XCTAssertLessThan(abs(steps[0] - steps[1]), 60, "unbalanced \(steps)")
        XCTAssertEqual(PackingPlan(lengths: [3, 2]).partitions(2), [0..<2], "tiny batches stay whole")
    }

    /// The batch split across cores, and every instruction set, give one core's bits: every
    /// product sums each output in one fixed order, whatever the split or the vector width.
    func testTwoCoreTimeLoopsAndEveryInstructionSetMatchOneCoreBitForBit() throws {
        let shape = NetworkShape(vocabularySize: 7, embeddingSize: 4, numericSize: 3, hiddenSize: 12, numLayers: 2)
        var rng = SeededGenerator(seed: 3)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        let lengths = (0..<40).map { _ in 1 + rng.nextInt(below: 30) }
        let S = lengths.reduce(0, +)
        let batch = SequenceBatch(lengths: lengths,
                                  eventIDs: (0..<S).map { _ in Int32(rng.nextInt(below: 7)) },
                                  numeric: (0..<S * 3).map { _ in Float(rng.nextGaussian()) },
                                  labels: lengths.map { _ in Float(rng.nextInt(below: 2)) })
        func run() throws -> (loss: Double, logits: [UInt32], gradients: [UInt32]) {
            let loss = try computeGradients(network, batch)
            return (loss, try network.forward(batch).map(\.bitPattern), network.parameters.gradients.array.map(\.bitPattern))
        }
        let before = InstructionSet.active
        defer { InstructionSet.select(before) }
        InstructionSet.select(.detected)
        let (loss1, logits1, grads1) = try Threading.withThreadCount(1, run)
        XCTAssertEqual(PackingPlan(lengths: lengths).partitions(2).count, 2)
        for isa in InstructionSet.supported {
            InstructionSet.select(isa)
            for threads in [1, 2] {
                let (loss, logits, grads) = try Threading.withThreadCount(threads, run)
                XCTAssertEqual(loss.bitPattern, loss1.bitPattern, "loss on \(isa.rawValue), \(threads) threads")
                XCTAssertEqual(logits, logits1, "logits on \(isa.rawValue), \(threads) threads")
                XCTAssertEqual(grads, grads1, "gradients on \(isa.rawValue), \(threads) threads")
            }
        }
    }

    func testInvalidBatchesAreRejected() {
        let network = ChurnNetwork(shape: NetworkShape(vocabularySize: 3, embeddingSize: 2, numericSize: 1, hiddenSize: 2, numLayers: 1))
        XCTAssertThrowsError(try network.forward(SequenceBatch(lengths: [1], eventIDs: [3], numeric: [0])))
        XCTAssertThrowsError(try network.forward(SequenceBatch(lengths: [1], eventIDs: [1], numeric: [0, 0])))
        XCTAssertEqual(try network.forward(SequenceBatch(lengths: [], eventIDs: [], numeric: [])), [])
    }
}
