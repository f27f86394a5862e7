import Foundation

/// Binary classification metrics that match scikit-learn's definitions.
///
/// Labels are `true` for the positive class (churned). Scores rank customers (higher = more likely
/// to churn); probabilities must lie in [0, 1]. Ranking metrics are undefined when the labels
/// contain a single class: the functions throw `EvaluationError.singleClass`, and `MetricSet`
/// stores NaN with a `MetricWarning` that the caller can print.
public enum Metrics {
    /// ROC AUC, exact with ties: the Mann–Whitney U statistic with average ranks, divided by P·N.
    ///
    /// Equals scikit-learn's `roc_auc_score` (trapezoids between thresholds at distinct scores).
    /// - Parameters:
    ///   - scores: One score per customer; higher means more likely positive.
    ///   - labels: `true` for positives.
    /// - Throws: `EvaluationError` for empty, mismatched or non-finite input, or a single class.
    /// - Complexity: O(n log n).
    public static func rocAUC(scores: [Double], labels: [Bool]) throws -> Double {
        let ranked = try RankedScores(scores: scores, labels: labels)
        try requireBothClasses(ranked)
        return ranked.auc
    }

    /// PR AUC as average precision, Σₖ (Rₖ − Rₖ₋₁)·Pₖ over thresholds at distinct scores.
    ///
    /// Equals scikit-learn's `average_precision_score`: tied scores form one threshold, so a tie
    /// group enters with its pooled precision (no interpolation).
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    /// - Throws: `EvaluationError` for bad input or a single class.
    /// - Complexity: O(n log n).
    public static func averagePrecision(scores: [Double], labels: [Bool]) throws -> Double {
        let ranked = try RankedScores(scores: scores, labels: labels)
        try requireBothClasses(ranked)
        return ranked.averagePrecision
    }

    /// Mean log loss with probabilities clipped to [ε, 1 − ε], ε = `Double.ulpOfOne` (2.2e-16).
    ///
    /// As scikit-learn 1.9's `log_loss` on float64 input: the probability of the observed class
    /// (p, or 1 − p computed first) is clipped, then −log taken. Defined for a single class too.
    /// - Parameters:
    ///   - probabilities: Predicted probability of the positive class, in [0, 1].
    ///   - labels: `true` for positives.
    /// - Throws: `EvaluationError` for bad input or a probability outside [0, 1].
    /// - Complexity: O(n).
    public static func logLoss(probabilities: [Double], labels: [Bool]) throws -> Double {
        try logLosses(probabilities: probabilities, labels: labels).reduce(0, +) / Double(probabilities.count)
    }

    /// Each row's log loss `−log(p)` for a positive, `−log(1 − p)` for a negative, with `p`
    /// clipped to [ε, 1 − ε] (ε = machine epsilon); their mean is `logLoss`.
    /// - Throws: `EvaluationError` for bad input.
    public static func logLosses(probabilities: [Double], labels: [Bool]) throws -> [Double] {
        try validateProbabilities(probabilities, labels)
        let eps = Double.ulpOfOne
        return zip(probabilities, labels).map { p, label in -log(min(max(label ? p : 1 - p, eps), 1 - eps)) }
    }

    /// Brier score: the mean squared difference between probability and outcome.
    /// - Parameters:
    ///   - probabilities: Predicted probability of the positive class, in [0, 1].
    ///   - labels: `true` for positives.
    /// - Throws: `EvaluationError` for bad input.
    /// - Complexity: O(n).
    public static func brierScore(probabilities: [Double], labels: [Bool]) throws -> Double {
        try validateProbabilities(probabilities, labels)
        var sum = 0.0
        for i in 0..<probabilities.count {
            let d = probabilities[i] - (labels[i] ? 1 : 0)
            sum += d * d
        }
        return sum / Double(probabilities.count)
    }

    /// Expected calibration error over equal-width bins, weighted by the share of customers per bin.
    ///
    /// ECE = Σ_b (n_b / n) · |mean predicted_b − observed rate_b|; bin b holds p in [b/B, (b+1)/B),
    /// the last bin also holds p = 1; empty bins contribute nothing.
    /// - Parameters:
    ///   - probabilities: Predicted probabilities in [0, 1].
    ///   - labels: `true` for positives.
    ///   - bins: Number of bins (default 10).
    /// - Throws: `EvaluationError` for bad input or `bins < 1`.
    /// - Complexity: O(n + bins).
    public static func expectedCalibrationError(probabilities: [Double], labels: [Bool], bins: Int = 10) throws -> Double {
        let table = try calibrationTable(probabilities: probabilities, labels: labels, bins: bins)
        let n = Double(probabilities.count)
        var ece = 0.0
        for bin in table where bin.count > 0 {
            ece += Double(bin.count) / n * abs(bin.meanPredicted - bin.observedRate)
        }
        return ece
    }

    /// Churn rate among the top `fraction` of scores divided by the overall churn rate.
    ///
    /// The top group has k = ⌈fraction · n⌉ customers (at least 1). Ties at the cut are counted
    /// pro rata: when m customers share the cut score and j of them fit into the top k, they add
    /// j × (positives among the m) / m — the expected value over random tie-breaking, independent of
    /// input order. Constant scores therefore give lift 1.
    /// - Parameters:
    ///   - scores: One score per customer.
    ///   - labels: `true` for positives.
    ///   - fraction: Share of customers targeted, in (0, 1] (default 0.1, the top decile).
    /// - Throws: `EvaluationError` for bad input, or `.singleClass` when there are no positives.
    /// - Complexity: O(n log n).
    public static func topDecileLift(scores: [Double], labels: [Bool], fraction: Double = 0.1) throws -> Double {
        let ranked = try RankedScores(scores: scores, labels: labels)
        return try lift(ranked, fraction: fraction)
    }

    // MARK: - Shared pieces

    static func lift(_ ranked: RankedScores, fraction: Double) throws -> Double {
        guard fraction > 0, fraction <= 1 else { throw EvaluationError.invalidParameter("fraction must lie in (0, 1], got \(fraction)") }
        guard ranked.positives > 0 else {
            throw EvaluationError.singleClass(positives: 0, count: ranked.count)
        }
        let n = ranked.count
        let k = max(1, min(n, Int((fraction * Double(n)).rounded(.up))))
        let topRate = ranked.positivesInTop(k) / Double(k)
        return topRate / (ranked.positives / Double(n))
    }

    static func requireBothClasses(_ ranked: RankedScores) throws {
        if ranked.positives == 0 || ranked.negatives == 0 {
            throw EvaluationError.singleClass(positives: Int(ranked.positives), count: ranked.count)
        }
    }

    static func validate(_ scores: [Double], _ labels: [Bool]) throws {
        guard !scores.isEmpty else { throw EvaluationError.emptyInput }
        guard scores.count == labels.count else {
            throw EvaluationError.lengthMismatch(expected: scores.count, actual: labels.count)
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) { throw EvaluationError.nonFiniteValue(index: i) }
    }

    static func validateProbabilities(_ probabilities: [Double], _ labels: [Bool]) throws {
        try validate(probabilities, labels)
        if let i = probabilities.firstIndex(where: { $0 < 0 || $0 > 1 }) {
            throw EvaluationError.probabilityOutOfRange(index: i, value: probabilities[i])
        }
    }
}

/// Something a caller should tell the user about a metric computation.
public enum MetricWarning: Equatable, Sendable, CustomStringConvertible {
    /// The labels hold one class only: ROC AUC, PR AUC (and lift without positives) are NaN.
    case singleClass(positives: Int, count: Int)
    /// No probabilities were given: log loss, Brier and ECE are NaN.
    case noProbabilities
    /// Some bootstrap resamples drew a single class and were left out of the interval.
    case bootstrapResamplesSkipped(skipped: Int, of: Int)

    public var description: String {
        switch self {
        case let .singleClass(positives, count):
            return "only one class in the labels (\(positives) positives of \(count)): ROC AUC and PR AUC are undefined"
        case .noProbabilities:
            return "scores are not probabilities: log loss, Brier score and ECE are not reported"
        case let .bootstrapResamplesSkipped(skipped, total):
            return "\(skipped) of \(total) bootstrap resamples held a single class and were skipped"
        }
    }
}

/// The per-model metrics of `metrics.json`.
///
/// Undefined values are NaN in Swift and `null` in JSON. `warnings` is not encoded.
public struct MetricSet: Codable, Equatable, Sendable {
    public var rocAUC: Double
    /// 95% bootstrap percentile interval of ROC AUC, `[lower, upper]`, or nil if not computed.
    public var rocAUCCI95: [Double]?
    public var prAUC: Double
    public var logLoss: Double
    public var brier: Double
    public var ece: Double
    public var topDecileLift: Double
    /// Conditions the caller should report (single class, missing probabilities, …).
    public var warnings: [MetricWarning] = []

    enum CodingKeys: String, CodingKey {
        case rocAUC = "roc_auc", rocAUCCI95 = "roc_auc_ci95", prAUC = "pr_auc", logLoss = "log_loss"
        case brier, ece, topDecileLift = "top_decile_lift"
    }

    public init(rocAUC: Double, rocAUCCI95: [Double]?, prAUC: Double, logLoss: Double, brier: Double,
                ece: Double, topDecileLift: Double, warnings: [MetricWarning] = []) {
        self.rocAUC = rocAUC
        self.rocAUCCI95 = rocAUCCI95
        self.prAUC = prAUC
        self.logLoss = logLoss
        self.brier = brier
        self.ece = ece
        self.topDecileLift = topDecileLift
        self.warnings = warnings
    }

    /// Computes every metric of one model; never throws for a single class (NaN plus a warning).
    ///
    /// - Parameters:
    ///   - scores: Ranking scores (higher = more likely to churn).
    ///   - labels: `true` for churned customers.
    ///   - probabilities: Calibrated churn probabilities for log loss, Brier and ECE; pass `scores`
    ///     again when the scores are probabilities, or nil for a rule such as recency (those three
    ///     metrics are then NaN, with `.noProbabilities`).
    ///   - bootstrap: Settings of the AUC interval; nil skips the interval.
    /// - Throws: `EvaluationError` for empty, mismatched, non-finite or out-of-range input.
    /// - Complexity: O(n log n) plus the bootstrap's O(resamples · n).
    public static func compute(scores: [Double], labels: [Bool], probabilities: [Double]?,
                               bootstrap: Bootstrap? = Bootstrap()) throws -> MetricSet {
        let ranked = try RankedScores(scores: scores, labels: labels)
        var warnings: [MetricWarning] = []
        var set = MetricSet(rocAUC: .nan, rocAUCCI95: nil, prAUC: .nan, logLoss: .nan, brier: .nan,
                            ece: .nan, topDecileLift: .nan)
        if ranked.positives > 0 && ranked.negatives > 0 {
            set.rocAUC = ranked.auc
            set.prAUC = ranked.averagePrecision
            if let bootstrap {
                let interval = try bootstrap.rocAUC(ranked: ranked, labels: labels)
                set.rocAUCCI95 = [interval.lower, interval.upper]
                if interval.skipped > 0 {
                    warnings.append(.bootstrapResamplesSkipped(skipped: interval.skipped, of: interval.resamples))
                }
            }
        } else {
            warnings.append(.singleClass(positives: Int(ranked.positives), count: ranked.count))
        }
        if ranked.positives > 0 { set.topDecileLift = try Metrics.lift(ranked, fraction: 0.1) }
        if let probabilities {
            guard probabilities.count == labels.count else {
                throw EvaluationError.lengthMismatch(expected: labels.count, actual: probabilities.count)
            }
            set.logLoss = try Metrics.logLoss(probabilities: probabilities, labels: labels)
            set.brier = try Metrics.brierScore(probabilities: probabilities, labels: labels)
            set.ece = try Metrics.expectedCalibrationError(probabilities: probabilities, labels: labels)
        } else {
            warnings.append(.noProbabilities)
        }
        set.warnings = warnings
        return set
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func number(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? .nan }
        rocAUC = try number(.rocAUC)
        rocAUCCI95 = try c.decodeIfPresent([Double].self, forKey: .rocAUCCI95)
        prAUC = try number(.prAUC)
        logLoss = try number(.logLoss)
        brier = try number(.brier)
        ece = try number(.ece)
        topDecileLift = try number(.topDecileLift)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func number(_ value: Double, _ key: CodingKeys) throws {
            if value.isFinite { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        try number(rocAUC, .rocAUC)
        if let ci = rocAUCCI95, ci.allSatisfy(\.isFinite) { try c.encode(ci, forKey: .rocAUCCI95) } else { try c.encodeNil(forKey: .rocAUCCI95) }
        try number(prAUC, .prAUC)
        try number(logLoss, .logLoss)
        try number(brier, .brier)
        try number(ece, .ece)
        try number(topDecileLift, .topDecileLift)
    }

    /// Equality of the metric values, NaN equal to NaN (round-tripping undefined metrics); warnings are ignored.
    public static func == (a: MetricSet, b: MetricSet) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return same(a.rocAUC, b.rocAUC) && a.rocAUCCI95 == b.rocAUCCI95 && same(a.prAUC, b.prAUC)
            && same(a.logLoss, b.logLoss) && same(a.brier, b.brier) && same(a.ece, b.ece)
            && same(a.topDecileLift, b.topDecileLift)
    }
}
