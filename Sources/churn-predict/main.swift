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

/// `churn-predict`: model + event log → one churn probability per customer.
struct PredictCommand: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-predict",
        abstract: "Score every customer of an event log with a trained churn model.",
        usage: "churn-predict --model PATH --events FILE... [--as-of T] [--output PATH|-] [--format csv|jsonl] [--shard I/N]",
        discussion: """
        Writes one row per customer with history before --as-of: customer_id,churn_probability
        (the probability of churn within the model's horizon), sorted by customer id (bytewise).
        With a churn-event model, customers whose history already holds the churn event get
        probability 1. --shard I/N keeps the customers whose id hashes to shard I of N (FNV-1a
        64-bit of the id's UTF-8 bytes, mod N), so N processes cover everyone exactly once; each
        reads the whole input but keeps only its shard's events in memory, and the default
        --as-of is that of the whole input in every shard.
        Files are written atomically (temporary file, then rename).
        """,
        options: [OptionSpec("model", value: "PATH", help: "Model file written by churn-train.")]
            + DataOptions.specs + [
                OptionSpec("as-of", value: "TIME", help: "Scoring instant; history is before it.", default: "00:00 UTC after the latest event"),
                OptionSpec("output", value: "PATH", help: "Where to write predictions (- = standard output).", default: "-"),
                OptionSpec("format", value: "FORMAT", help: "csv or jsonl.", default: "csv"),
                OptionSpec("shard", value: "I/N", help: "Score only shard I of N (0 ≤ I < N)."),
                OptionSpec("batch-size", value: "B", help: "Customers per scoring batch.", default: "512"),
                OptionSpec("dump-features", value: "PATH", help: "Write the LSTM's inputs and logits (safetensors)."),
            ])

    enum Format: String { case csv, jsonl }

    var modelPath: String
    var arguments: ParsedArguments
    var asOf: Int64?
    var output: String
    var format: Format
    var shard: (index: Int, count: Int)?
    var batchSize: Int
    var dumpPath: String?

    init(parsing a: ParsedArguments) throws {
        modelPath = try a.required("model")
        arguments = a
        asOf = try a.value("as-of", expected: "a date or date-time such as 2024-06-01", Timestamp.parse)
        output = a.string("output") ?? "-"
        format = try a.value("format", expected: "csv or jsonl", Format.init(rawValue:)) ?? .csv
        shard = try a.value("shard", expected: "I/N with 0 ≤ I < N, e.g. 0/4") { text in
            let parts = text.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
            return (i, n)
        }
        batchSize = try a.int("batch-size", in: 1...1_000_000) ?? 512
        dumpPath = a.string("dump-features")
    }

    func validate() throws {
        if !FileManager.default.fileExists(atPath: modelPath) { throw CommandError(.noInput, "\(modelPath): no such model file (--model)") }
        if output != "-" { try OutputCheck.ensureWritable(output, flag: "--output") }
        if let path = dumpPath { try OutputCheck.ensureWritable(path, flag: "--dump-features") }
    }

    func run() throws {
        try runReportingErrors {
            let model = try ForecastModel.read(from: URL(fileURLWithPath: modelPath))
            let data = try DataOptions(parsing: arguments, columnsFromModel: model.data.columns)
            // With --shard, the loader keeps only this shard's customers: memory follows the shard.
            let (store, _) = try data.load(threads: Threading.threadCount,
                                           customerFilter: shard.map { CustomerSharding.filter(shard: $0.index, count: $0.count) })
            let instant = asOf ?? SnapshotBuilder.defaultAsOf(store: store)
            // Everyone with history is scored; the churn-event definition only marks who already churned.
            let snapshot = SnapshotBuilder.make(store: store, cutoff: instant,
                                                options: SnapshotOptions(horizon: model.data.horizon, definition: .inactivity),
                                                labels: .none)
            var rows = snapshot.rows
            rows.sort { store.customerIDs[Int($0.customer)].utf8.lexicographicallyPrecedes(store.customerIDs[Int($1.customer)].utf8) }
            var churnCode: Int32?
            if case .event(let name) = model.data.churnDefinition { churnCode = store.eventCode(of: name) }
            func alreadyChurned(_ row: SnapshotRow) -> Bool {
                guard let code = churnCode else { return false }
                return (store.offsets[Int(row.customer)] ..< row.historyEnd).contains { store.events[$0] == code }
            }
            if rows.isEmpty {
                Terminal.error("warning: no customer has an event before \(Timestamp.format(instant)); the output has only a header")
            }
            let sink = try OutputSink(path: output)
            if format == .csv { try sink.write("customer_id,churn_probability\n") }
            let scorer = Scorer(model: model, store: store)
            let dump = dumpPath.map { _ in FeatureDump(numericSize: model.features.featureCount) }
            // One pass over the histories decides who already churned.
            let isChurned = rows.map(alreadyChurned)
            let churned = zip(rows, isChurned).filter { $0.1 }.map(\.0)
            let scored = churned.isEmpty ? rows : zip(rows, isChurned).filter { !$0.1 }.map(\.0)
            let bar = ProgressBar(label: "scoring", total: scored.count, unit: "customers")
            // Merge the scored customers (in id order) with the already-churned ones (probability 1).
            var probabilities: [Int32: Double] = [:]
            probabilities.reserveCapacity(min(scored.count, batchSize))
            var next = 0, done = 0
            func emit(upTo end: Int) throws {
                var text = ""
                while next < end {
                    let row = rows[next]
                    let id = store.customerIDs[Int(row.customer)]
                    let p = probabilities.removeValue(forKey: row.customer) ?? 1
                    text += format == .csv ? "\(Self.csvField(id)),\(Self.number(p))\n"
                                           : "{\"customer_id\":\(Self.jsonString(id)),\"churn_probability\":\(Self.number(p))}\n"
                    next += 1
                }
                try sink.write(text)
            }
            var position = [Int32: Int]()
            if !churned.isEmpty { for (k, row) in rows.enumerated() { position[row.customer] = k } }
            _ = try scorer.logits(rows: scored, batchSize: batchSize) { batchRows, batch, logits in
                for (row, logit) in zip(batchRows, logits) { probabilities[row.customer] = model.calibration.probability(logit: logit) }
                dump?.append(batch, logits: logits, customers: batchRows.map { store.customerIDs[Int($0.customer)] })
                done += batchRows.count
                bar.update(done)
                let last = batchRows.last!
                try emit(upTo: churned.isEmpty ? batchRows.endIndex : position[last.customer]! + 1)
            }
            try emit(upTo: rows.count)
            try sink.finish()
            bar.finish()
            Terminal.error("scored \(scored.count) customers\(churned.isEmpty ? "" : ", \(churned.count) already churned (probability 1)")"
                           + (shard.map { " (shard \($0.index)/\($0.count))" } ?? "") + " as of \(Timestamp.format(instant))")
            if let dumpPath, let dump { try dump.write(to: URL(fileURLWithPath: dumpPath)) }
        }
    }

    static func number(_ p: Double) -> String { String(format: "%.6f", p) }

    /// RFC 4180 quoting when the id needs it.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}

/// Standard output, or a file written through a temporary file and renamed at the end.
final class OutputSink {
    let path: String
    private let file: AtomicFile.Writer?

    init(path: String) throws {
        self.path = path
        file = path == "-" ? nil : try AtomicFile.Writer(URL(fileURLWithPath: path))
    }

    func write(_ text: String) throws {
        if let file { return try file.write(Data(text.utf8)) }
        var bytes = text
        let failure = bytes.withUTF8 { AtomicFile.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer($0)) }
        if let failure { throw CommandError(.noInput, "cannot write to standard output: \(String(cString: strerror(failure)))") }
    }

    func finish() throws { try file?.commit() }
}

PredictCommand.main()
