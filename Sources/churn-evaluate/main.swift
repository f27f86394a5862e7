import Reports
import Baselines
import Features
import Snapshots
import ChurnSupport
import ChurnCommandLine
import ChurnModel
import Evaluation
import EventLog
import Pipelines
import Foundation
import TensorKit

/// `churn-evaluate`: model + event log → metrics against baselines, with intervals, and a report.
struct EvaluateCommand: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-evaluate",
        abstract: "Compare the churn LSTM with baselines on a labelled snapshot and write a report.",
        usage: "churn-evaluate --model PATH --events FILE... [--cutoff T]... [--horizon D] [--report DIR] [options]",
        discussion: """
        Scores every customer with history before the cutoff with the LSTM and with the baselines
        an analyst would use (recency rule, the RFM and aggregate-count logistic regressions fitted
        at training time, BG/NBD fitted on the evaluation history), and compares ROC AUC, PR AUC,
        log loss, Brier, ECE and top-decile lift with 95% bootstrap intervals, including the paired
        AUC difference of the LSTM against each baseline. Horizon and churn definition default to
        the model's; evaluate on customers or a period the model was not trained on.
        """,
        options: [OptionSpec("model", value: "PATH", help: "Model file written by churn-train.")]
            + DataOptions.specs + LabelOptions.specs(modelDefaults: true).map { spec in
                spec.name == "cutoff"
                    ? OptionSpec("cutoff", .repeated, value: "TIME", help: "Evaluation instant; several give a backtest.",
                                 default: "latest event − horizon")
                    : spec
            } + [
                OptionSpec("backtest", value: "K", help: "Also evaluate K − 1 earlier cutoffs, --every apart."),
                OptionSpec("every", value: "DURATION", help: "Spacing of --backtest cutoffs.", default: "the horizon"),
                OptionSpec("report", value: "DIR", help: "Write metrics.json, report.md and report.html here."),
                OptionSpec("dump-features", value: "PATH", help: "Write the LSTM's inputs and logits (safetensors)."),
                OptionSpec("bootstrap", value: "N", help: "Bootstrap resamples for the intervals.", default: "1000"),
                OptionSpec("seed", value: "S", help: "Bootstrap seed.", default: "1"),
            ])

    var modelPath: String
    var arguments: ParsedArguments
    var labels: LabelOptions
    var backtest: Int
    var every: TimeSpan?
    var reportDirectory: String?
    var dumpPath: String?
    var resamples: Int
    var seed: UInt64

    init(parsing a: ParsedArguments) throws {
        modelPath = try a.required("model")
        arguments = a
        labels = try LabelOptions(parsing: a)
        backtest = try a.int("backtest", in: 1...1000) ?? 1
        every = try a.value("every", expected: "a duration such as 30d", TimeSpan.init(parsing:))
        reportDirectory = a.string("report")
        dumpPath = a.string("dump-features")
        resamples = try a.int("bootstrap", in: 0...1_000_000) ?? 1000
        seed = UInt64(try a.int("seed", in: 0...Int.max) ?? 1)
    }

    func validate() throws {
        if backtest > 1 && labels.cutoffs.count > 1 { throw CommandError(.usage, "use either several --cutoff or --backtest K, not both") }
        if !FileManager.default.fileExists(atPath: modelPath) { throw CommandError(.noInput, "\(modelPath): no such model file (--model)") }
        if let dir = reportDirectory { try OutputCheck.ensureWritable(dir + "/metrics.json", flag: "--report") }
        if let path = dumpPath { try OutputCheck.ensureWritable(path, flag: "--dump-features") }
    }

    func run() throws {
        try runReportingErrors {
            let model = try ForecastModel.read(from: URL(fileURLWithPath: modelPath))
            let data = try DataOptions(parsing: arguments, columnsFromModel: model.data.columns)
            let (store, report) = try data.load(threads: Threading.threadCount)
            let labelSpec = SnapshotOptions(horizon: labels.horizon ?? model.data.horizon,
                                            definition: labels.definition ?? model.data.churnDefinition,
                                            activeWithin: labels.activeWithin ?? model.data.activeWithin)
            let latest = labels.cutoffs.first ?? SnapshotBuilder.defaultCutoff(store: store, horizon: labelSpec.horizon)
            let cutoffs = labels.cutoffs.count > 1 ? labels.cutoffs
                : try SnapshotBuilder.cutoffs(latest: latest, count: backtest, every: every ?? labelSpec.horizon)
            let labelSource = try labels.labelSource()
            let dump = dumpPath.map { _ in FeatureDump(numericSize: model.features.featureCount) }
            var evaluations: [CutoffEvaluation] = []
            for (k, cutoff) in cutoffs.enumerated() {
                Terminal.error("evaluating at \(Timestamp.format(cutoff)) (horizon \(labelSpec.horizon), \(labelSpec.definition))…")
                let result = try EvaluationPipeline.evaluate(
                    model: model, store: store, cutoff: cutoff, labels: labelSpec, labelSource: labelSource,
                    bootstrap: Bootstrap(resamples: resamples, seed: seed),
                    onScored: { rows, batch, logits in
                        guard k == 0, let dump else { return }
                        dump.append(batch, logits: logits, customers: rows.map { store.customerIDs[Int($0.customer)] })
                    })
                for w in result.evaluation.warnings { Terminal.error("warning: \(w)") }
                evaluations.append(result.evaluation)
            }
            let document = EvaluationReport(
                toolVersion: churnForecasterVersion, modelPath: modelPath,
                modelCreatedAt: ISO8601DateFormatter().string(from: model.createdAt), evaluations: evaluations,
                history: model.history,
                data: .init(files: data.paths, rowsRead: report.rowsRead, badRows: report.badRows,
                            badRowSamples: report.samples.map { "\($0.file):\($0.line): \($0.reason.message): \($0.text)" },
                            customersInLog: store.customerCount, events: store.eventCount,
                            firstEvent: Timestamp.format(store.earliestTime), lastEvent: Timestamp.format(store.latestTime)))
            print(Self.table(document.main))
            if evaluations.count > 1 { print(Self.backtestTable(evaluations)) }
            print(document.verdict)
            if let dir = reportDirectory {
                let url = URL(fileURLWithPath: dir)
                try AtomicFile.write(try document.metricsJSON(), to: url.appendingPathComponent("metrics.json"))
                try AtomicFile.write(Data(ReportRenderer.markdown(document).utf8), to: url.appendingPathComponent("report.md"))
                try AtomicFile.write(Data(ReportRenderer.html(document).utf8), to: url.appendingPathComponent("report.html"))
                Terminal.error("wrote \(dir)/metrics.json, \(dir)/report.md and \(dir)/report.html")
            }
            if let dumpPath, let dump { try dump.write(to: URL(fileURLWithPath: dumpPath)) }
        }
    }

    static func cell(_ x: Double, _ format: String = "%.4f") -> String { x.isFinite ? String(format: format, x) : "—" }

    /// The compact comparison table printed on standard output.
    static func table(_ e: CutoffEvaluation) -> String {
        var lines = ["cutoff \(e.cutoff), horizon \(cell(e.horizonDays, "%.0f"))d, \(e.churnDefinition): "
                     + "\(e.customers) customers, churn rate \(cell(100 * e.churnRate, "%.1f"))%", ""]
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        lines.append(pad("model", 20) + pad("ROC AUC", 9) + pad("95% CI", 17) + pad("PR AUC", 8) + pad("logloss", 9)
                     + pad("Brier", 8) + pad("ECE", 8) + pad("lift@10", 9) + "LSTM − model AUC [95% CI]")
        for name in ModelRegistry.order {
            guard let m = e.models[name] else { continue }
            let ci = m.rocAUCCI95.map { "[\(cell($0[0], "%.3f")), \(cell($0[1], "%.3f"))]" } ?? ""
            var diff = ""
            if let d = e.differences[name] {
                diff = "\(cell(d.rocAUCDiff, "%+.4f"))"
                if d.rocAUCDiffCI95.count == 2 {
                    diff += " [\(cell(d.rocAUCDiffCI95[0], "%+.3f")), \(cell(d.rocAUCDiffCI95[1], "%+.3f"))]"
                }
            }
            lines.append(pad(name, 20) + pad(cell(m.rocAUC), 9) + pad(ci, 17) + pad(cell(m.prAUC), 8) + pad(cell(m.logLoss), 9)
                         + pad(cell(m.brier), 8) + pad(cell(m.ece), 8) + pad(cell(m.topDecileLift, "%.2f"), 9) + diff)
        }
        return lines.joined(separator: "\n")
    }

    static func backtestTable(_ evaluations: [CutoffEvaluation]) -> String {
        let names = ModelRegistry.order.filter { evaluations[0].models[$0] != nil }
        var lines = ["", "backtest (ROC AUC):", "cutoff                " + names.map { $0.padding(toLength: 20, withPad: " ", startingAt: 0) }.joined()]
        for e in evaluations {
            lines.append(e.cutoff.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + names.map { cell(e.models[$0]?.rocAUC ?? .nan).padding(toLength: 20, withPad: " ", startingAt: 0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

EvaluateCommand.main()
