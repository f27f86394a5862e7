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
    /// Sample indices sorted by ascending score (n), and their labels in that order (n).
    var order: [Int32]
    var sortedLabels: [Bool]
    /// Group g spans `order[groupStart[g] ..< groupStart[g + 1]]` (G + 1).
    var groupStart: [Int32]
    var positives: Double
    var negatives: Double

    var count: Int { order.count }

    /// Sorts the scores and builds the groups.
    /// - Complexity: O(n log n).
    init(scores: [Double], labels: [Bool]) throws {
        try Metrics.validate(scores, labels)
        let n = scores.count
        let order = (0..<Int32(n)).sorted { scores[Int($0)] < scores[Int($1)] }
        var groupScores: [Double] = []
        var groupPositives: [Double] = []
        var groupNegatives: [Double] = []
        var groupStart: [Int32] = []
        var sortedLabels = [Bool](repeating: false, count: n)
        for (j, index) in order.enumerated() {
            let i = Int(index)
            let s = scores[i]
            if groupScores.last != s {
                groupScores.append(s)
                groupPositives.append(0)
                groupNegatives.append(0)
                groupStart.append(Int32(j))
            }
            let g = groupScores.count - 1
            if labels[i] { groupPositives[g] += 1 } else { groupNegatives[g] += 1 }
            sortedLabels[j] = labels[i]
        }
        groupStart.append(Int32(n))
        self.groupScores = groupScores
        self.groupPositives = groupPositives
        self.groupNegatives = groupNegatives
        self.order = order
        self.sortedLabels = sortedLabels
        self.groupStart = groupStart
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

    /// ROC AUC with each sample counted `counts[i]` times (a bootstrap resample); NaN without both classes.
    ///
    /// One sequential pass over the sorted order; only `counts` is read at random.
    /// - Complexity: O(n).
    func weightedAUC(counts: UnsafeBufferPointer<UInt16>) -> Double {
        order.withUnsafeBufferPointer { order in
            sortedLabels.withUnsafeBufferPointer { y in
                groupStart.withUnsafeBufferPointer { start in
                    // Exact integer Mann–Whitney sum, doubled so ties add whole units: Σ pos·(2·below + neg).
                    var negativesBelow = 0, totalPositives = 0, doubledSum = 0
                    var j = 0
                    for g in 1..<start.count {
                        let end = Int(start[g])
                        var pos = 0, neg = 0
                        while j < end {
                            let c = Int(counts[Int(order[j])])
                            if y[j] { pos &+= c } else { neg &+= c }
                            j &+= 1
                        }
                        doubledSum &+= pos &* (2 &* negativesBelow &+ neg)
                        negativesBelow &+= neg
                        totalPositives &+= pos
                    }
                    guard totalPositives > 0, negativesBelow > 0 else { return .nan }
                    return Double(doubledSum) / (2 * Double(totalPositives) * Double(negativesBelow))
                }
            }
        }
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
