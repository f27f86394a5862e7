import ChurnSupport
import Foundation

/// A seeded table for the tests: `featureCount` uniform features in [-1, 1) and labels from the
/// nonlinear rule "x0 · x1 > 0" (an XOR no single split separates), each flipped with
/// probability `noise`.
struct TestTable {
    var features: [Float] = []
    var labels: [Float] = []
    let featureCount: Int
    var rowCount: Int { labels.count }

    init(rows: Int, featureCount: Int = 4, noise: Double = 0.05, seed: UInt64) {
        self.featureCount = featureCount
        var random = SeededGenerator(seed: seed)
        for _ in 0..<rows {
            let row = (0..<featureCount).map { _ in Float(random.nextDouble() * 2 - 1) }
            var label: Float = row[0] * row[1] > 0 ? 1 : 0
            if random.nextDouble() < noise { label = 1 - label }
            features += row
            labels.append(label)
        }
    }

    var validation: (features: [Float], labels: [Float]) { (features, labels) }
}

/// The rows `range` of a row-major table.
func rows(_ features: [Float], _ range: Range<Int>, featureCount: Int) -> [Float] {
    Array(features[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)])
}
