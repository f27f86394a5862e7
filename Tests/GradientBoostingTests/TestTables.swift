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

/// ROC AUC by the rank-sum formula (ties count one half); NaN when a class is missing.
func rocAUC(scores: [Float], labels: [Float]) -> Double {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var ranks = [Double](repeating: 0, count: scores.count)
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
        for k in i...j { ranks[order[k]] = Double(i + j) / 2 + 1 }
        i = j + 1
    }
    let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
    guard positives > 0, negatives > 0 else { return .nan }
    let rankSum = zip(ranks, labels).filter { $0.1 == 1 }.map(\.0).reduce(0, +)
    return (rankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
}

/// The rows `range` of a row-major table.
func rows(_ features: [Float], _ range: Range<Int>, featureCount: Int) -> [Float] {
    Array(features[(range.lowerBound * featureCount)..<(range.upperBound * featureCount)])
}
