import ChurnSupport
import Reports
import Baselines
import Features
import Snapshots
import ChurnModel
import Evaluation
import EventLog
import Foundation
import TensorKit

/// Scores the LSTM and every baseline on the same labelled snapshot and compares them.
public enum EvaluationPipeline {
    /// Evaluates `model` at `cutoff` on `store`: every forecast the model can make (ensemble,
    /// LSTM, XGBoost) and every baseline, with the paired differences taken from `scorer`'s.
    /// - Parameters:
    ///   - scorer: the headline forecast (nil: the model's, `defaultScorer`).
    ///   - bootstrap: resamples for the AUC intervals and paired differences (seeded).
    ///   - onScored: sees the scoring batches (for `--dump-features`).
    ///   - reasons: explain the headline forecast of every row and summarize the reasons (nil: don't).
    /// - Throws: `PipelineError.scorerUnavailable` when the model cannot make `scorer`.
    public static func evaluate(model: ForecastModel, store: EventStore, cutoff: Int64, labels: SnapshotOptions,
                                labelSource: LabelSource = .window, scorer choice: ScorerChoice? = nil,
                                bootstrap: Bootstrap = Bootstrap(resamples: 1000, seed: 1), reasons: ExplanationRequest? = nil,
                                onScored: (ScoredBatch) throws -> Void = { _ in })
        throws -> (evaluation: CutoffEvaluation, rows: [SnapshotRow]) {
        let headline = try model.scorer(choice)
        let snapshot = SnapshotBuilder.make(store: store, cutoff: cutoff, options: labels, labels: labelSource)
        let rows = snapshot.rows.filter { $0.label != nil }
        guard !rows.isEmpty else {
            throw EventLogError.emptySnapshot(cutoff: cutoff, reason: "no labelled customer has history before the cutoff")
        }
        var warnings = snapshot.warnings
        let y = rows.map { $0.label! }

        let scorer = try Scorer(model: model, store: store)
        var probabilities = [ScorerChoice: [Double]]()
        let explainer = try reasons.map { try Explainer(model: model, store: store, choice: headline, steps: $0.steps) }
        var explanations: [Explanation] = []
        try scorer.score(rows: rows) { batch in
            for choice in model.scorers { probabilities[choice, default: []] += scorer.probabilities(batch, choice: choice) }
            if let explainer {
                explanations += try explainer.explain(batch, probabilities: scorer.probabilities(batch, choice: headline), describe: 0)
            }
            try onScored(batch)
        }
        var scored = model.scorers.map { ModelScores(name: $0.modelName, probabilities: probabilities[$0]!) }
        if model.baselines == nil {
            warnings.append("the model holds no fitted baselines; only the baselines fitted at evaluation are compared")
        }
        let context = BaselineContext(store: store, eventTypes: model.features.eventTypes, horizon: labels.horizon,
                                      attributes: model.features.attributes)
        let (baselineScores, baselineWarnings) = try (model.baselines ?? FittedBaselines()).scores(rows, in: context)
        warnings += baselineWarnings
        for (type, scores) in baselineScores {
            scored.append(type.scoresAreProbabilities(under: labels.definition) ? ModelScores(name: type.name, probabilities: scores)
                                        : ModelScores(name: type.name, scores: scores, probabilities: nil))
        }

        let comparison = try ModelComparison.evaluate(models: scored, labels: y, reference: headline.modelName, bootstrap: bootstrap)
        // A ranking baseline has no probability metrics: expected, not worth a warning.
        for (name, metrics) in comparison.models
        where ModelRegistry.baseline(named: name)?.scoresAreProbabilities(under: labels.definition) ?? true {
            for w in metrics.warnings { warnings.append("\(name): \(w)") }
        }
        var curves: [String: ModelCurves] = [:]
        if y.contains(true) && y.contains(false) {
            for m in scored { curves[m.name] = try ModelCurves(m, labels: y) }
        }
        let positives = y.filter { $0 }.count
        var evaluation = CutoffEvaluation(
            cutoff: Timestamp.format(cutoff), horizonDays: labels.horizon.days, churnDefinition: labels.definition.description,
            customers: rows.count, churnRate: Double(positives) / Double(rows.count),
            headline: headline.modelName, models: comparison.models, differences: comparison.differences, curves: curves,
            warnings: warnings)
        if let explainer { evaluation.reasons = ReasonSummary(explanations, model: headline.modelName, base: explainer.baseProbability) }
        return (evaluation, rows)
    }
}

/// Everything an evaluation run needs besides the model and the store.
public struct EvaluationRequest: Sendable {
    /// The label settings (horizon, churn definition, activity filter).
    public var labels: SnapshotOptions
    public var labelSource: LabelSource = .window
    /// The headline forecast (nil: the model's).
    public var scorer: ScorerChoice?
    /// Cutoffs to evaluate, newest first; the first is the main evaluation, the others the backtest.
    public var cutoffs: [Int64]
    public var bootstrap = Bootstrap(resamples: 1000, seed: 1)
    /// Summarize the reasons of the headline forecast at the main cutoff (nil: don't).
    public var reasons: ExplanationRequest? = ExplanationRequest(reasons: 0)

    public init(labels: SnapshotOptions, cutoffs: [Int64]) {
        self.labels = labels
        self.cutoffs = cutoffs
    }
}

extension EvaluationPipeline {
    /// Evaluates `model` at every cutoff of `request` and assembles the report.
    /// - Parameters:
    ///   - source: the files and load report of `store`, for the report's data section.
    ///   - dump: collects the model's inputs and raw outputs at the first cutoff.
    ///   - onCutoff: called before each cutoff is evaluated (progress).
    public static func run(model: ForecastModel, modelPath: String, store: EventStore, files: [String], load: LoadReport,
                           request: EvaluationRequest, toolVersion: String, dump: FeatureDump? = nil,
                           onCutoff: (Int64) -> Void = { _ in }) throws -> EvaluationReport {
        var evaluations: [CutoffEvaluation] = []
        for (k, cutoff) in request.cutoffs.enumerated() {
            onCutoff(cutoff)
            let result = try evaluate(
                model: model, store: store, cutoff: cutoff, labels: request.labels, labelSource: request.labelSource,
                scorer: request.scorer, bootstrap: request.bootstrap, reasons: k == 0 ? request.reasons : nil,
                onScored: { batch in
                    guard k == 0, let dump else { return }
                    dump.append(batch, customers: batch.rows.map { store.customerIDs[Int($0.customer)] })
                })
            evaluations.append(result.evaluation)
        }
        return EvaluationReport(
            toolVersion: toolVersion, modelPath: modelPath,
            modelCreatedAt: ISO8601DateFormatter().string(from: model.createdAt), evaluations: evaluations,
            history: model.history,
            data: .init(files: files, rowsRead: load.rowsRead, badRows: load.badRows,
                        badRowSamples: load.samples.map { "\($0.file):\($0.line): \($0.reason.message): \($0.text)" },
                        customersInLog: store.customerCount, events: store.eventCount,
                        firstEvent: Timestamp.format(store.earliestTime), lastEvent: Timestamp.format(store.latestTime)))
    }
}

extension EvaluationReport {
    /// Writes `metrics.json`, `report.md` and `report.html` into `directory` (each atomically).
    public func write(to directory: URL) throws {
        try AtomicFile.write(try metricsJSON(), to: directory.appendingPathComponent("metrics.json"))
        try AtomicFile.write(Data(ReportRenderer.markdown(self).utf8), to: directory.appendingPathComponent("report.md"))
        try AtomicFile.write(Data(ReportRenderer.html(self).utf8), to: directory.appendingPathComponent("report.html"))
    }
}

extension ReasonSummary {
    /// The summary of explanations of one forecast: mean absolute and signed contribution of
    /// every group over all of them, and the largest positive reasons of the highest-risk tenth.
    public init(_ explanations: [Explanation], model: String, base: Double) {
        let n = explanations.count
        var absolute: [ReasonGroup: Double] = [:], signed: [ReasonGroup: Double] = [:]
        for e in explanations {
            for r in e.reasons {
                absolute[r.group, default: 0] += abs(r.contribution)
                signed[r.group, default: 0] += r.contribution
            }
        }
        let importance = absolute.map { g, total in
            Importance(reason: g.key, event: g.event, meanAbsoluteContribution: total / Double(max(n, 1)),
                       meanContribution: signed[g, default: 0] / Double(max(n, 1)))
        }.sorted { $0.meanAbsoluteContribution != $1.meanAbsoluteContribution ? $0.meanAbsoluteContribution > $1.meanAbsoluteContribution : $0.reason < $1.reason }
        let decile = explanations.sorted { $0.probability > $1.probability }.prefix(max(1, n / 10))
        var counts: [ReasonGroup: (customers: Int, total: Double)] = [:]
        for e in decile {
            guard let top = e.reasons.first, top.contribution > 0 else { continue }
            counts[top.group, default: (0, 0)].customers += 1
            counts[top.group, default: (0, 0)].total += top.contribution
        }
        let tops = counts.map { g, c in
            TopReason(reason: g.key, event: g.event, customers: c.customers, share: Double(c.customers) / Double(max(decile.count, 1)),
                      meanContribution: c.total / Double(c.customers))
        }.sorted { $0.customers != $1.customers ? $0.customers > $1.customers : $0.reason < $1.reason }
        self.init(model: model, base: base, customers: n, decileCustomers: n == 0 ? 0 : decile.count, importance: importance,
                  topOfHighestRiskDecile: tops)
    }
}
