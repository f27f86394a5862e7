import ChurnSupport
import Dispatch

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

/// The paired ROC AUC difference between two models, as in the `differences` of metrics.json.
public struct AUCDifference: Codable, Equatable, Sendable {
    /// AUC(reference) − AUC(model) on the full sample.
    public var rocAUCDiff: Double
    /// Its 95% bootstrap percentile interval, `[lower, upper]`.
    public var rocAUCDiffCI95: [Double]
    /// Log loss(reference) − log loss(model) on the full sample (negative: the reference is
    /// better); nil when either model gives no probabilities.
    public var logLossDiff: Double?
    /// Its 95% paired bootstrap interval, on the same resamples as the AUC difference.
    public var logLossDiffCI95: [Double]?

    enum CodingKeys: String, CodingKey {
        case rocAUCDiff = "roc_auc_diff", rocAUCDiffCI95 = "roc_auc_diff_ci95"
        case logLossDiff = "log_loss_diff", logLossDiffCI95 = "log_loss_diff_ci95"
    }

    public init(rocAUCDiff: Double, rocAUCDiffCI95: [Double], logLossDiff: Double? = nil, logLossDiffCI95: [Double]? = nil) {
        self.rocAUCDiff = rocAUCDiff
        self.rocAUCDiffCI95 = rocAUCDiffCI95
        self.logLossDiff = logLossDiff
        self.logLossDiffCI95 = logLossDiffCI95
    }

    public init(_ interval: BootstrapInterval, logLoss: BootstrapInterval? = nil) {
        self.init(rocAUCDiff: interval.estimate, rocAUCDiffCI95: interval.bounds,
                  logLossDiff: logLoss?.estimate, logLossDiffCI95: logLoss?.bounds)
    }

    /// Every key is written; a missing log-loss difference is `null`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(rocAUCDiff, forKey: .rocAUCDiff)
        try c.encode(rocAUCDiffCI95, forKey: .rocAUCDiffCI95)
        try c.encode(logLossDiff, forKey: .logLossDiff)
        try c.encode(logLossDiffCI95, forKey: .logLossDiffCI95)
    }
}

/// Bootstrap intervals of several models scored on the same customers.
public struct BootstrapComparison: Equatable, Sendable {
    /// AUC interval per model, in the order given.
    public var intervals: [BootstrapInterval]
    /// AUC(reference) − AUC(model) per model, paired on the same resamples.
    public var differences: [BootstrapInterval]
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
        try compare(models: [scores, baselineScores], labels: labels, reference: 0).differences[1]
    }

    /// AUC intervals of several models and paired differences against one reference, all from
    /// the same resamples (one draw per resample shared by every model: cheaper than separate calls).
    ///
    /// - Parameters:
    ///   - models: Scores of each model for the same customers in the same order (M arrays of n).
    ///   - labels: `true` for positives (n).
    ///   - reference: Index of the model the differences are taken from (e.g. the LSTM).
    /// - Returns: `intervals[m]` for AUC(m); `differences[m]` for AUC(reference) − AUC(m)
    ///   (`differences[reference]` is identically 0).
    /// - Throws: `EvaluationError` for bad input, a single class, or bad settings.
    /// - Complexity: O(M · n log n + resamples · M · n), spread over `Threading.threadCount` threads.
    public func compare(models: [[Double]], labels: [Bool], reference: Int) throws -> BootstrapComparison {
        guard models.indices.contains(reference) else {
            throw EvaluationError.invalidParameter("reference \(reference) is not a model index")
        }
        let rankings = try models.map { try RankedScores(scores: $0, labels: labels) }
        try Metrics.requireBothClasses(rankings[reference])
        let values = try replicates(rankings: rankings, labels: labels)
        let estimates = rankings.map(\.auc)
        let intervals = try (0..<models.count).map { m in
            try interval(estimate: estimates[m], values: values[m])
        }
        let differences = try (0..<models.count).map { m in
            try interval(estimate: estimates[reference] - estimates[m],
                         values: zip(values[reference], values[m]).map { $0 - $1 })
        }
        return BootstrapComparison(intervals: intervals, differences: differences)
    }

    /// The bootstrap AUC values themselves (NaN for single-class resamples), for tests and plots.
    /// - Complexity: O(n log n + resamples · n).
    public func rocAUCReplicates(scores: [Double], labels: [Bool]) throws -> [Double] {
        let ranked = try RankedScores(scores: scores, labels: labels)
        return try replicates(rankings: [ranked], labels: labels)[0]
    }

    func rocAUC(ranked: RankedScores, labels: [Bool]) throws -> BootstrapInterval {
        try interval(estimate: ranked.auc, values: try replicates(rankings: [ranked], labels: labels)[0])
    }

    // MARK: - Engine

    /// The percentile interval of bootstrap values; NaN values (single-class resamples) are skipped.
    func interval(estimate: Double, values: [Double]) throws -> BootstrapInterval {
        guard confidence > 0, confidence < 1 else {
            throw EvaluationError.invalidParameter("confidence must lie in (0, 1), got \(confidence)")
        }
        let valid = values.filter { !$0.isNaN }.sorted()
        guard !valid.isEmpty else { throw EvaluationError.singleClass(positives: 0, count: values.count) }
        let tail = (1 - confidence) / 2
        return BootstrapInterval(estimate: estimate,
                                 lower: Self.percentile(valid, tail),
                                 upper: Self.percentile(valid, 1 - tail),
                                 confidence: confidence, resamples: values.count,
                                 skipped: values.count - valid.count)
    }

    /// AUC per model and resample (M × resamples); resample b draws from `SeededGenerator(seed: seed &+ b·φ)`.
    ///
    /// A resample draws n indices uniformly into a count per customer (2 bytes each, so the random
    /// writes stay in cache); each model then reads the counts in its own sorted order. All models
    /// see the same draw (paired resampling).
    func replicates(rankings: [RankedScores], labels: [Bool]) throws -> [[Double]] {
        let models = rankings.count
        return try resampled(n: labels.count, statistics: models) { counts, out in
            for m in 0..<models { out[m] = rankings[m].weightedAUC(counts: counts) }
        }
    }

    /// Paired bootstrap intervals of mean per-row loss differences, mean(loss[reference]) −
    /// mean(loss[m]), on the same resamples as `compare` (the same seed draws the same customers),
    /// for each model with losses (`nil` entries, and the reference itself, give `nil`).
    /// - Parameter losses: per model, one loss per customer (e.g. log loss), or nil.
    /// - Throws: `EvaluationError` for mismatched lengths, non-finite losses or bad settings.
    /// - Complexity: O(resamples · M · n), spread over `Threading.threadCount` threads.
    public func compareMeans(losses: [[Double]?], reference: Int) throws -> [BootstrapInterval?] {
        guard losses.indices.contains(reference), let base = losses[reference] else {
            throw EvaluationError.invalidParameter("reference \(reference) has no losses")
        }
        let n = base.count
        guard n > 0 else { throw EvaluationError.emptyInput }
        let others = losses.indices.filter { $0 != reference && losses[$0] != nil }
        var differences: [[Double]] = []
        for m in others {
            let row = losses[m]!
            guard row.count == n else { throw EvaluationError.lengthMismatch(expected: n, actual: row.count) }
            let d = zip(base, row).map { $0 - $1 }
            if let i = d.firstIndex(where: { !$0.isFinite }) { throw EvaluationError.nonFiniteValue(index: i) }
            differences.append(d)
        }
        let values = try resampled(n: n, statistics: others.count) { counts, out in
            for (k, d) in differences.enumerated() {
                var sum = 0.0
                for i in 0..<n where counts[i] != 0 { sum += Double(counts[i]) * d[i] }
                out[k] = sum / Double(n)
            }
        }
        var result = [BootstrapInterval?](repeating: nil, count: losses.count)
        for (k, m) in others.enumerated() {
            result[m] = try interval(estimate: differences[k].reduce(0, +) / Double(n), values: values[k])
        }
        return result
    }

    /// Runs `statistic` on every resample: resample b draws n indices from
    /// `SeededGenerator(seed: seed &+ b·φ)` into a count per customer (2 bytes each, so the random
    /// writes stay in cache), and `statistic` writes `statistics` values for it.
    /// - Returns: per statistic, one value per resample.
    func resampled(n: Int, statistics: Int,
                   _ statistic: (UnsafeBufferPointer<UInt16>, UnsafeMutableBufferPointer<Double>) -> Void) throws -> [[Double]] {
        guard resamples >= 1 else { throw EvaluationError.invalidParameter("resamples must be positive, got \(resamples)") }
        var results = [Double](repeating: .nan, count: resamples * statistics)
        let seed = self.seed, resamples = self.resamples
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            Threading.parallelFor(resamples, minimumPerThread: 1) { range in
                // Per-thread draw counts (n). A count above 65535 (Poisson(1) tail) cannot occur in practice.
                var counts = [UInt16](repeating: 0, count: n)
                var values = [Double](repeating: .nan, count: statistics)
                counts.withUnsafeMutableBufferPointer { counts in
                    values.withUnsafeMutableBufferPointer { values in
                        for b in range {
                            var generator = SeededGenerator(seed: seed &+ UInt64(b) &* 0x9E37_79B9_7F4A_7C15)
                            counts.update(repeating: 0)
                            for _ in 0..<n { counts[generator.nextInt(below: n)] &+= 1 }
                            statistic(UnsafeBufferPointer(counts), values)
                            for m in 0..<statistics { out[m * resamples + b] = values[m] }
                        }
                    }
                }
            }
        }
        return (0..<statistics).map { m in Array(results[(m * resamples)..<((m + 1) * resamples)]) }
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
