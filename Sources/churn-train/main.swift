import ChurnCommandLine
import ChurnModel
import ChurnSupport
import Distributed
import EventLog
import Foundation
import GradientBoosting
import Pipelines

/// The MPI job when `mpirun` started this process (every process then trains on its share of each
/// batch, process 0 writes); nil otherwise, and nothing touches MPI.
let job = MPICollective.joinLaunchedJob()
let collective: any Collective = job ?? SingleProcess.shared

/// `churn-train`: event log → labelled snapshots → trained, calibrated model with baselines.
struct TrainCommand: ParsableCommand {
    /// Under `mpirun`, the cores are shared among the processes on each machine.
    static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, job?.localSize ?? 1)) }

    static let model = Option<String>.text("model", value: "PATH", help: "Where to write the model.", default: "models/churn.safetensors")
    static let snapshots = Option<Int>.integer("snapshots", value: "K", help: "Train on K cutoffs: cutoff, cutoff − every, … (empty ones are skipped)",
                                               defaultDescription: "4; 1 with --labels", in: 1...1000)
    static let resume = Option<Bool>.flag("resume", help: "Continue from the checkpoint beside --model.")
    static let positiveWeight = Option<Float?>.weightOrBalanced("positive-weight", help: "Loss weight of churners, or 'balanced'.", default: 1)
    /// The model and training settings, each with its default from `ArchitectureOptions` and `TrainingOptions`.
    static let settings: [OptionBinding<TrainingRequest>] = {
        let a = ArchitectureOptions(), t = TrainingOptions()
        func float(_ x: Float) -> Double { Double("\(x)")! }
        return [
            OptionBinding(.duration("every", help: "Spacing of the --snapshots cutoffs.", defaultDescription: "the horizon"), \.every, { $0 }),
            OptionBinding(.integer("max-events", help: "Most recent events per sequence.", default: a.maxEvents, in: 1...100_000), \.architecture.maxEvents),
            OptionBinding(.integer("embedding-size", value: "E", help: "Event embedding size.", default: a.embeddingSize, in: 1...4096), \.architecture.embeddingSize),
            OptionBinding(.integer("hidden-size", value: "H", help: "LSTM hidden size.", default: a.hiddenSize, in: 1...8192), \.architecture.hiddenSize),
            OptionBinding(.integer("layers", value: "L", help: "LSTM layers.", default: a.numLayers, in: 1...16), \.architecture.numLayers),
            OptionBinding(.integer("attribute-min-count", help: "Training rows an attribute category needs for its own input (else <other>).",
                                   default: a.attributeMinCount, in: 1...1_000_000_000), \.architecture.attributeMinCount),
            OptionBinding(.integer("attribute-max-categories", help: "Most categories with their own input per attribute.",
                                   default: a.attributeMaxCategories, in: 0...10_000), \.architecture.attributeMaxCategories),
            OptionBinding(.integer("epochs", help: "Maximum epochs.", default: t.epochs, in: 1...100_000), \.training.epochs),
            OptionBinding(.integer("batch-size", value: "B", help: "Sequences per batch.", default: t.batchSize, in: 1...1_000_000), \.training.batchSize),
            OptionBinding(.number("learning-rate", value: "R", help: "Peak AdamW learning rate (warm-up, then cosine decay).",
                                  default: float(t.learningRate), in: 1e-9...10), \.training.learningRate, Float.init),
            OptionBinding(.number("weight-decay", value: "W", help: "AdamW weight decay.", default: float(t.weightDecay), in: 0...10), \.training.weightDecay, Float.init),
            OptionBinding(.number("dropout", value: "P", help: "Dropout rate on the LSTM input and the head input while training.",
                                  default: float(t.dropout), in: 0...0.9), \.training.dropout, Float.init),
            OptionBinding(.number("average-decay", value: "D", help: "Validate and save a moving average of the weights with this decay per step (0 = raw weights).",
                                  default: float(t.averageDecay), in: 0...0.999999), \.training.averageDecay, Float.init),
            OptionBinding(.number("clip-norm", value: "C", help: "Global gradient-norm bound (0 = off).", default: float(t.clipNorm), in: 0...1e9), \.training.clipNorm, Float.init),
            OptionBinding(positiveWeight, \.training.positiveWeight, { $0 ?? 1 }),
            OptionBinding(positiveWeight, \.balancedClasses, { $0 == nil }),
            OptionBinding(.integer("patience", value: "P", help: "Epochs without validation improvement before stopping.", default: t.patience, in: 1...100_000), \.training.patience),
            OptionBinding(.number("validation-fraction", value: "F", help: "Share of customers held out for validation.",
                                  default: t.validationFraction, in: 0...0.9), \.training.validationFraction),
            OptionBinding(.seed(help: "Seed for initialization, split and batch order.", default: t.seed), \.training.seed),
        ]
    }()

    /// XGBoost's main knobs, each with its default from `BoosterParameters`.
    static let noXGBoost = Option<Bool>.flag("no-xgboost", help: "Train no XGBoost model and no ensemble (the LSTM is the headline forecast).")
    static let boosting: [OptionBinding<BoosterParameters>] = {
        let b = BoosterParameters()
        return [
            OptionBinding(.integer("xgboost-rounds", help: "Most boosting rounds (trees).", default: b.maxRounds, in: 1...100_000), \.maxRounds),
            OptionBinding(.integer("xgboost-early-stopping", help: "Stop after N rounds without a lower validation log loss.",
                                   default: b.earlyStoppingRounds, in: 1...100_000), \.earlyStoppingRounds, { $0 }),
            OptionBinding(.integer("xgboost-max-depth", value: "D", help: "Deepest tree.", default: b.maxDepth, in: 1...32), \.maxDepth),
            OptionBinding(.number("xgboost-learning-rate", value: "R", help: "Shrinkage per tree (eta).", default: b.learningRate, in: 1e-6...1),
                          \.learningRate),
            OptionBinding(.number("xgboost-subsample", value: "F", help: "Share of rows per tree.", default: b.subsample, in: 0.01...1), \.subsample),
            OptionBinding(.number("xgboost-colsample", value: "F", help: "Share of features per tree.", default: b.colsampleByTree, in: 0.01...1),
                          \.colsampleByTree),
            OptionBinding(.number("xgboost-min-child-weight", value: "W", help: "Least hessian sum per leaf.", default: b.minChildWeight, in: 0...1e6),
                          \.minChildWeight),
            OptionBinding(.number("xgboost-lambda", value: "L", help: "L2 penalty on leaf weights.", default: b.lambda, in: 0...1e6), \.lambda),
        ]
    }()

    static let spec = CommandSpec(
        name: "churn-train",
        abstract: "Train the churn forecaster (LSTM, XGBoost, their ensemble, and the baselines) on an event log.",
        usage: "churn-train --events FILE... [--horizon D] [--model PATH] [options]",
        discussion: """
        Builds labelled snapshots (history strictly before each cutoff, label window
        [cutoff, cutoff + horizon)) and splits customers into training and validation sets.
        Trains XGBoost on tabular features at each cutoff and the LSTM on each customer's event
        sequence, both with early stopping on the validation customers; calibrates the LSTM
        (Platt); stacks the two into the headline forecast with a logistic regression on the
        validation predictions; fits the baselines; and writes one model file. Ctrl-C (or
        SIGTERM) finishes the current batch, writes a checkpoint beside the model and exits 130;
        --resume continues (XGBoost is retrained, to the same trees).

        Under mpirun (mpirun -n N churn-train …) the N processes train data-parallel: each reads
        the whole log, featurizes and differentiates its share of every batch, and the gradients
        are summed over the processes; process 0 alone grows the trees, fits the baselines and
        writes the model and the checkpoints. --threads defaults to the cores per process.
        """,
        options: DataOptions.specs + LabelOptions.specs(modelDefaults: false)
            + [model.spec, snapshots.spec] + settings.map(\.spec).filter { $0.name != "positive-weight" } + [positiveWeight.spec, resume.spec]
            + [noXGBoost.spec] + boosting.map(\.spec) + [CommandSpec.isa.spec])

    var data: DataOptions
    var labels: LabelOptions
    var modelPath: String
    var request: TrainingRequest

    init(parsing a: ParsedArguments) throws {
        data = try DataOptions(parsing: a)
        labels = try LabelOptions(parsing: a)
        modelPath = try a.required(Self.model)
        request = TrainingRequest(columns: data.columns, labels: labels.snapshotOptions())
        request.cutoff = labels.cutoffs.first
        // External labels are one per customer, so they make one snapshot by default.
        request.snapshots = try a.value(Self.snapshots) ?? (labels.labelsPath != nil ? 1 : 4)
        try Self.settings.apply(a, to: &request)
        var boosting = BoosterParameters()
        try Self.boosting.apply(a, to: &boosting)
        request.boosting = a.flag(Self.noXGBoost) ? nil : boosting
        request.checkpoint = URL(fileURLWithPath: modelPath + ".checkpoint")
        request.resume = a.flag(Self.resume)
    }

    func validate() throws {
        if labels.cutoffs.count > 1 { throw CommandError(.usage, "--cutoff was given more than once; use --snapshots K --every D for several cutoffs") }
        if request.every != nil && request.snapshots == 1 { throw CommandError(.usage, "--every needs --snapshots K with K > 1") }
        if labels.labelsPath != nil && request.snapshots > 1 {
            throw CommandError(.usage, "--labels gives one label per customer: use it with --snapshots 1 (the default with --labels)")
        }
        try OutputCheck.ensureWritable(modelPath, flag: "--model")
    }

    /// What the user can change, for the errors a flag can avoid.
    static func hint(_ error: Error) -> String? {
        switch error {
        case is PipelineError: return "(--cutoff, --horizon, --churn-event)"
        case TrainingError.nonFinite, TrainingError.diverged: return "Try a lower --learning-rate (e.g. a third of it) or --clip-norm 1."
        case TrainingError.interrupted: return "(continue with --resume)"
        case BoostingError.interrupted: return "(interrupted while growing trees, before the LSTM started: nothing to resume; run again)"
        default: return nil
        }
    }

    func run() throws {
        Interruption.install(announces: collective.isRoot)
        try runReportingErrors(hint: Self.hint) {
            let loadStart = Date(), (store, report) = try data.load(training: true)
            let loadSeconds = Date().timeIntervalSince(loadStart), snapshotStart = Date()
            var request = self.request
            request.labelSource = try labels.labelSource()
            let snapshots = try TrainingPipeline.snapshots(store: store, request: request)
            let snapshotSeconds = Date().timeIntervalSince(snapshotStart)
            // Processes other than 0 of an MPI job train silently (errors excepted).
            let speaks = collective.isRoot
            func note(_ line: String) { if speaks { Terminal.error(line) } }
            for warning in snapshots.warnings { note("warning: \(warning)") }
            if let warning = snapshots.trivialChurnWarning {
                note("warning: \(warning) Consider --active-within \(request.labels.horizon) (or a --churn-event).")
            }
            note(snapshots.summary(horizon: request.labels.horizon))
            if collective.size > 1 {
                note("data-parallel over \(collective.size) processes (\(Threading.threadCount) thread\(Threading.threadCount == 1 ? "" : "s") each); process 0 writes the model")
            }
            let display = ProgressDisplay()
            let pollBatches = Interruption.poll(testVariable: "CHURN_TEST_INTERRUPT_AFTER_BATCHES")
            let summary: TrainingSummary
            do {
                summary = try TrainingPipeline.run(
                    store: store, load: report, files: data.paths, snapshots: snapshots, request: request,
                    modelURL: URL(fileURLWithPath: modelPath), toolVersion: churnForecasterVersion, collective: collective,
                    progress: { event in
                        guard speaks else { return }
                        display.show(event.progress(epochs: request.training.epochs, batchSize: request.training.batchSize,
                                                    checkpoint: request.checkpoint))
                    },
                    shouldStop: { $0 == .lstm ? pollBatches() : Interruption.isRequested })
            } catch let error as TrainingError {
                // Every process of a job stops together on these (decided on summed numbers), and
                // process 0 says why.
                switch error {
                case .interrupted, .diverged, .nonFinite:
                    job?.finished()
                    if !speaks { exit(CommandError.from(error).code.rawValue) }
                case .emptyTrainingSet, .incompatibleCheckpoint: break
                }
                throw error
            }
            job?.finished()
            guard speaks else { return }
            Terminal.error(summary.resultLine)
            Terminal.error(summary.timingLine(loadSeconds: loadSeconds, snapshotSeconds: snapshotSeconds))
            if let line = summary.validationLine { print(line) }
            print("wrote \(modelPath)")
        }
    }
}

TrainCommand.main()
