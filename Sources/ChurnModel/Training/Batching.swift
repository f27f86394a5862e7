import ChurnSupport
import TensorKit

/// Seeded batch orders grouped by sequence length, so that a packed batch wastes little work.
public enum Batching {
    /// Shuffles all rows, cuts the shuffled list into pools of `poolBatches` batches, sorts each
    /// pool by length, cuts it into batches and finally shuffles the batch order.
    ///
    /// Deterministic for a generator state; each batch mixes customers at random while its
    /// lengths stay close. Only the last batch may be smaller than `batchSize`.
    public static func lengthGroupedBatches(lengths: [Int], rows: [Int], batchSize: Int, poolBatches: Int = 50,
                                            using rng: inout SeededGenerator) -> [[Int]] {
        var order = rows
        rng.shuffle(&order)
        var batches: [[Int]] = []
        let pool = batchSize * poolBatches
        var start = 0
        while start < order.count {
            var chunk = Array(order[start ..< min(order.count, start + pool)])
            chunk.sort { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
            var b = 0
            while b < chunk.count {
                batches.append(Array(chunk[b ..< min(chunk.count, b + batchSize)]))
                b += batchSize
            }
            start += pool
        }
        rng.shuffle(&batches)
        return batches
    }

    /// Contiguous batches in row order (for scoring), each of about `maxSteps` total steps and at
    /// most `batchSize` rows.
    public static func scoringBatches(lengths: [Int], batchSize: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        while start < lengths.count {
            let end = min(lengths.count, start + batchSize)
            ranges.append(start ..< end)
            start = end
        }
        return ranges
    }
}
