import Snapshots
import EventLog
import ChurnSupport

/// Padded model input for a batch of rows (SPEC §4 layout, one sequence per row).
public struct FeatureBatch: Sendable {
    /// Where padding goes. Right: steps `0..<length` are real. Left: steps `T − length..<T` are
    /// real, so the last step is the cutoff step for every row. Either way the model must mask
    /// (or pack) the padded steps by `lengths`.
    public enum Padding: Sendable { case right, left }

    /// Indices of the rows (into the row list the batch was made from), in batch order.
    public var rowIndices: [Int]
    /// `T`: the longest sequence in the batch.
    public var steps: Int
    /// `F`.
    public var featureCount: Int
    /// Where the padding is.
    public var padding: Padding
    /// `[B, T]` event ids; padding is 0.
    public var eventIDs: [Int32]
    /// `[B, T, F]` standardized numeric features; padding is 0.
    public var numeric: [Float]
    /// `[B]` sequence lengths.
    public var lengths: [Int32]
    /// `[B]` labels as 0/1 (0 for unlabelled rows).
    public var labels: [Float]

    /// `B`.
    public var batchSize: Int { rowIndices.count }
}

/// Grouping rows into batches of similar length (training batches are planned by the trainer,
/// `ChurnModel.Batching`), and the customer-level train/validation split.
public enum BatchPlanner {
    /// Plans inference batches without shuffling: rows sorted by length (ties by index), cut
    /// into batches. Results must be scattered back by `rowIndices`.
    /// - Complexity: O(n log n).
    public static func sortedBatches(lengths: [Int], batchSize: Int) -> [[Int]] {
        precondition(batchSize >= 1)
        let order = (0..<lengths.count).sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        return stride(from: 0, to: order.count, by: batchSize).map { Array(order[$0..<min(order.count, $0 + batchSize)]) }
    }

    /// The fraction of padded steps in a plan (0 = no waste).
    public static func paddingFraction(lengths: [Int], batches: [[Int]]) -> Double {
        var real = 0, total = 0
        for batch in batches {
            let longest = batch.map { lengths[$0] }.max() ?? 0
            total += longest * batch.count
            real += batch.reduce(0) { $0 + lengths[$1] }
        }
        return total == 0 ? 0 : 1 - Double(real) / Double(total)
    }

    /// Splits rows by customer into training and validation (all rows of a customer on one side).
    /// - Parameters:
    ///   - rows: the rows (possibly several snapshots).
    ///   - validationFraction: the fraction of customers for validation, in `[0, 1)`.
    ///   - seed: the shuffle seed.
    /// - Returns: indices into `rows` for each side, in row order.
    /// - Complexity: O(n + C log C).
    public static func splitByCustomer(rows: [SnapshotRow], validationFraction: Double, seed: UInt64)
        -> (training: [Int], validation: [Int]) {
        let customers = Array(Set(rows.map(\.customer))).sorted()
        var shuffled = customers
        var generator = SeededGenerator(seed: seed)
        generator.shuffle(&shuffled)
        let validationCount = Int((Double(customers.count) * min(max(validationFraction, 0), 1)).rounded())
        let validation = Set(shuffled.prefix(validationCount))
        var training: [Int] = [], held: [Int] = []
        for (i, row) in rows.enumerated() {
            if validation.contains(row.customer) { held.append(i) } else { training.append(i) }
        }
        return (training, held)
    }
}

extension Featurizer {
    /// Featurizes and pads a batch of rows.
    /// - Parameters:
    ///   - rows: the row list.
    ///   - indices: which rows, in batch order.
    ///   - padding: right (default) or left.
    /// - Returns: the padded batch.
    /// - Complexity: O(B·T·F + histories), on `Threading.threadCount` threads for large batches.
    public func makeBatch(rows: [SnapshotRow], indices: [Int], padding: FeatureBatch.Padding = .right) -> FeatureBatch {
        let lengths = indices.map { length(of: rows[$0]) }
        let steps = lengths.max() ?? 0
        let f = spec.featureCount
        var batch = FeatureBatch(rowIndices: indices, steps: steps, featureCount: f, padding: padding,
                                 eventIDs: [Int32](repeating: 0, count: indices.count * steps),
                                 numeric: [Float](repeating: 0, count: indices.count * steps * f),
                                 lengths: lengths.map { Int32($0) },
                                 labels: indices.map { rows[$0].label == true ? 1 : 0 })
        batch.eventIDs.withUnsafeMutableBufferPointer { ids in
            batch.numeric.withUnsafeMutableBufferPointer { numeric in
                let ids = ids, numeric = numeric
                Threading.parallelFor(indices.count, minimumPerThread: 32) { range in
                    for b in range {
                        let offset = padding == .right ? 0 : steps - lengths[b]
                        featurize(rows[indices[b]], eventIDs: ids.baseAddress! + b * steps + offset,
                                  numeric: numeric.baseAddress! + (b * steps + offset) * f)
                    }
                }
            }
        }
        return batch
    }
}
