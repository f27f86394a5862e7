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
    /// With explanations: their base value and the largest integration error of the LSTM part
    /// (logit units; `Explainer`).
    public var explanationBase: Double?
    public var largestIntegrationError: Double?
    /// The customer with that error.
    public var largestIntegrationErrorCustomer: String?
    /// Customers whose error is above `Explainer.refinementThreshold` after refinement.
    public var integrationErrorsAboveThreshold = 0
}

/// What `--explain` asks for.
public struct ExplanationRequest: Sendable {
    /// Reasons written per customer.
    public var reasons: Int
    /// Midpoint-rule points of the LSTM's integrated gradients.
    public var steps: Int

    public init(reasons: Int, steps: Int = 8) {
        self.reasons = reasons
        self.steps = steps
    }
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
    ///   - explain: adds each customer's largest reasons (`Explainer`): CSV columns `reason_k`,
    ///     `reason_k_event`, `reason_k_contribution` for k = 1…K; a JSON `reasons` list. A customer
    ///     that already churned has none.
    ///   - progress: customers scored so far, of the total to score (first with 0, before scoring starts).
    /// - Complexity: O(events before `asOf` + customers · log customers), in batches of `batchSize`.
    /// - Throws: `PipelineError.scorerUnavailable` when the model cannot make `scorer`.
    public static func predict(model: ForecastModel, store: EventStore, asOf: Int64, batchSize: Int = 512,
                               format: PredictionFormat = .csv, scorer choice: ScorerChoice? = nil, dump: FeatureDump? = nil,
                               explain: ExplanationRequest? = nil,
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
        let k = explain?.reasons ?? 0
        if format == .csv {
            try write("customer_id,churn_probability" + (0..<k).map { ",reason_\($0 + 1),reason_\($0 + 1)_event,reason_\($0 + 1)_contribution" }.joined() + "\n")
        }
        var reasonText: [Int32: String] = [:]

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
                let reasons = explain == nil ? "" : reasonText.removeValue(forKey: row.customer) ?? Self.reasonFields([], k: k, format: format)
                text += format == .csv ? "\(csvField(id)),\(number(p))\(reasons)\n"
                                       : "{\"customer_id\":\(jsonString(id)),\"churn_probability\":\(number(p))\(reasons)}\n"
                next += 1
            }
            try write(text)
        }
        var position = [Int32: Int]()
        if churnedCount > 0 { for (k, row) in rows.enumerated() { position[row.customer] = k } }
        let scorer = try Scorer(model: model, store: store)
        let explainer = try explain.map { try Explainer(model: model, store: store, choice: choice, steps: $0.steps) }
        var largestError = 0.0, worstCustomer: String?, above = 0
        progress(0, scored.count)
        try scorer.score(rows: scored, batchSize: batchSize, boosted: choice != .lstm || dump != nil) { batch in
            let batchRows = batch.rows
            let forecasts = scorer.probabilities(batch, choice: choice)
            for (row, p) in zip(batchRows, forecasts) { probabilities[row.customer] = p }
            if let explainer {
                for (row, e) in zip(batchRows, try explainer.explain(batch, probabilities: forecasts, describe: k)) {
                    if abs(e.integrationError) > Explainer.refinementThreshold { above += 1 }
                    if abs(e.integrationError) > largestError {
                        largestError = abs(e.integrationError)
                        worstCustomer = store.customerIDs[Int(row.customer)]
                    }
                    let top = e.reasons.indices.sorted { abs(e.reasons[$0].contribution) > abs(e.reasons[$1].contribution) }.prefix(k)
                    reasonText[row.customer] = Self.reasonFields(top.sorted().map { e.reasons[$0] }, k: k, format: format)
                }
            }
            dump?.append(batch, customers: batchRows.map { store.customerIDs[Int($0.customer)] })
            done += batchRows.count
            progress(done, scored.count)
            try emit(upTo: churnedCount == 0 ? batchRows.endIndex : position[batchRows.last!.customer]! + 1)
        }
        try emit(upTo: rows.count)
        return PredictionSummary(asOf: asOf, scored: scored.count, alreadyChurned: churnedCount,
                                 explanationBase: explainer?.baseProbability, largestIntegrationError: explainer.map { _ in largestError },
                                 largestIntegrationErrorCustomer: worstCustomer, integrationErrorsAboveThreshold: above)
    }

    /// The reason fields of one output row (`reasons` in output order, at most `k`): CSV columns
    /// after the probability, or the JSON `reasons` member.
    static func reasonFields(_ reasons: [Reason], k: Int, format: PredictionFormat) -> String {
        switch format {
        case .csv:
            return (0..<k).map { i in
                guard i < reasons.count else { return ",,," }
                let r = reasons[i]
                return ",\(csvField(r.description)),\(r.group.event.map(csvField) ?? ""),\(contribution(r.contribution))"
            }.joined()
        case .jsonl:
            let items = reasons.prefix(k).map { r in
                "{\"event\":\(r.group.event.map(jsonString) ?? "null"),\"description\":\(jsonString(r.description)),"
                    + "\"contribution\":\(contribution(r.contribution)),\"group\":\(jsonString(r.group.key))}"
            }
            return ",\"reasons\":[\(items.joined(separator: ","))]"
        }
    }

    /// A contribution in probability points, six decimals (`-0.000000` written as `0.000000`).
    static func contribution(_ x: Double) -> String {
        let text = String(format: "%.6f", x)
        return text == "-0.000000" ? "0.000000" : text
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
