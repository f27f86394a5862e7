import ChurnCommandLine
import Evaluation
import EventLog
import Foundation
import Pipelines
import Reports
import Snapshots

/// `churn-evaluate`: model + event log → metrics against baselines, with intervals, and a report.
struct EvaluateCommand: ParsableCommand {
    static let model = Option<String>.text("model", value: "PATH", help: "Model file written by churn-train.")
    static let cutoff = Option<Int64>.instant("cutoff", .repeated, help: "Evaluation instant; several give a backtest.",
                                              defaultDescription: "latest event − horizon")
    static let backtest = Option<Int>.integer("backtest", value: "K", help: "Also evaluate K − 1 earlier cutoffs, --every apart.", default: 1, in: 1...1000)
    static let every = Option<TimeSpan>.duration("every", help: "Spacing of --backtest cutoffs.", defaultDescription: "the horizon")
    static let report = Option<String>.text("report", value: "DIR", help: "Write metrics.json, report.md and report.html here.")
    static let dumpFeatures = Option<String>.text("dump-features", value: "PATH", help: "Write the model's inputs and raw outputs (safetensors).")
    static let scorer = Option<ScorerChoice>.choice("scorer", value: "MODEL", help: "The headline forecast the others are compared with",
                                                    defaultDescription: "ensemble when the model has a booster, else lstm")
    static let bootstrap = Option<Int>.integer("bootstrap", help: "Bootstrap resamples for the intervals.", default: 1000, in: 0...1_000_000)
    static let seed = Option<UInt64>.seed(help: "Bootstrap seed.", default: 1)
    static let noReasons = Option<Bool>.flag("no-reasons", help: "Skip the reason codes of the headline forecast (report section, metrics.json 'reasons').")
    static let explainSteps = Option<Int>.integer("explain-steps", value: "M", help: "Integration points of the LSTM's reasons (integrated gradients, midpoint rule).",
                                                  default: 8, in: 1...1024)

    static let spec = CommandSpec(
        name: "churn-evaluate",
        abstract: "Compare the churn forecast with its parts and the baselines on a labelled snapshot and write a report.",
        usage: "churn-evaluate --model PATH --events FILE... [--cutoff T]... [--horizon D] [--report DIR] [options]",
        discussion: """
        Scores every customer with history before the cutoff with the headline forecast (the
        stacked ensemble of the LSTM and XGBoost), each of its parts, and the baselines an analyst
        would use (recency rule, the RFM and aggregate-count logistic regressions fitted at
        training time, BG/NBD fitted on the evaluation history), and compares ROC AUC, PR AUC, log
        loss, Brier, ECE and top-decile lift with 95% bootstrap intervals, including the paired
        AUC difference of the headline against every other model. Horizon and churn definition
        default to the model's; evaluate on customers or a period the model was not trained on.
        The report also says why customers are at risk: the importance of each reason of the
        headline forecast and the top reasons of the highest-risk tenth (--no-reasons skips it).
        """,
        options: [[model.spec], DataOptions.specs, LabelOptions.specs(modelDefaults: true, cutoff: cutoff),
                  [scorer.spec, backtest.spec, every.spec, report.spec, dumpFeatures.spec, bootstrap.spec, seed.spec,
                   noReasons.spec, explainSteps.spec, CommandSpec.isa.spec]].flatMap { $0 })

    var arguments: ParsedArguments
    var modelPath: String
    var labels: LabelOptions
    var reportDirectory: String?
    var dumpPath: String?

    init(parsing a: ParsedArguments) throws {
        arguments = a
        modelPath = try a.required(Self.model)
        labels = try LabelOptions(parsing: a)
        reportDirectory = try a.value(Self.report)
        dumpPath = try a.value(Self.dumpFeatures)
    }

    func validate() throws {
        if try arguments.required(Self.backtest) > 1 && labels.cutoffs.count > 1 {
            throw CommandError(.usage, "use either several --cutoff or --backtest K, not both")
        }
        if !FileManager.default.fileExists(atPath: modelPath) { throw CommandError(.noInput, "\(modelPath): no such model file (--model)") }
        if let dir = reportDirectory { try OutputCheck.ensureWritable(dir + "/metrics.json", flag: "--report") }
        if let path = dumpPath { try OutputCheck.ensureWritable(path, flag: "--dump-features") }
        _ = try (arguments.value(Self.every), arguments.value(Self.bootstrap), arguments.value(Self.seed), arguments.value(Self.scorer))
    }

    func run() throws {
        try runReportingErrors {
            let model = try ForecastModel.read(from: URL(fileURLWithPath: modelPath))
            let data = try DataOptions(parsing: arguments, columnsFromModel: model.data.columns,
                                       attributesFromModel: model.features.attributes.attributes.map {
                                           DataOptions.ModelAttribute(name: $0.name, source: $0.source, kind: $0.kind)
                                       })
            let (store, load) = try data.load()
            let labelSpec = labels.snapshotOptions(model: model.data.snapshotOptions)
            let latest = labels.cutoffs.first ?? SnapshotBuilder.defaultCutoff(store: store, horizon: labelSpec.horizon)
            let cutoffs = labels.cutoffs.count > 1 ? labels.cutoffs
                : try SnapshotBuilder.cutoffs(latest: latest, count: try arguments.required(Self.backtest),
                                              every: try arguments.value(Self.every) ?? labelSpec.horizon)
            var request = EvaluationRequest(labels: labelSpec, cutoffs: cutoffs)
            request.labelSource = try labels.labelSource()
            request.scorer = try arguments.value(Self.scorer)
            request.bootstrap = Bootstrap(resamples: try arguments.required(Self.bootstrap), seed: try arguments.required(Self.seed))
            request.reasons = arguments.flag(Self.noReasons) ? nil : ExplanationRequest(reasons: 0, steps: try arguments.required(Self.explainSteps))
            let dump = dumpPath.map { _ in FeatureDump(model: model) }
            let document = try EvaluationPipeline.run(
                model: model, modelPath: modelPath, store: store, files: data.paths, load: load, request: request,
                toolVersion: churnForecasterVersion, dump: dump,
                onCutoff: { Terminal.error("evaluating at \(Timestamp.format($0)) (horizon \(labelSpec.horizon), \(labelSpec.definition))…") })
            for evaluation in document.evaluations { for w in evaluation.warnings { Terminal.error("warning: \(w)") } }
            print(TextReport.table(document.main))
            if document.evaluations.count > 1 { print(TextReport.backtestTable(document.evaluations)) }
            print(document.verdict)
            if let dir = reportDirectory {
                try document.write(to: URL(fileURLWithPath: dir))
                Terminal.error("wrote \(dir)/metrics.json, \(dir)/report.md and \(dir)/report.html")
            }
            if let dumpPath, let dump { try dump.write(to: URL(fileURLWithPath: dumpPath)) }
        }
    }
}

EvaluateCommand.main()
