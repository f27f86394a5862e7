/// Scores sorted once and collapsed into groups of equal score, with the class counts per group.
///
/// Every ranking metric (ROC AUC, average precision, lift, the curves) and the bootstrap work on
/// these groups: ties are exactly the members of one group, and a resample only changes the counts.
/// Shape legend: n = samples, G = distinct scores (G ≤ n).
struct RankedScores: Sendable {
    /// Distinct scores, ascending (G).
    var groupScores: [Double]
    /// Positives and negatives per group (G).
    var groupPositives: [Double]
    var groupNegatives: [Double]
    /// The group of each sample (n), for resampling.
    var groupOfSample: [Int32]
    var positives: Double
    var negatives: Double

    var count: Int { groupOfSample.count }

    /// Sorts the scores and builds the groups.
    /// - Complexity: O(n log n).
    init(scores: [Double], labels: [Bool]) throws {
        try Metrics.validate(scores, labels)
        let n = scores.count
        let order = (0..<n).sorted { scores[$0] < scores[$1] }
        var groupScores: [Double] = []
        var groupPositives: [Double] = []
        var groupNegatives: [Double] = []
        var groupOfSample = [Int32](repeating: 0, count: n)
        groupScores.reserveCapacity(n)
        for i in order {
            let s = scores[i]
            if groupScores.last != s {
                groupScores.append(s)
                groupPositives.append(0)
                groupNegatives.append(0)
            }
            let g = groupScores.count - 1
            if labels[i] { groupPositives[g] += 1 } else { groupNegatives[g] += 1 }
            groupOfSample[i] = Int32(g)
        }
        self.groupScores = groupScores
        self.groupPositives = groupPositives
        self.groupNegatives = groupNegatives
        self.groupOfSample = groupOfSample
        positives = groupPositives.reduce(0, +)
        negatives = Double(n) - positives
    }

    /// ROC AUC from per-group class weights: the Mann–Whitney statistic with ties counted as half.
    ///
    /// Equal to the trapezoidal area under the ROC curve with thresholds at distinct scores
    /// (scikit-learn's `roc_auc_score`). Returns NaN when either class has zero weight.
    /// - Complexity: O(G).
    @inline(__always)
    static func auc(positives pos: UnsafeBufferPointer<Double>, negatives neg: UnsafeBufferPointer<Double>) -> Double {
        var negativesBelow = 0.0, totalPositives = 0.0, sum = 0.0
        for g in 0..<pos.count {
            sum += pos[g] * (negativesBelow + 0.5 * neg[g])
            negativesBelow += neg[g]
            totalPositives += pos[g]
        }
        guard totalPositives > 0, negativesBelow > 0 else { return .nan }
        return sum / (totalPositives * negativesBelow)
    }

    /// ROC AUC of the full sample.
    var auc: Double {
        groupPositives.withUnsafeBufferPointer { p in
            groupNegatives.withUnsafeBufferPointer { q in RankedScores.auc(positives: p, negatives: q) }
        }
    }

    /// Average precision: Σ (R_k − R_{k−1}) · P_k over thresholds at distinct scores, descending.
    var averagePrecision: Double {
        guard positives > 0 else { return .nan }
        var tp = 0.0, fp = 0.0, ap = 0.0
        for g in stride(from: groupScores.count - 1, through: 0, by: -1) {
            tp += groupPositives[g]
            fp += groupNegatives[g]
            ap += groupPositives[g] / positives * (tp / (tp + fp))
        }
        return max(0, ap)
    }

    /// Expected positives among the `k` highest scores, the tie group at the cut counted pro rata.
    func positivesInTop(_ k: Int) -> Double {
        var taken = 0.0, captured = 0.0
        let target = Double(k)
        for g in stride(from: groupScores.count - 1, through: 0, by: -1) {
            let size = groupPositives[g] + groupNegatives[g]
            if taken + size <= target {
                taken += size
                captured += groupPositives[g]
                if taken == target { break }
            } else {
                captured += (target - taken) * groupPositives[g] / size
                break
            }
        }
        return captured
    }
}
