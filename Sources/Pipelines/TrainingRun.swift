import Baselines
import ChurnModel
import ChurnSupport
import Evaluation
import EventLog
import Features
import Foundation
import GradientBoosting
import Snapshots

/// Errors of the pipelines that are about the request as a whole, not one input.
public enum PipelineError: CategorizedError, Equatable {
    /// Every labelled row has the same label, so there is nothing to learn or compare.
    case singleLabel(churnRate: Double)
    /// The model cannot make the requested forecast (`--scorer xgboost` on a model without a booster).
    case scorerUnavailable(requested: String, available: [String])
    /// The data lacks an attribute the model reads (described: name and source).
    case missingAttribute(String)

    public var category: ErrorCategory {
        switch self {
        case .singleLabel: return .badData
        case .scorerUnavailable: return .invalidArgument
        case .missingAttribute: return .badData
        }
    }

    public var description: String {
        switch self {
        case .singleLabel(let rate):
            return "every snapshot row has the same label (churn rate \(rate == 0 ? "0%" : "100%")); "
                + "choose another cutoff, horizon or churn definition"
        case .scorerUnavailable(let requested, let available):
            return "the model cannot make the '\(requested)' forecast (it was trained without XGBoost); it makes: "
                + available.joined(separator: ", ")
        case .missingAttribute(let what):
            return "the model reads \(what), which the data does not have"
        }
    }
}

/// Everything a training run needs besides the event store.
public struct TrainingRequest: Sendable {
    public var columns: ColumnMapping
    public var labels: SnapshotOptions
    public var labelSource: LabelSource = .window
    /// The latest training cutoff (`nil`: latest event − horizon).
    public var cutoff: Int64?
    /// Training cutoffs: `cutoff`, `cutoff − every`, … (empty ones are skipped).
    public var snapshots = 4
    /// Spacing of the cutoffs (`nil`: the horizon).
    public var every: TimeSpan?
    public var architecture = ArchitectureOptions()
    public var training = TrainingOptions()
    /// XGBoost's settings (its seed is the training seed); nil trains no booster and no ensemble.
    public var boosting: BoosterParameters? = BoosterParameters()
    /// Weigh churners by non-churners / churners instead of `training.positiveWeight`.
    public var balancedClasses = false
    /// Where an interruption writes its checkpoint; `resume` continues from it.
    public var checkpoint: URL?
    public var resume = false

    public init(columns: ColumnMapping, labels: SnapshotOptions) {
        self.columns = columns
        self.labels = labels
    }
}

/// The labelled snapshots a training run learns from, with what a user should know about them.
public struct TrainingSnapshots: Sendable {
    public var cutoffs: [Int64]
    public var snapshots: [Snapshot]
    public var rows: Int
    public var churners: Int
    /// Warnings about the labels (censored windows).
    public var warnings: [String]
    /// Under inactivity churn without an activity filter: the share of rows whose customer had no
    /// event in the horizon before the cutoff. They are trivially "churned", which inflates AUC.
    public var silentShare: Double?

    /// - Throws: `PipelineError.singleLabel` when every row has the same label.
    public func requireBothLabels() throws {
        guard churners > 0, churners < rows else { throw PipelineError.singleLabel(churnRate: churners == 0 ? 0 : 1) }
    }

    /// A warning when so many rows are trivially churned (over 30%) that an activity filter or a
    /// churn event is advisable.
    public var trivialChurnWarning: String? {
        guard let share = silentShare, share > 0.3, let horizon = snapshots.first?.horizon else { return nil }
        return "\(Int((100 * share).rounded()))% of the customers had no event in the \(horizon) before their cutoff: under "
            + "inactivity churn they are trivially churned, which inflates AUC."
    }

    /// One line: cutoffs, horizon, sequences and churn rate.
    public func summary(horizon: TimeSpan) -> String {
        "snapshots: \(cutoffs.map(Timestamp.format).joined(separator: ", ")); horizon \(horizon); "
            + "\(rows) sequences, churn rate \(String(format: "%.1f%%", 100 * Double(churners) / Double(max(rows, 1))))"
    }
}

extension TrainingPipeline {
    /// The labelled snapshots of `request` on `store` (`run` refuses them if they hold one label only).
    /// - Throws: `EventLogError` for bad cutoffs or an empty snapshot.
    public static func snapshots(store: EventStore, request: TrainingRequest) throws -> TrainingSnapshots {
        let horizon = request.labels.horizon
        let latest = request.cutoff ?? SnapshotBuilder.defaultCutoff(store: store, horizon: horizon)
        let cutoffs = try SnapshotBuilder.cutoffs(latest: latest, count: request.snapshots, every: request.every ?? horizon)
        let snapshots = try SnapshotBuilder.make(store: store, cutoffs: cutoffs, options: request.labels, labels: request.labelSource)
        let warnings = Set(snapshots.flatMap(\.warnings)).sorted()
        let all = snapshots.flatMap(\.rows)
        var silentShare: Double?
        if case .inactivity = request.labels.definition, request.labels.activeWithin == nil, !all.isEmpty {
            // Customers already silent for a whole horizon are trivially "inactive" next time too.
            let silent = all.filter { BaselineFeatures.recencyDays(store: store, row: $0) >= horizon.days }.count
            silentShare = Double(silent) / Double(all.count)
        }
        let churners = all.filter { $0.label == true }.count
        return TrainingSnapshots(cutoffs: cutoffs, snapshots: snapshots, rows: all.count, churners: churners, warnings: warnings,
                                 silentShare: silentShare)
    }

    /// Trains on `snapshots` and writes the model to `modelURL` (atomically).
    /// - Parameters:
    ///   - load: the load report of `store`, recorded in the model's data summary.
    ///   - progress: training events for the executable's progress display.
    ///   - shouldStop: polled after every boosting round and every LSTM batch (Ctrl-C).
    ///   - collective: the processes of a data-parallel run (`train`); process 0 writes the model.
    public static func run(store: EventStore, load: LoadReport, files: [String], snapshots: TrainingSnapshots,
                           request: TrainingRequest, modelURL: URL, toolVersion: String, collective: any Collective = SingleProcess.shared,
                           progress: (TrainingProgress) -> Void = { _ in }, shouldStop: (TrainingPhase) -> Bool = { _ in false })
        throws -> TrainingSummary {
        try snapshots.requireBothLabels()
        var training = request.training
        if request.balancedClasses {
            training.positiveWeight = Float(snapshots.rows - snapshots.churners) / Float(snapshots.churners)
        }
        let (model, summary) = try train(store: store, snapshots: snapshots.snapshots, columns: request.columns,
                                         labels: request.labels, architecture: request.architecture, training: training,
                                         boosting: request.boosting, checkpoint: request.checkpoint, resume: request.resume,
                                         collective: collective, progress: progress, shouldStop: shouldStop)
        guard let model else { return summary }
        model.dataSummary?.files = files
        model.dataSummary?.rowsRead = load.rowsRead
        model.dataSummary?.badRows = load.badRows
        try model.write(to: modelURL, toolVersion: toolVersion)
        return summary
    }
}

extension TrainingSummary {
    /// Best epoch, early stop and calibration, in one line; then the booster's rounds and the stacking weights.
    public var resultLine: String {
        let r = result
        var line = "LSTM: best epoch \(r.bestEpoch) of \(r.history.count)\(r.stoppedEarly ? " (early stop)" : ""); "
            + String(format: "calibration a=%.3f b=%.3f", r.calibration.a, r.calibration.b)
        if let b = boosting {
            line += "\nXGBoost: \(b.rounds) trees kept of \(b.roundsGrown) grown"
                + (b.roundsGrown < b.parameters.maxRounds ? " (early stop)" : "")
        }
        if !attributes.attributes.isEmpty {
            line += "\nattributes: " + attributes.attributes.map { a in
                let source = a.source == .eventLog ? "log" : "customer table"
                switch a.kind {
                case .categorical:
                    let shown = a.categories.prefix(8).joined(separator: ", ") + (a.categories.count > 8 ? ", …" : "")
                    return "\(a.name) (\(source), categorical: \(a.categories.count) categories\(a.categories.isEmpty ? "" : " [\(shown)]") + <other>, <missing>)"
                case .numeric:
                    return "\(a.name) (\(source), numeric, training mean \(String(format: "%.4g", a.mean)))"
                }
            }.joined(separator: "; ")
        }
        if let w = ensemble {
            line += String(format: "\nensemble: logit = %.4f·lstm_logit %@ %.4f·xgboost_margin %@ %.4f",
                           w.weights.lstm, w.weights.xgboost < 0 ? "−" : "+", abs(w.weights.xgboost), w.bias < 0 ? "−" : "+", abs(w.bias))
        }
        return line
    }

    /// Where the time went, given the load and snapshot times measured by the caller.
    public func timingLine(loadSeconds: Double, snapshotSeconds: Double) -> String {
        let t = result.timings
        let trained = result.history.reduce(0) { $0 + $1.sequencesPerSecond * $1.seconds }
        let trainSeconds = t.forward + t.backward + t.reduction + t.optimizer
        let xgboost = boosting.map { String(format: "tabular features %.1fs, xgboost %.1fs, ", $0.featureSeconds, $0.trainingSeconds) } ?? ""
        let reduction = t.reduction > 0.05 ? String(format: ", gradient sums %.1fs", t.reduction) : ""
        return String(format: "time: load %.1fs, snapshots %.1fs, %@feature fit %.1fs, batches featurized %.1fs beside training + %.1fs waited for, "
                      + "forward %.1fs, backward %.1fs%@, optimizer %.1fs, validation %.1fs, baselines %.1fs; %.0f training sequences/s",
                      loadSeconds, snapshotSeconds, xgboost, featurizeSeconds, t.prefetching, t.batching, t.forward, t.backward,
                      reduction, t.optimizer, t.validation, baselineSeconds, trained / max(trainSeconds, 1e-9))
    }

    /// Validation AUC and log loss of every model, in registry order (`nil` without validation
    /// customers). The ensemble's are cross-fitted; the LSTM's log loss is after Platt scaling,
    /// which was fitted on the same rows.
    public var validationLine: String? {
        guard !validationAUC.isEmpty else { return nil }
        let auc = ModelRegistry.order.compactMap { name in validationAUC[name].map { String(format: "%@ %.4f", name, $0) } }
        let loss = ModelRegistry.order.compactMap { name in validationLogLoss[name].map { String(format: "%@ %.4f", name, $0) } }
        return "validation AUC (\(validationSequences) sequences): " + auc.joined(separator: " | ")
            + "\nvalidation log loss: " + loss.joined(separator: " | ")
    }
}

extension EpochRecord {
    /// The progress line of one epoch.
    public func logLine(epochs: Int, isBest: Bool) -> String {
        String(format: "epoch %d/%d  train loss %.4f  val loss %.4f  val AUC %.4f  lr %.2g  %.0f seq/s  %.1fs%@",
               epoch, epochs, trainLoss, validationLoss, validationAUC, learningRate, sequencesPerSecond, seconds,
               isBest ? "  *best" : "")
    }
}

extension TrainingProgress {
    /// What to show for this event: a step of a bar (boosting rounds, an epoch's batches), or a line.
    /// - Parameters:
    ///   - epochs: the run's maximum epochs; `batchSize`: sequences per batch; `checkpoint`: the resumed file.
    public func progress(epochs: Int, batchSize: Int, checkpoint: URL?) -> ProgressReport {
        switch self {
        case .boosting(let round, let maxRounds):
            let loss = round.validationLogLoss.map { String(format: "val logloss %.4f", $0) }
                ?? String(format: "train logloss %.4f", round.trainingLogLoss)
            return .step(phase: "xgboost", done: round.round + 1, total: maxRounds, unit: "rounds", rate: nil, detail: loss)
        case .lstm(let event):
            return event.progress(epochs: epochs, batchSize: batchSize, checkpoint: checkpoint)
        }
    }
}

extension TrainingEvent {
    /// What to show for this event: a step of the epoch's bar, or a line.
    /// - Parameters:
    ///   - epochs: the run's maximum epochs; `batchSize`: sequences per batch; `checkpoint`: the resumed file.
    public func progress(epochs: Int, batchSize: Int, checkpoint: URL?) -> ProgressReport {
        switch self {
        case .resumed(let epoch, let batch):
            return .line("resuming from \(checkpoint?.path ?? "the checkpoint"): epoch \(epoch + 1), batch \(batch + 1)")
        case .batch(let epoch, let batch, let batches, let loss, let rate):
            return .step(phase: "epoch \(epoch + 1)/\(epochs)", done: batch, total: batches, unit: "batches",
                         rate: rate / Double(batchSize), detail: String(format: "%.0f seq/s  loss %.4f", rate, loss))
        case .epoch(let record, let isBest):
            return .line(record.logLine(epochs: epochs, isBest: isBest))
        }
    }
}
