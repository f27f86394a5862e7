import Snapshots
import ChurnSupport

/// The customer-level train/validation split of snapshot rows (training batches are planned by
/// the trainer, `ChurnModel.Batching`).
public enum BatchPlanner {
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
