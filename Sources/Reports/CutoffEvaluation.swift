import Baselines
import Evaluation
import Foundation

/// Curves of one model for the report's charts.
public struct ModelCurves: Codable, Sendable {
    public var roc: [CurvePoint]
    public var precisionRecall: [CurvePoint]
    public var gains: [CurvePoint]
    /// Calibration bins (models that output probabilities).
    public var calibration: [CalibrationBin]?
    public var histogram: [ScoreHistogramBin]

    public init(roc: [CurvePoint], precisionRecall: [CurvePoint], gains: [CurvePoint], calibration: [CalibrationBin]?,
                histogram: [ScoreHistogramBin]) {
        self.roc = roc
        self.precisionRecall = precisionRecall
        self.gains = gains
        self.calibration = calibration
        self.histogram = histogram
    }
}

extension ModelCurves {
    /// The report's curves of one model's scores against `labels` (both classes present).
    /// - Throws: `EvaluationError` for mismatched lengths, non-finite scores or a single class.
    public init(_ model: ModelScores, labels: [Bool]) throws {
        self.init(roc: try Curves.roc(scores: model.scores, labels: labels),
                  precisionRecall: try Curves.precisionRecall(scores: model.scores, labels: labels),
                  gains: try Curves.cumulativeGains(scores: model.scores, labels: labels),
                  calibration: try model.probabilities.map { try Curves.calibration(probabilities: $0, labels: labels) },
                  histogram: try Curves.scoreHistogram(scores: model.scores, labels: labels, bins: 20,
                                                       range: model.probabilities == nil ? nil : 0...1))
    }
}

/// The evaluation at one cutoff: what `metrics.json` holds plus the report's curves.
public struct CutoffEvaluation: Codable, Sendable {
    public var cutoff: String
    public var horizonDays: Double
    public var churnDefinition: String
    public var customers: Int
    public var churnRate: Double
    /// The headline forecast: the model the paired differences are taken from (`ensemble` for a
    /// model with a booster, else `lstm`).
    public var headline: String
    public var models: [String: MetricSet]
    public var differences: [String: AUCDifference]
    public var curves: [String: ModelCurves]
    /// What drives the headline forecast (nil when not computed).
    public var reasons: ReasonSummary?
    public var warnings: [String]

    public init(cutoff: String, horizonDays: Double, churnDefinition: String, customers: Int, churnRate: Double,
                headline: String = ModelRegistry.lstm, models: [String: MetricSet], differences: [String: AUCDifference], curves: [String: ModelCurves],
                warnings: [String]) {
        self.cutoff = cutoff
        self.horizonDays = horizonDays
        self.churnDefinition = churnDefinition
        self.customers = customers
        self.churnRate = churnRate
        self.headline = headline
        self.models = models
        self.differences = differences
        self.curves = curves
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case cutoff, horizonDays = "horizon_days", churnDefinition = "churn_definition", customers
        case churnRate = "churn_rate", headline, models, differences, curves, reasons, warnings
    }
}

