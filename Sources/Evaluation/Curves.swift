/// One point of a curve for the report, with the score threshold that produced it.
public struct CurvePoint: Codable, Equatable, Sendable {
    public var x: Double
    public var y: Double
    /// The score at or above which customers are flagged (NaN for the curve's anchor point).
    public var threshold: Double

    public init(x: Double, y: Double, threshold: Double) {
        self.x = x
        self.y = y
        self.threshold = threshold
    }

    enum CodingKeys: String, CodingKey { case x, y, threshold }

    /// Encodes a non-finite threshold (the anchor point's +∞) as `null`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(x, forKey: .x)
        try c.encode(y, forKey: .y)
        try c.encodeFiniteOrNil(threshold, forKey: .threshold)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        x = try c.decode(Double.self, forKey: .x)
        y = try c.decode(Double.self, forKey: .y)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? .infinity
    }
}

/// One bin of a calibration (reliability) diagram.
public struct CalibrationBin: Codable, Equatable, Sendable {
    /// The bin's probability range [lower, upper).
    public var lower: Double
    public var upper: Double
    /// Mean predicted probability and observed positive rate of the customers in the bin.
    public var meanPredicted: Double
    public var observedRate: Double
    /// Customers in the bin (0 for an empty bin, whose means are NaN).
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case lower, upper, meanPredicted = "mean_predicted", observedRate = "observed_rate", count
    }

    /// Encodes the NaN means of an empty bin as `null`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(lower, forKey: .lower)
        try c.encode(upper, forKey: .upper)
        try c.encodeFiniteOrNil(meanPredicted, forKey: .meanPredicted)
        try c.encodeFiniteOrNil(observedRate, forKey: .observedRate)
        try c.encode(count, forKey: .count)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lower = try c.decode(Double.self, forKey: .lower)
        upper = try c.decode(Double.self, forKey: .upper)
        meanPredicted = try c.decodeIfPresent(Double.self, forKey: .meanPredicted) ?? .nan
        observedRate = try c.decodeIfPresent(Double.self, forKey: .observedRate) ?? .nan
        count = try c.decode(Int.self, forKey: .count)
    }

    init(lower: Double, upper: Double, meanPredicted: Double, observedRate: Double, count: Int) {
        self.lower = lower
        self.upper = upper
        self.meanPredicted = meanPredicted
        self.observedRate = observedRate
        self.count = count
    }
}

extension KeyedEncodingContainer {
    /// Encodes a finite number, or `null` for NaN and ±∞ (JSON has neither).
    mutating func encodeFiniteOrNil(_ value: Double, forKey key: Key) throws {
        if value.isFinite { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}

/// One bin of a score histogram split by class.
public struct ScoreHistogramBin: Codable, Equatable, Sendable {
    /// The bin's score range [lower, upper) (the last bin includes its upper edge).
    public var lower: Double
    public var upper: Double
    /// Customers in the bin by class.
    public var positives: Int
    public var negatives: Int
}

/// Curves for the evaluation report, downsampled for plotting.
///
/// Points follow thresholds at distinct scores from the highest down, so ties form one step as in
/// scikit-learn's `roc_curve` and `precision_recall_curve`. When there are more than `maxPoints`
/// thresholds, evenly spaced ones are kept, always with the first and last.
public enum Curves {
    /// ROC curve: x = false positive rate, y = true positive rate, starting at (0, 0).
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    ///   - maxPoints: Most points returned (default 200, at least 2).
    /// - Throws: `EvaluationError` for bad input or a single class.
    /// - Complexity: O(n log n).
    public static func roc(scores: [Double], labels: [Bool], maxPoints: Int = 200) throws -> [CurvePoint] {
        let ranked = try RankedScores(scores: scores, labels: labels)
        try Metrics.requireBothClasses(ranked)
        var points = [CurvePoint(x: 0, y: 0, threshold: .infinity)]
        var tp = 0.0, fp = 0.0
        for g in stride(from: ranked.groupScores.count - 1, through: 0, by: -1) {
            tp += ranked.groupPositives[g]
            fp += ranked.groupNegatives[g]
            points.append(CurvePoint(x: fp / ranked.negatives, y: tp / ranked.positives, threshold: ranked.groupScores[g]))
        }
        return downsample(points, maxPoints: maxPoints)
    }

    /// Precision–recall curve: x = recall, y = precision, from the highest threshold down.
    ///
    /// The first point is (0, precision at the highest threshold), so the plotted step area
    /// matches average precision.
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    ///   - maxPoints: Most points returned (default 200, at least 2).
    /// - Throws: `EvaluationError` for bad input or a single class.
    /// - Complexity: O(n log n).
    public static func precisionRecall(scores: [Double], labels: [Bool], maxPoints: Int = 200) throws -> [CurvePoint] {
        let ranked = try RankedScores(scores: scores, labels: labels)
        try Metrics.requireBothClasses(ranked)
        var points: [CurvePoint] = []
        var tp = 0.0, fp = 0.0
        for g in stride(from: ranked.groupScores.count - 1, through: 0, by: -1) {
            tp += ranked.groupPositives[g]
            fp += ranked.groupNegatives[g]
            let precision = tp / (tp + fp)
            if points.isEmpty { points.append(CurvePoint(x: 0, y: precision, threshold: .infinity)) }
            points.append(CurvePoint(x: tp / ranked.positives, y: precision, threshold: ranked.groupScores[g]))
        }
        return downsample(points, maxPoints: maxPoints)
    }

    /// Cumulative gains: x = share of customers targeted (highest scores first), y = share of
    /// positives captured; starts at (0, 0). Lift at x is y / x.
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    ///   - maxPoints: Most points returned (default 200, at least 2).
    /// - Throws: `EvaluationError` for bad input, or `.singleClass` without positives.
    /// - Complexity: O(n log n).
    public static func cumulativeGains(scores: [Double], labels: [Bool], maxPoints: Int = 200) throws -> [CurvePoint] {
        let ranked = try RankedScores(scores: scores, labels: labels)
        guard ranked.positives > 0 else { throw EvaluationError.singleClass(positives: 0, count: ranked.count) }
        let n = Double(ranked.count)
        var points = [CurvePoint(x: 0, y: 0, threshold: .infinity)]
        var taken = 0.0, captured = 0.0
        for g in stride(from: ranked.groupScores.count - 1, through: 0, by: -1) {
            taken += ranked.groupPositives[g] + ranked.groupNegatives[g]
            captured += ranked.groupPositives[g]
            points.append(CurvePoint(x: taken / n, y: captured / ranked.positives, threshold: ranked.groupScores[g]))
        }
        return downsample(points, maxPoints: maxPoints)
    }

    /// Calibration bins: equal-width bins on [0, 1] with mean prediction, observed rate and count.
    ///
    /// Bin b holds p in [b/B, (b+1)/B); the last bin also holds p = 1. Empty bins are kept with
    /// count 0 and NaN means, so the table always has `bins` rows.
    /// - Parameters:
    ///   - probabilities: Predicted probabilities in [0, 1].
    ///   - labels: `true` for positives.
    ///   - bins: Number of bins (default 10).
    /// - Throws: `EvaluationError` for bad input or `bins < 1`.
    /// - Complexity: O(n + bins).
    public static func calibration(probabilities: [Double], labels: [Bool], bins: Int = 10) throws -> [CalibrationBin] {
        try Metrics.calibrationTable(probabilities: probabilities, labels: labels, bins: bins)
    }

    /// Score distributions by class: equal-width bins over `range` (default: the scores' min to max).
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    ///   - bins: Number of bins (default 40).
    ///   - range: Score range to bin; pass `0...1` for probabilities. Scores outside are clamped
    ///     into the first or last bin.
    /// - Throws: `EvaluationError` for bad input or `bins < 1`.
    /// - Complexity: O(n + bins).
    public static func scoreHistogram(scores: [Double], labels: [Bool], bins: Int = 40,
                                      range: ClosedRange<Double>? = nil) throws -> [ScoreHistogramBin] {
        guard bins >= 1 else { throw EvaluationError.invalidParameter("bins must be positive, got \(bins)") }
        try Metrics.validate(scores, labels)
        let lo = range?.lowerBound ?? scores.min()!
        var hi = range?.upperBound ?? scores.max()!
        if hi <= lo { hi = lo + 1 }
        let width = (hi - lo) / Double(bins)
        var table: [ScoreHistogramBin] = []
        for b in 0..<bins {
            let upper = b == bins - 1 ? hi : lo + Double(b + 1) * width
            table.append(ScoreHistogramBin(lower: lo + Double(b) * width, upper: upper, positives: 0, negatives: 0))
        }
        for i in 0..<scores.count {
            let b = min(max(Int((scores[i] - lo) / width), 0), bins - 1)
            if labels[i] { table[b].positives += 1 } else { table[b].negatives += 1 }
        }
        return table
    }

    /// Keeps at most `maxPoints` evenly spaced points, always the first and the last.
    static func downsample(_ points: [CurvePoint], maxPoints: Int) -> [CurvePoint] {
        let limit = max(2, maxPoints)
        guard points.count > limit else { return points }
        let step = Double(points.count - 1) / Double(limit - 1)
        var kept: [CurvePoint] = []
        kept.reserveCapacity(limit)
        var last = -1
        for k in 0..<limit {
            let i = k == limit - 1 ? points.count - 1 : Int((Double(k) * step).rounded())
            if i != last { kept.append(points[i]); last = i }
        }
        return kept
    }
}

extension Metrics {
    static func calibrationTable(probabilities: [Double], labels: [Bool], bins: Int) throws -> [CalibrationBin] {
        guard bins >= 1 else { throw EvaluationError.invalidParameter("bins must be positive, got \(bins)") }
        try validateProbabilities(probabilities, labels)
        var sums = [Double](repeating: 0, count: bins)
        var positives = [Double](repeating: 0, count: bins)
        var counts = [Int](repeating: 0, count: bins)
        for i in 0..<probabilities.count {
            let p = probabilities[i]
            let b = min(Int(p * Double(bins)), bins - 1)
            sums[b] += p
            counts[b] += 1
            if labels[i] { positives[b] += 1 }
        }
        return (0..<bins).map { b in
            let n = Double(counts[b])
            return CalibrationBin(lower: Double(b) / Double(bins), upper: Double(b + 1) / Double(bins),
                                  meanPredicted: counts[b] > 0 ? sums[b] / n : .nan,
                                  observedRate: counts[b] > 0 ? positives[b] / n : .nan,
                                  count: counts[b])
        }
    }
}
