import ChurnModel
import Evaluation
import EventLog
import Foundation
import TensorKit

/// Curves of one model for the report's charts.
public struct ModelCurves: Codable, Sendable {
    public var roc: [CurvePoint]
    public var precisionRecall: [CurvePoint]
    public var gains: [CurvePoint]
    /// Calibration bins (models that output probabilities).
    public var calibration: [CalibrationBin]?
    public var histogram: [ScoreHistogramBin]
}

/// The evaluation at one cutoff: what `metrics.json` holds (SPEC §7) plus the report's curves.
public struct CutoffEvaluation: Codable, Sendable {
    public var cutoff: String
    public var horizonDays: Double
    public var churnDefinition: String
    public var customers: Int
    public var churnRate: Double
    public var models: [String: MetricSet]
    public var differences: [String: AUCDifference]
    public var curves: [String: ModelCurves]
    public var bgnbd: BGNBDModel?
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case cutoff, horizonDays = "horizon_days", churnDefinition = "churn_definition", customers
        case churnRate = "churn_rate", models, differences, curves, bgnbd, warnings
    }
}

/// Scores the LSTM and every baseline on the same labelled snapshot and compares them.
public enum EvaluationPipeline {
    /// Model names in report order; `lstm` is the reference of the paired differences.
    public static let modelOrder = ["lstm", "aggregate_logistic", "rfm_logistic", "bg_nbd", "recency"]

    /// Evaluates `model` at `cutoff` on `store`.
    /// - Parameters:
    ///   - bootstrap: resamples for the AUC intervals and paired differences (seeded).
    ///   - onScored: sees the LSTM scoring batches (for `--dump-features`).
    public static func evaluate(model: ForecastModel, store: EventStore, cutoff: Int64, labels: SnapshotOptions,
                                labelSource: LabelSource = .window, bootstrap: Bootstrap = Bootstrap(resamples: 1000, seed: 1),
                                onScored: (ArraySlice<SnapshotRow>, SequenceBatch, [Float]) throws -> Void = { _, _, _ in })
        throws -> (evaluation: CutoffEvaluation, rows: [SnapshotRow], lstmLogits: [Float]) {
        let snapshot = SnapshotBuilder.make(store: store, cutoff: cutoff, options: labels, labels: labelSource)
        let rows = snapshot.rows.filter { $0.label != nil }
        guard !rows.isEmpty else {
            throw EventLogError.emptySnapshot(cutoff: cutoff, reason: "no labelled customer has history before the cutoff")
        }
        var warnings = snapshot.warnings
        let y = rows.map { $0.label! }

        let scorer = Scorer(model: model, store: store)
        let logits = try scorer.logits(rows: rows, onBatch: onScored)
        var scored = [ModelScores(name: "lstm", probabilities: scorer.probabilities(logits: logits))]
        if let baselines = model.baselines {
            for (name, scores) in try BaselineScorer(store: store, baselines: baselines).scores(rows: rows) {
                scored.append(name == "recency" ? ModelScores(name: name, scores: scores, probabilities: nil)
                                                : ModelScores(name: name, probabilities: scores))
            }
        } else {
            warnings.append("the model holds no fitted baselines; only recency and BG/NBD are compared")
            scored.append(ModelScores(name: "recency", scores: rows.map { BaselineFeatures.recencyDays(store: store, row: $0) },
                                      probabilities: nil))
        }
        // BG/NBD: activity days as transactions, fitted on the evaluated customers' histories (no labels).
        let day = Double(Timestamp.microsecondsPerDay)
        let customers = rows.map { row -> BGNBDCustomer in
            let range = store.offsets[Int(row.customer)] ..< row.historyEnd
            return BGNBDCustomer(eventTimes: range.map { Double(store.times[$0]) / day }, cutoff: Double(row.cutoff) / day)
                ?? BGNBDCustomer(frequency: 0, recency: 0, age: 0)
        }
        var bgnbd: BGNBDModel?
        do {
            let fitted = try BGNBDModel.fit(customers, penalizer: 0.001)
            scored.append(ModelScores(name: "bg_nbd", probabilities: try fitted.churnScores(customers, horizon: labels.horizon.days)))
            bgnbd = fitted
        } catch {
            warnings.append("BG/NBD could not be fitted (\(error)); it is left out")
        }

        let comparison = try ModelComparison.evaluate(models: scored, labels: y, reference: "lstm", bootstrap: bootstrap)
        // The recency rule ranks, it does not output probabilities: expected, not worth a warning.
        for (name, metrics) in comparison.models where name != "recency" {
            for w in metrics.warnings { warnings.append("\(name): \(w)") }
        }
        var curves: [String: ModelCurves] = [:]
        if y.contains(true) && y.contains(false) {
            for m in scored {
                curves[m.name] = ModelCurves(
                    roc: try Curves.roc(scores: m.scores, labels: y),
                    precisionRecall: try Curves.precisionRecall(scores: m.scores, labels: y),
                    gains: try Curves.cumulativeGains(scores: m.scores, labels: y),
                    calibration: try m.probabilities.map { try Curves.calibration(probabilities: $0, labels: y) },
                    histogram: try Curves.scoreHistogram(scores: m.scores, labels: y, bins: 20,
                                                         range: m.probabilities == nil ? nil : 0...1))
            }
        }
        let positives = y.filter { $0 }.count
        let evaluation = CutoffEvaluation(
            cutoff: Timestamp.format(cutoff), horizonDays: labels.horizon.days, churnDefinition: labels.definition.description,
            customers: rows.count, churnRate: Double(positives) / Double(rows.count),
            models: comparison.models, differences: comparison.differences, curves: curves, bgnbd: bgnbd,
            warnings: warnings)
        return (evaluation, rows, logits)
    }
}
