import ChurnCommandLine
import EventLog
import Foundation
import Pipelines
import Snapshots

/// `churn-predict`: model + event log → one churn probability per customer.
struct PredictCommand: ParsableCommand {
    static let model = Option<String>.text("model", value: "PATH", help: "Model file written by churn-train.")
    static let asOf = Option<Int64>.instant("as-of", help: "Scoring instant; history is before it.",
                                            defaultDescription: "00:00 UTC after the latest event")
    static let output = Option<String>.text("output", value: "PATH", help: "Where to write predictions (- = standard output).", default: "-")
    static let format = Option<PredictionFormat>.choice("format", value: "FORMAT", help: "Output format", default: .csv)
    static let shard = Option<Shard>("shard", value: "I/N", help: "Score only shard I of N (0 ≤ I < N).",
                                     expected: "I/N with 0 ≤ I < N, e.g. 0/4", parse: { Shard(parsing: $0) })
    static let batchSize = Option<Int>.integer("batch-size", value: "B", help: "Customers per scoring batch.", default: 512, in: 1...1_000_000)
    static let dumpFeatures = Option<String>.text("dump-features", value: "PATH", help: "Write the model's inputs and raw outputs (safetensors).")
    static let explain = Option<Int>.integer("explain", value: "K", help: "Add each customer's K largest reasons (reason codes).", in: 1...1000)
    static let explainSteps = Option<Int>.integer("explain-steps", value: "M", help: "Integration points of the LSTM's reasons (integrated gradients, midpoint rule).",
                                                  default: 8, in: 1...1024)
    static let scorer = Option<ScorerChoice>.choice("scorer", value: "MODEL", help: "The forecast to write",
                                                    defaultDescription: "ensemble when the model has a booster, else lstm")

    static let spec = CommandSpec(
        name: "churn-predict",
        abstract: "Score every customer of an event log with a trained churn model.",
        usage: "churn-predict --model PATH --events FILE... [--as-of T] [--output PATH|-] [--format csv|jsonl] [--shard I/N] [--explain K]",
        discussion: """
        Writes one row per customer with history before --as-of: customer_id,churn_probability
        (the probability of churn within the model's horizon), sorted by customer id (bytewise).
        The probability is the model's headline forecast, the stacked ensemble of the LSTM and
        XGBoost; --scorer lstm or xgboost writes one part alone.
        With a churn-event model, customers whose history already holds the churn event get
        probability 1. --shard I/N keeps the customers whose id hashes to shard I of N (FNV-1a
        64-bit of the id's UTF-8 bytes, mod N), so N processes cover everyone exactly once; each
        reads the whole input but keeps only its shard's events in memory, and the default
        --as-of is that of the whole input in every shard.
        --explain K adds the K reasons that move each forecast most (CSV columns reason_k,
        reason_k_event, reason_k_contribution; a JSON "reasons" list), largest contribution first,
        in probability points: all reasons plus the base value (printed) add up to the forecast.
        Files are written atomically (temporary file, then rename).
        """,
        options: [model.spec] + DataOptions.specs + [asOf.spec, output.spec, format.spec, scorer.spec, shard.spec, batchSize.spec, dumpFeatures.spec,
                                                         explain.spec, explainSteps.spec, CommandSpec.isa.spec])

    /// Shard I of N.
    struct Shard: Sendable {
        var index: Int, count: Int
        init?(parsing text: String) {
            let parts = text.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
            (index, count) = (i, n)
        }
    }

    var arguments: ParsedArguments
    var modelPath: String
    var output: String
    var dumpPath: String?

    init(parsing a: ParsedArguments) throws {
        arguments = a
        modelPath = try a.required(Self.model)
        output = try a.required(Self.output)
        dumpPath = try a.value(Self.dumpFeatures)
    }

    func validate() throws {
        if !FileManager.default.fileExists(atPath: modelPath) { throw CommandError(.noInput, "\(modelPath): no such model file (--model)") }
        if output != "-" { try OutputCheck.ensureWritable(output, flag: "--output") }
        if let path = dumpPath { try OutputCheck.ensureWritable(path, flag: "--dump-features") }
        _ = try (arguments.value(Self.asOf), arguments.value(Self.format), arguments.value(Self.shard), arguments.value(Self.batchSize),
                 arguments.value(Self.scorer), arguments.value(Self.explain), arguments.value(Self.explainSteps))
    }

    func run() throws {
        try runReportingErrors {
            let model = try ForecastModel.read(from: URL(fileURLWithPath: modelPath))
            let data = try DataOptions(parsing: arguments, columnsFromModel: model.data.columns,
                                       attributesFromModel: model.features.attributes.attributes.map {
                                           DataOptions.ModelAttribute(name: $0.name, source: $0.source, kind: $0.kind)
                                       })
            let shard = try arguments.value(Self.shard)
            // With --shard, the loader keeps only this shard's customers: memory follows the shard.
            let (store, _) = try data.load(customerFilter: shard.map { CustomerSharding.filter(shard: $0.index, count: $0.count) })
            let instant = try arguments.value(Self.asOf) ?? SnapshotBuilder.defaultAsOf(store: store)
            let sink = try OutputSink(path: output)
            let dump = dumpPath.map { _ in FeatureDump(model: model) }
            var bar: ProgressBar?
            let summary = try PredictionPipeline.predict(
                model: model, store: store, asOf: instant, batchSize: try arguments.required(Self.batchSize),
                format: try arguments.required(Self.format), scorer: try arguments.value(Self.scorer), dump: dump,
                explain: try arguments.value(Self.explain).map { ExplanationRequest(reasons: $0, steps: try arguments.required(Self.explainSteps)) },
                write: sink.write,
                progress: { done, total in
                    if bar == nil { bar = ProgressBar(label: "scoring", total: total, unit: "customers") }
                    bar?.update(done)
                })
            try sink.finish()
            bar?.finish()
            if summary.scored + summary.alreadyChurned == 0 {
                Terminal.error("warning: no customer has an event before \(Timestamp.format(instant)); the output has only a header")
            }
            Terminal.error("scored \(summary.scored) customers"
                           + (summary.alreadyChurned == 0 ? "" : ", \(summary.alreadyChurned) already churned (probability 1)")
                           + (shard.map { " (shard \($0.index)/\($0.count))" } ?? "") + " as of \(Timestamp.format(instant))")
            if let base = summary.explanationBase, let error = summary.largestIntegrationError {
                Terminal.error(String(format: "reasons: base value %.6f (every customer's reasons add up to its forecast minus it); "
                                      + "largest integration error of the LSTM part %.2g logit", base, error)
                               + (summary.largestIntegrationErrorCustomer.map { " (customer \($0))" } ?? "")
                               + "; \(summary.integrationErrorsAboveThreshold) of \(summary.scored) customers above \(Explainer.refinementThreshold)")
            }
            if let dumpPath, let dump { try dump.write(to: URL(fileURLWithPath: dumpPath)) }
        }
    }
}

PredictCommand.main()
