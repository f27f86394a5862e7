import Dispatch
import TensorKit

/// A bootstrap percentile interval around a point estimate.
public struct BootstrapInterval: Codable, Equatable, Sendable {
    /// The statistic on the full sample.
    public var estimate: Double
    /// Lower and upper percentile bounds (2.5% and 97.5% for 95%).
    public var lower: Double
    public var upper: Double
    /// The confidence level, e.g. 0.95.
    public var confidence: Double
    /// Resamples drawn, and how many of them held a single class and were skipped.
    public var resamples: Int
    public var skipped: Int

    /// `[lower, upper]`, the form of `roc_auc_ci95` in metrics.json.
    public var bounds: [Double] { [lower, upper] }

    /// Whether `value` lies inside the closed interval.
    public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }
}

/// The paired ROC AUC difference between two models, as in SPEC §7 `differences`.
public struct AUCDifference: Codable, Equatable, Sendable {
    /// AUC(model) − AUC(baseline) on the full sample.
    public var rocAUCDiff: Double
    /// Its 95% bootstrap percentile interval, `[lower, upper]`.
    public var rocAUCDiffCI95: [Double]

    enum CodingKeys: String, CodingKey {
        case rocAUCDiff = "roc_auc_diff", rocAUCDiffCI95 = "roc_auc_diff_ci95"
    }

    public init(rocAUCDiff: Double, rocAUCDiffCI95: [Double]) {
        self.rocAUCDiff = rocAUCDiff
        self.rocAUCDiffCI95 = rocAUCDiffCI95
    }

    public init(_ interval: BootstrapInterval) {
        self.init(rocAUCDiff: interval.estimate, rocAUCDiffCI95: interval.bounds)
    }
}

/// Seeded nonparametric bootstrap of ROC AUC and of paired AUC differences.
///
/// Each resample draws n customers with replacement. The scores are sorted once into groups of
/// equal score; a resample only changes how often each customer counts, so its AUC is a weighted
/// Mann–Whitney sum over the groups — no re-sorting. Resample b uses its own generator seeded from
/// (`seed`, b), so the result is identical for any thread count. Paired differences draw the same
/// customers for both models.
public struct Bootstrap: Sendable {
    /// Number of resamples (≥ 1000 for reported intervals).
    public var resamples: Int
    /// Seed of the resampling.
    public var seed: UInt64
    /// Confidence level of the percentile interval.
    public var confidence: Double

    /// Creates bootstrap settings.
    /// - Parameters:
    ///   - resamples: Number of resamples (default 1000).
    ///   - seed: Seed of the resampling (default 0).
    ///   - confidence: Confidence level in (0, 1) (default 0.95).
    public init(resamples: Int = 1000, seed: UInt64 = 0, confidence: Double = 0.95) {
        self.resamples = resamples
        self.seed = seed
        self.confidence = confidence
    }

    /// The percentile interval of one model's ROC AUC.
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    /// - Throws: `EvaluationError` for bad input, a single class, or bad settings.
    /// - Complexity: O(n log n + resamples · n), spread over `Threading.threadCount` threads.
    public func rocAUC(scores: [Double], labels: [Bool]) throws -> BootstrapInterval {
        let ranked = try RankedScores(scores: scores, labels: labels)
        try Metrics.requireBothClasses(ranked)
        return try rocAUC(ranked: ranked, labels: labels)
    }

    /// The percentile interval of AUC(`scores`) − AUC(`baselineScores`) on the same customers.
    /// - Parameters:
    ///   - scores: The model's scores.
    ///   - baselineScores: The baseline's scores for the same customers, in the same order.
    ///   - labels: `true` for positives.
    /// - Throws: `EvaluationError` for bad input, a single class, or bad settings.
    /// - Complexity: O(n log n + resamples · n), spread over `Threading.threadCount` threads.
    public func pairedROCAUCDifference(scores: [Double], baselineScores: [Double], labels: [Bool]) throws -> BootstrapInterval {
        let a = try RankedScores(scores: scores, labels: labels)
        let b = try RankedScores(scores: baselineScores, labels: labels)
        try Metrics.requireBothClasses(a)
        return try interval(estimate: a.auc - b.auc, rankings: [a, b], labels: labels) { $0[0] - $0[1] }
    }

    /// The bootstrap AUC values themselves (NaN for single-class resamples), for tests and plots.
    /// - Complexity: O(n log n + resamples · n).
    public func rocAUCReplicates(scores: [Double], labels: [Bool]) throws -> [Double] {
        let ranked = try RankedScores(scores: scores, labels: labels)
        return try replicates(rankings: [ranked], labels: labels) { $0[0] }
    }

    func rocAUC(ranked: RankedScores, labels: [Bool]) throws -> BootstrapInterval {
        try interval(estimate: ranked.auc, rankings: [ranked], labels: labels) { $0[0] }
    }

    // MARK: - Engine

    func interval(estimate: Double, rankings: [RankedScores], labels: [Bool],
                  statistic: ([Double]) -> Double) throws -> BootstrapInterval {
        guard confidence > 0, confidence < 1 else {
            throw EvaluationError.invalidParameter("confidence must lie in (0, 1), got \(confidence)")
        }
        let values = try replicates(rankings: rankings, labels: labels, statistic: statistic)
        let valid = values.filter { !$0.isNaN }.sorted()
        guard !valid.isEmpty else { throw EvaluationError.singleClass(positives: 0, count: labels.count) }
        let tail = (1 - confidence) / 2
        return BootstrapInterval(estimate: estimate,
                                 lower: Self.percentile(valid, tail),
                                 upper: Self.percentile(valid, 1 - tail),
                                 confidence: confidence, resamples: resamples,
                                 skipped: resamples - valid.count)
    }

    /// Statistic per resample; each resample b draws from `SeededGenerator(seed: mix(seed, b))`.
    func replicates(rankings: [RankedScores], labels: [Bool], statistic: ([Double]) -> Double) throws -> [Double] {
        guard resamples >= 1 else { throw EvaluationError.invalidParameter("resamples must be positive, got \(resamples)") }
        let n = labels.count
        let models = rankings.count
        var results = [Double](repeating: .nan, count: resamples)
        let groupCounts = rankings.map { $0.groupScores.count }
        let groupsOfSample = rankings.map(\.groupOfSample)
        let seed = self.seed
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            Threading.parallelFor(resamples, minimumPerThread: 1) { range in
                // Per-thread weights: positives and negatives per group, per model.
                var positives = groupCounts.map { [Double](repeating: 0, count: $0) }
                var negatives = groupCounts.map { [Double](repeating: 0, count: $0) }
                var aucs = [Double](repeating: 0, count: models)
                for b in range {
                    var generator = SeededGenerator(seed: seed &+ UInt64(b) &* 0x9E37_79B9_7F4A_7C15)
                    for m in 0..<models {
                        positives[m].withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
                        negatives[m].withUnsafeMutableBufferPointer { p in p.update(repeating: 0) }
                    }
                    if models == 1 {
                        Self.accumulate(n: n, labels: labels, groups: groupsOfSample[0],
                                        positives: &positives[0], negatives: &negatives[0], generator: &generator)
                    } else {
                        Self.accumulatePaired(n: n, labels: labels, groups: groupsOfSample,
                                              positives: &positives, negatives: &negatives, generator: &generator)
                    }
                    for m in 0..<models {
                        aucs[m] = positives[m].withUnsafeBufferPointer { p in
                            negatives[m].withUnsafeBufferPointer { q in RankedScores.auc(positives: p, negatives: q) }
                        }
                    }
                    out[b] = aucs.contains(where: \.isNaN) ? .nan : statistic(aucs)
                }
            }
        }
        return results
    }

    /// Draws n indices and adds each drawn customer's weight to its group's class count.
    static func accumulate(n: Int, labels: [Bool], groups: [Int32], positives: inout [Double],
                           negatives: inout [Double], generator: inout SeededGenerator) {
        labels.withUnsafeBufferPointer { y in
            groups.withUnsafeBufferPointer { g in
                positives.withUnsafeMutableBufferPointer { p in
                    negatives.withUnsafeMutableBufferPointer { q in
                        for _ in 0..<n {
                            let i = generator.nextInt(below: n)
                            let k = Int(g[i])
                            if y[i] { p[k] += 1 } else { q[k] += 1 }
                        }
                    }
                }
            }
        }
    }

    /// As `accumulate`, with one draw shared by every model (paired resampling).
    static func accumulatePaired(n: Int, labels: [Bool], groups: [[Int32]], positives: inout [[Double]],
                                 negatives: inout [[Double]], generator: inout SeededGenerator) {
        var drawn = [Int32](repeating: 0, count: n)
        for j in 0..<n { drawn[j] = Int32(truncatingIfNeeded: generator.nextInt(below: n)) }
        for m in 0..<groups.count {
            labels.withUnsafeBufferPointer { y in
                groups[m].withUnsafeBufferPointer { g in
                    positives[m].withUnsafeMutableBufferPointer { p in
                        negatives[m].withUnsafeMutableBufferPointer { q in
                            for j in 0..<n {
                                let i = Int(drawn[j])
                                let k = Int(g[i])
                                if y[i] { p[k] += 1 } else { q[k] += 1 }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The `q`-quantile of sorted values with linear interpolation (NumPy's default method).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let lo = Int(position.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        let fraction = position - Double(lo)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * fraction
    }
}
