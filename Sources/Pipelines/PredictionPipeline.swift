import ChurnModel
import EventLog
import Features
import Foundation
import Snapshots

/// How predictions are written.
public enum PredictionFormat: String, CaseIterable, Sendable {
    /// `customer_id,churn_probability` with a header row.
    case csv
    /// One JSON object per line: `{"customer_id":…,"churn_probability":…}`.
    case jsonl
}

/// What a scoring run did.
public struct PredictionSummary: Sendable {
    public var asOf: Int64
    /// Customers the network scored.
    public var scored: Int
    /// Customers whose history already holds the churn event (probability 1, not scored).
    public var alreadyChurned: Int
}

/// Batch scoring of every customer with history before an instant: one row per customer, in
/// bytewise order of the id, written as each batch completes, so memory stays bounded by the
/// batch.
public enum PredictionPipeline {
    /// Scores every customer of `store` with history before `asOf`.
    ///
    /// With a churn-event model, customers whose history already holds the event are not scored:
    /// their probability is 1, and their rows are merged into the output in id order.
    /// - Parameters:
    ///   - write: receives the output text in order (the header first, for CSV).
    ///   - scorer: the forecast to write (nil: the model's headline, `defaultScorer`).
    ///   - dump: collects the model's inputs and raw outputs, rows in output order of the scored customers.
    ///   - progress: customers scored so far, of the total to score (first with 0, before scoring starts).
    /// - Complexity: O(events before `asOf` + customers · log customers), in batches of `batchSize`.
    /// - Throws: `PipelineError.scorerUnavailable` when the model cannot make `scorer`.
    public static func predict(model: ForecastModel, store: EventStore, asOf: Int64, batchSize: Int = 512,
                               format: PredictionFormat = .csv, scorer choice: ScorerChoice? = nil, dump: FeatureDump? = nil,
                               write: (String) throws -> Void, progress: (Int, Int) -> Void = { _, _ in }) throws -> PredictionSummary {
        let choice = try model.scorer(choice)
        // Everyone with history is scored; the churn-event definition only marks who already churned.
        let snapshot = SnapshotBuilder.make(store: store, cutoff: asOf,
                                            options: SnapshotOptions(horizon: model.data.horizon, definition: .inactivity), labels: .none)
        var rows = snapshot.rows
        rows.sort { store.customerIDs[Int($0.customer)].utf8.lexicographicallyPrecedes(store.customerIDs[Int($1.customer)].utf8) }
        var churnCode: Int32?
        if case .event(let name) = model.data.churnDefinition { churnCode = store.eventCode(of: name) }
        // One pass over the histories decides who already churned.
        let isChurned = rows.map { row -> Bool in
            guard let code = churnCode else { return false }
            return (store.offsets[Int(row.customer)] ..< row.historyEnd).contains { store.events[$0] == code }
        }
        let churnedCount = isChurned.filter { $0 }.count
        let scored = churnedCount == 0 ? rows : zip(rows, isChurned).filter { !$0.1 }.map(\.0)
        if format == .csv { try write("customer_id,churn_probability\n") }

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
                text += format == .csv ? "\(csvField(id)),\(number(p))\n"
                                       : "{\"customer_id\":\(jsonString(id)),\"churn_probability\":\(number(p))}\n"
                next += 1
            }
            try write(text)
        }
        var position = [Int32: Int]()
        if churnedCount > 0 { for (k, row) in rows.enumerated() { position[row.customer] = k } }
        let scorer = try Scorer(model: model, store: store)
        progress(0, scored.count)
        try scorer.score(rows: scored, batchSize: batchSize, boosted: choice != .lstm || dump != nil) { batch in
            let batchRows = batch.rows
            for (row, p) in zip(batchRows, scorer.probabilities(batch, choice: choice)) { probabilities[row.customer] = p }
            dump?.append(batch, customers: batchRows.map { store.customerIDs[Int($0.customer)] })
            done += batchRows.count
            progress(done, scored.count)
            try emit(upTo: churnedCount == 0 ? batchRows.endIndex : position[batchRows.last!.customer]! + 1)
        }
        try emit(upTo: rows.count)
        return PredictionSummary(asOf: asOf, scored: scored.count, alreadyChurned: churnedCount)
    }

    static func number(_ p: Double) -> String { String(format: "%.6f", p) }

    /// RFC 4180 quoting when the id needs it.
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
