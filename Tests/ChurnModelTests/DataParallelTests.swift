import ChurnSupport
import Foundation
import TensorKit
import XCTest
import _TestSupport
@testable import ChurnModel

/// N processes of a data-parallel run, played by N threads of this process: every operation
/// waits for all of them, and sums add the contributions in rank order (so every "process" gets
/// the same bits, as MPI's allreduce gives with two processes).
final class ThreadCollective: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var arrived = 0, generation = 0
    private var slots: [[Double]]

    init(size: Int) {
        self.size = size
        slots = Array(repeating: [], count: size)
    }

    /// The collective of process `rank`.
    func member(_ rank: Int) -> Member { Member(group: self, rank: rank) }

    /// Deposits `values` as `rank`'s, waits for every process, returns all deposits by rank.
    fileprivate func exchange(_ rank: Int, _ values: [Double]) -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        slots[rank] = values
        barrier()
        let all = slots
        // Nobody deposits again before everyone has read.
        barrier()
        return all
    }

    /// Waits (holding the lock between waits) until every process has arrived.
    private func barrier() {
        let mine = generation
        arrived += 1
        if arrived == size {
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            while generation == mine { condition.wait() }
        }
    }

    final class Member: Collective, @unchecked Sendable {
        let group: ThreadCollective
        let rank: Int
        init(group: ThreadCollective, rank: Int) { self.group = group; self.rank = rank }
        var size: Int { group.size }

        func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {
            let all = group.exchange(rank, buffer.map(Double.init))
            for i in buffer.indices {
                var s = Float(all[0][i])
                for r in 1..<size { s += Float(all[r][i]) }
                buffer[i] = s
            }
        }

        func sum(_ buffer: UnsafeMutableBufferPointer<Double>) {
            let all = group.exchange(rank, Array(buffer))
            for i in buffer.indices { buffer[i] = (0..<size).reduce(0.0) { $0 + all[$1][i] } }
        }

        func gather(_ local: [Float], counts: [Int]) -> [Float] {
            precondition(counts[rank] == local.count)
            return group.exchange(rank, local.map(Double.init)).flatMap { $0.map(Float.init) }
        }

        func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) {
            let all = group.exchange(rank, buffer.map(Double.init))
            for i in buffer.indices { buffer[i] = Float(all[0][i]) }
        }

        func wait() { _ = group.exchange(rank, []) }
    }
}

final class DataParallelTests: XCTestCase {
    let shape = NetworkShape(vocabularySize: 8, embeddingSize: 4, numericSize: 2, hiddenSize: 12, numLayers: 1)

    func dataset(count: Int, seed: UInt64) -> SequenceDataset {
        var rng = SeededGenerator(seed: seed)
        var data = SequenceDataset(numericSize: 2)
        for k in 0..<count {
            let length = 1 + rng.nextInt(below: 20)
            let ids = (0..<length).map { _ in Int32(1 + rng.nextInt(below: 7)) }
            let label: Float = ids.filter { $0 == 3 }.count > ids.filter { $0 == 4 }.count ? 1 : 0
            data.append(eventIDs: ids, numeric: (0..<2 * length).map { _ in Float(rng.nextGaussian()) }, label: label, group: k)
        }
        return data
    }

    /// Trains with `processes` threads standing for processes; returns every process's final
    /// weights, its results and its validation logits.
    func train(processes: Int, dropout: Float = 0.2, epochs: Int = 3) throws -> [(weights: [Float], result: TrainingResult)] {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = 24
        options.patience = 100
        options.dropout = dropout
        options.seed = 7
        let train = dataset(count: 300, seed: 1), validation = dataset(count: 101, seed: 2)
        let group = ThreadCollective(size: processes), shape = self.shape, settings = options
        final class Outcomes: @unchecked Sendable {
            var results: [Result<(weights: [Float], result: TrainingResult), Error>?]
            init(_ count: Int) { results = Array(repeating: nil, count: count) }
        }
        let outcomes = Outcomes(processes)
        let lock = NSLock()
        // One thread per process (concurrentPerform would run only as many at once as there
        // are cores, and the others would wait for them forever).
        let finished = DispatchSemaphore(value: 0)
        for rank in 0..<processes {
          Thread {
            let outcome = Result { () -> (weights: [Float], result: TrainingResult) in
                try Threading.withThreadCount(1) {
                    var rng = SeededGenerator(seed: 3)
                    let network = ChurnNetwork(shape: shape)
                    network.parameters.initialize(using: &rng)
                    let collective: any Collective = processes == 1 ? SingleProcess() : group.member(rank)
                    let trainer = Trainer(network: network, options: settings, train: train, validation: validation,
                                          collective: collective, auc: { exactROCAUC(scores: $0, labels: $1) })
                    let result = try trainer.run(checkpoint: nil)
                    return (network.parameters.values.array, result)
                }
            }
            lock.lock(); outcomes.results[rank] = outcome; lock.unlock()
            finished.signal()
          }.start()
        }
        for _ in 0..<processes { finished.wait() }
        return try outcomes.results.map { try $0!.get() }
    }

    func testSharesCoverTheRowsOnceInOrder() {
        for size in 1...5 {
            let group = ThreadCollective(size: size)
            for count in [0, 1, 4, 23, 24, 64] {
                let shares = group.member(0).shares(of: count)
                XCTAssertEqual(shares.flatMap { Array($0) }, Array(0..<count), "size \(size), count \(count)")
                XCTAssertLessThanOrEqual(shares.map(\.count).max()! - shares.map(\.count).min()!, 1)
                XCTAssertEqual(group.member(size - 1).share(of: count), shares[size - 1])
            }
        }
    }

    /// A batch split across processes draws the dropout masks of the whole batch: the rows of a
    /// share, given its first position, get the logits they get in the whole batch.
    func testASplitBatchDrawsTheMasksOfTheWholeBatch() throws {
        let data = dataset(count: 40, seed: 5)
        let network = ChurnNetwork(shape: shape)
        var rng = SeededGenerator(seed: 9)
        network.parameters.initialize(using: &rng)
        network.dropout = .init(rate: 0.5, seed: 123)
        let whole = try network.forward(data.batch(0..<40))
        network.dropout = .init(rate: 0.5, seed: 123, firstRow: 15)
        let tail = try network.forward(data.batch(15..<40))
        XCTAssertEqual(Array(whole[15...]).map(\.bitPattern), tail.map(\.bitPattern))
        network.dropout = .init(rate: 0.5, seed: 123)
        let unshifted = try network.forward(data.batch(15..<40))
        XCTAssertNotEqual(Array(whole[15...]), unshifted, "the masks must depend on the position in the batch")
        XCTAssertTrue(whole.allSatisfy(\.isFinite))
    }

    /// Two and three processes train the model one process trains, up to the order of
    /// floating-point sums: every weight within 1e-5 after three epochs (the measured
    /// difference is about 1e-7), and the same epochs, losses within 1e-6.
    func testProcessesTrainTheModelOfOneProcess() throws {
        let one = try train(processes: 1)[0]
        XCTAssertTrue(one.weights.allSatisfy(\.isFinite))
        for processes in [2, 3] {
            let many = try train(processes: processes)
            // Every process ends with the same weights (process 0's, broadcast after each epoch).
            for other in many.dropFirst() { XCTAssertEqual(other.weights.map(\.bitPattern), many[0].weights.map(\.bitPattern)) }
            let difference = zip(one.weights, many[0].weights).map { abs($0 - $1) }.max()!
            print("\(processes) processes: largest weight difference from one process \(difference)")
            XCTAssertLessThanOrEqual(difference, 1e-5, "\(processes) processes")
            XCTAssertFalse(difference.isNaN)
            XCTAssertEqual(one.result.history.count, many[0].result.history.count)
            for (a, b) in zip(one.result.history, many[0].result.history) {
                XCTAssertEqual(a.trainLoss, b.trainLoss, accuracy: 1e-6)
                XCTAssertEqual(a.validationLoss, b.validationLoss, accuracy: 1e-6)
            }
            XCTAssertEqual(one.result.validationLogits.count, many[0].result.validationLogits.count)
            for (a, b) in zip(one.result.validationLogits, many[0].result.validationLogits) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }
}
