import Baselines
import Features
import Snapshots
import ChurnSupport
import ChurnCommandLine
import ChurnModel
import EventLog
import Pipelines
import Foundation
import TensorKit

/// `churn-train`: event log → labelled snapshots → trained, calibrated model with baselines.
struct TrainCommand: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-train",
        abstract: "Train the churn LSTM (and the baselines it is compared with) on an event log.",
        usage: "churn-train --events FILE... [--horizon D] [--model PATH] [options]",
        discussion: """
        Builds labelled snapshots (history strictly before each cutoff, label window
        [cutoff, cutoff + horizon)), splits customers into training and validation sets, trains
        with early stopping on validation loss, calibrates probabilities (Platt), fits the RFM and
        aggregate-count logistic baselines, and writes one model file. Ctrl-C (or SIGTERM) finishes
        the current batch, writes a checkpoint beside the model and exits 130; --resume continues.
        """,
        options: DataOptions.specs + LabelOptions.specs(modelDefaults: false) + [
            OptionSpec("model", value: "PATH", help: "Where to write the model.", default: "models/churn.safetensors"),
            OptionSpec("snapshots", value: "K", help: "Train on K cutoffs: cutoff, cutoff − every, … (empty ones are skipped)",
                       default: "4; 1 with --labels"),
            OptionSpec("every", value: "DURATION", help: "Spacing of the --snapshots cutoffs.", default: "the horizon"),
            OptionSpec("max-events", value: "N", help: "Most recent events per sequence.", default: "256"),
            OptionSpec("embedding-size", value: "E", help: "Event embedding size.", default: "16"),
            OptionSpec("hidden-size", value: "H", help: "LSTM hidden size.", default: "32"),
            OptionSpec("layers", value: "L", help: "LSTM layers.", default: "1"),
            OptionSpec("epochs", value: "N", help: "Maximum epochs.", default: "30"),
            OptionSpec("batch-size", value: "B", help: "Sequences per batch.", default: "64"),
            OptionSpec("learning-rate", value: "R", help: "Peak AdamW learning rate (warm-up, then cosine decay).", default: "0.005"),
            OptionSpec("weight-decay", value: "W", help: "AdamW weight decay.", default: "0.01"),
            OptionSpec("dropout", value: "P", help: "Dropout rate on the LSTM input and the head input while training.", default: "0.1"),
            OptionSpec("average-decay", value: "D", help: "Validate and save a moving average of the weights with this decay per step (0 = raw weights).", default: "0.999"),
            OptionSpec("clip-norm", value: "C", help: "Global gradient-norm bound (0 = off).", default: "1"),
            OptionSpec("positive-weight", value: "W", help: "Loss weight of churners, or 'balanced'.", default: "1"),
            OptionSpec("patience", value: "P", help: "Epochs without validation improvement before stopping.", default: "5"),
            OptionSpec("validation-fraction", value: "F", help: "Share of customers held out for validation.", default: "0.2"),
            OptionSpec("seed", value: "S", help: "Seed for initialization, split and batch order.", default: "1"),
            OptionSpec("resume", .flag, help: "Continue from the checkpoint beside --model."),
        ])

    var data: DataOptions
    var labels: LabelOptions
    var modelPath: String
    var snapshots: Int
    var every: TimeSpan?
    var architecture = ArchitectureOptions()
    var training = TrainingOptions()
    var balanced = false
    var resume: Bool

    init(parsing a: ParsedArguments) throws {
        data = try DataOptions(parsing: a)
        labels = try LabelOptions(parsing: a)
        modelPath = a.string("model") ?? "models/churn.safetensors"
        // External labels are one per customer, so they make one snapshot by default.
        snapshots = try a.int("snapshots", in: 1...1000) ?? (a.has("labels") ? 1 : 4)
        every = try a.value("every", expected: "a duration such as 30d", TimeSpan.init(parsing:))
        architecture.maxEvents = try a.int("max-events", in: 1...100_000) ?? architecture.maxEvents
        architecture.embeddingSize = try a.int("embedding-size", in: 1...4096) ?? architecture.embeddingSize
        architecture.hiddenSize = try a.int("hidden-size", in: 1...8192) ?? architecture.hiddenSize
        architecture.numLayers = try a.int("layers", in: 1...16) ?? architecture.numLayers
        training.epochs = try a.int("epochs", in: 1...100_000) ?? training.epochs
        training.batchSize = try a.int("batch-size", in: 1...1_000_000) ?? training.batchSize
        training.learningRate = Float(try a.double("learning-rate", in: 1e-9...10) ?? Double(training.learningRate))
        training.weightDecay = Float(try a.double("weight-decay", in: 0...10) ?? Double(training.weightDecay))
        training.dropout = Float(try a.double("dropout", in: 0...0.9) ?? Double(training.dropout))
        training.averageDecay = Float(try a.double("average-decay", in: 0...0.999999) ?? Double(training.averageDecay))
        training.clipNorm = Float(try a.double("clip-norm", in: 0...1e9) ?? Double(training.clipNorm))
        if a.string("positive-weight") == "balanced" {
            balanced = true
        } else {
            training.positiveWeight = Float(try a.double("positive-weight", in: 1e-6...1e6) ?? 1)
        }
        training.patience = try a.int("patience", in: 1...100_000) ?? training.patience
        training.validationFraction = try a.double("validation-fraction", in: 0...0.9) ?? training.validationFraction
        training.seed = UInt64(try a.int("seed", in: 0...Int.max) ?? 1)
        resume = a.flag("resume")
    }

    func validate() throws {
        if labels.cutoffs.count > 1 { throw CommandError(.usage, "--cutoff was given more than once; use --snapshots K --every D for several cutoffs") }
        if every != nil && snapshots == 1 { throw CommandError(.usage, "--every needs --snapshots K with K > 1") }
        if labels.labelsPath != nil && snapshots > 1 {
            throw CommandError(.usage, "--labels gives one label per customer: use it with --snapshots 1 (the default with --labels)")
        }
        if let e = every, e.microseconds <= 0 { throw CommandError(.usage, "--every must be positive") }
        try OutputCheck.ensureWritable(modelPath, flag: "--model")
    }

    func run() throws {
        Interruption.install()
        try runReportingErrors {
            let loadStart = Date()
            let (store, report) = try data.load(threads: Threading.threadCount)
            let loadSeconds = Date().timeIntervalSince(loadStart)
            let snapshotStart = Date()
            let horizon = labels.horizon ?? TimeSpan.days(30)
            let labelSpec = SnapshotOptions(horizon: horizon, definition: labels.definition ?? .inactivity, activeWithin: labels.activeWithin)
            let latest = labels.cutoffs.first ?? SnapshotBuilder.defaultCutoff(store: store, horizon: horizon)
            let cutoffs = try SnapshotBuilder.cutoffs(latest: latest, count: snapshots, every: every ?? horizon)
            let snapshotList = try SnapshotBuilder.make(store: store, cutoffs: cutoffs, options: labelSpec,
                                                        labels: try labels.labelSource())
            let snapshotSeconds = Date().timeIntervalSince(snapshotStart)
            for warning in Set(snapshotList.flatMap(\.warnings)).sorted() { Terminal.error("warning: \(warning)") }
            if case .inactivity = labelSpec.definition, labelSpec.activeWithin == nil {
                // Customers already silent for a whole horizon are trivially "inactive" next time too.
                let all = snapshotList.flatMap(\.rows)
                let silent = all.filter { BaselineFeatures.recencyDays(store: store, row: $0) >= horizon.days }.count
                if all.count > 0, Double(silent) / Double(all.count) > 0.3 {
                    Terminal.error("warning: \(Int((100 * Double(silent) / Double(all.count)).rounded()))% of the customers had no event in the "
                                   + "\(horizon) before their cutoff: under inactivity churn they are trivially churned, which inflates AUC. "
                                   + "Consider --active-within \(horizon) (or a --churn-event).")
                }
            }
            let rows = snapshotList.reduce(0) { $0 + $1.rows.count }
            let churners = snapshotList.reduce(0) { $0 + $1.rows.filter { $0.label == true }.count }
            Terminal.error("snapshots: \(cutoffs.map(Timestamp.format).joined(separator: ", ")); horizon \(horizon); "
                           + "\(rows) sequences, churn rate \(String(format: "%.1f%%", 100 * Double(churners) / Double(max(rows, 1))))")
            guard churners > 0, churners < rows else {
                throw CommandError(.dataError, "every snapshot row has the same label (churn rate \(churners == 0 ? "0%" : "100%")); "
                                   + "choose another --cutoff, --horizon or churn definition")
            }
            var training = self.training
            if balanced { training.positiveWeight = Float(rows - churners) / Float(churners) }

            let modelURL = URL(fileURLWithPath: modelPath)
            let checkpoint = URL(fileURLWithPath: modelPath + ".checkpoint")
            var bar: ProgressBar?
            // Fault injection for tests: behave as if Ctrl-C came after this many batches.
            let interruptAfter = ProcessInfo.processInfo.environment["CHURN_TEST_INTERRUPT_AFTER_BATCHES"].flatMap(Int.init)
            var batchesThisRun = 0
            let (model, summary) = try TrainingPipeline.train(
                store: store, snapshots: snapshotList, columns: data.columns, labels: labelSpec,
                architecture: architecture, training: training, checkpoint: checkpoint, resume: resume,
                progress: { event in
                    switch event {
                    case .resumed(let epoch, let batch):
                        Terminal.error("resuming from \(checkpoint.path): epoch \(epoch + 1), batch \(batch + 1)")
                    case .batch(let epoch, let batch, let batches, let loss, let rate):
                        if bar == nil { bar = ProgressBar(label: "epoch \(epoch + 1)/\(training.epochs)", total: batches, unit: "batches") }
                        bar?.update(batch, rate: rate / Double(training.batchSize),
                                    detail: String(format: "%.0f seq/s  loss %.4f", rate, loss))
                    case .epoch(let r, let isBest):
                        bar?.finish()
                        bar = nil
                        Terminal.error(String(format: "epoch %d/%d  train loss %.4f  val loss %.4f  val AUC %.4f  lr %.2g  %.0f seq/s  %.1fs%@",
                                              r.epoch, training.epochs, r.trainLoss, r.validationLoss, r.validationAUC,
                                              r.learningRate, r.sequencesPerSecond, r.seconds, isBest ? "  *best" : ""))
                    }
                },
                shouldStop: {
                    batchesThisRun += 1
                    return Interruption.isRequested || batchesThisRun == interruptAfter
                })
            model.dataSummary?.files = data.paths
            model.dataSummary?.rowsRead = report.rowsRead
            model.dataSummary?.badRows = report.badRows
            try model.write(to: modelURL, toolVersion: churnForecasterVersion)

            let r = summary.result
            Terminal.error("best epoch \(r.bestEpoch) of \(r.history.count)\(r.stoppedEarly ? " (early stop)" : ""); "
                           + String(format: "calibration a=%.3f b=%.3f", r.calibration.a, r.calibration.b))
            let t = r.timings
            let trained = r.history.reduce(0) { $0 + $1.sequencesPerSecond * $1.seconds }
            let trainSeconds = t.forward + t.backward + t.optimizer
            Terminal.error(String(format: "time: load %.1fs, snapshots %.1fs, featurize %.1fs, batching %.1fs, forward %.1fs, backward %.1fs, "
                                  + "optimizer %.1fs, validation %.1fs, baselines %.1fs; %.0f training sequences/s",
                                  loadSeconds, snapshotSeconds, summary.featurizeSeconds, t.batching, t.forward, t.backward,
                                  t.optimizer, t.validation, summary.baselineSeconds, trained / max(trainSeconds, 1e-9)))
            if !summary.validationAUC.isEmpty {
                let order = ModelRegistry.order
                let line = order.compactMap { name in summary.validationAUC[name].map { String(format: "%@ %.4f", name, $0) } }
                print("validation AUC (\(summary.validationSequences) sequences): " + line.joined(separator: " | "))
            }
            print("wrote \(modelPath)")
        }
    }
}

TrainCommand.main()
