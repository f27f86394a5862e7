import ChurnSupport
import Baselines
import Evaluation
import Foundation

/// Everything `churn-evaluate` reports: one evaluation per cutoff (the first is the main one,
/// later ones the backtest, newest first), the model's training history and the data summary.
/// `ReportRenderer` turns it into `report.md` and `report.html`.
public struct EvaluationReport: Codable, Sendable {
    public struct DataSection: Codable, Sendable {
        public var files: [String]
        public var rowsRead: Int
        public var badRows: Int
        /// The first bad rows, as `file:line: reason: text`.
        public var badRowSamples: [String]
        public var customersInLog: Int
        public var events: Int
        public var firstEvent: String
        public var lastEvent: String

        public init(files: [String], rowsRead: Int, badRows: Int, badRowSamples: [String], customersInLog: Int,
                    events: Int, firstEvent: String, lastEvent: String) {
            self.files = files
            self.rowsRead = rowsRead
            self.badRows = badRows
            self.badRowSamples = badRowSamples
            self.customersInLog = customersInLog
            self.events = events
            self.firstEvent = firstEvent
            self.lastEvent = lastEvent
        }
    }

    public var toolVersion: String
    public var modelPath: String
    public var modelCreatedAt: String
    public var evaluations: [CutoffEvaluation]
    public var history: [EpochRecord]
    public var data: DataSection

    public init(toolVersion: String, modelPath: String, modelCreatedAt: String, evaluations: [CutoffEvaluation],
                history: [EpochRecord], data: DataSection) {
        self.toolVersion = toolVersion
        self.modelPath = modelPath
        self.modelCreatedAt = modelCreatedAt
        self.evaluations = evaluations
        self.history = history
        self.data = data
    }

    /// The main evaluation (the first cutoff).
    public var main: CutoffEvaluation { evaluations[0] }

    /// One plain sentence stating whether the headline forecast beats the best other model, by
    /// how much and how sure we are (the paired bootstrap interval of the AUC difference).
    public var verdict: String {
        let e = main
        let name = Self.displayName(e.headline)
        guard let headline = e.models[e.headline], headline.rocAUC.isFinite else {
            return "No verdict: the snapshot has only one class, so ROC AUC is undefined."
        }
        let others = e.models.filter { $0.key != e.headline && $0.value.rocAUC.isFinite }
        guard let best = others.max(by: { ($0.value.rocAUC, $1.key) < ($1.value.rocAUC, $0.key) }) else {
            return String(format: "The %@ reaches ROC AUC %.3f; no other model could be scored.", name, headline.rocAUC)
        }
        let diff = e.differences[best.key]
        let ci = diff?.rocAUCDiffCI95 ?? []
        let interval = ci.count == 2 ? String(format: " (95%% interval %+.3f to %+.3f)", ci[0], ci[1]) : ""
        let delta = headline.rocAUC - best.value.rocAUC
        let other = Self.displayName(best.key)
        let role = ModelRegistry.baseline(named: best.key) == nil ? "model" : "baseline"
        var sentence: String
        if ci.count == 2, ci[0] > 0 {
            sentence = String(format: "The %@ beats the best other %@, %@, by %+.3f ROC AUC%@: %.3f against %.3f.",
                              name, role, other, delta, interval, headline.rocAUC, best.value.rocAUC)
        } else if ci.count == 2, ci[1] < 0 {
            sentence = String(format: "The %@ is worse than the best other %@, %@, by %.3f ROC AUC%@: %.3f against %.3f.",
                              name, role, other, -delta, interval, headline.rocAUC, best.value.rocAUC)
        } else {
            sentence = String(format: "The %@ and the best other %@, %@, are not distinguishable: %+.3f ROC AUC%@, %.3f against %.3f.",
                              name, role, other, delta, interval, headline.rocAUC, best.value.rocAUC)
        }
        if let loss = diff?.logLossDiff, loss.isFinite, let lossCI = diff?.logLossDiffCI95, lossCI.count == 2,
           headline.logLoss.isFinite, best.value.logLoss.isFinite {
            sentence += String(format: " Log loss %.4f against %.4f (%+.4f, 95%% interval %+.4f to %+.4f).",
                               headline.logLoss, best.value.logLoss, loss, lossCI[0], lossCI[1])
        }
        return sentence
    }

    public static func displayName(_ model: String) -> String { ModelRegistry.displayName(model) }

    /// `metrics.json`: the main cutoff's fields, plus `backtest` with every cutoff and
    /// `warnings`.
    public func metricsJSON() throws -> Data {
        struct Backtest: Codable {
            var cutoff: String
            var customers: Int
            var churnRate: Double
            var headline: String
            var models: [String: MetricSet]
            var differences: [String: AUCDifference]
            enum CodingKeys: String, CodingKey { case cutoff, customers, churnRate = "churn_rate", headline, models, differences }
        }
        struct Metrics: Codable {
            var cutoff: String
            var horizonDays: Double
            var churnDefinition: String
            var customers: Int
            var churnRate: Double
            var headline: String
            var models: [String: MetricSet]
            var differences: [String: AUCDifference]
            var reasons: ReasonSummary?
            var verdict: String
            var badRows: Int
            var backtest: [Backtest]
            var warnings: [String]
            enum CodingKeys: String, CodingKey {
                case cutoff, horizonDays = "horizon_days", churnDefinition = "churn_definition", customers
                case churnRate = "churn_rate", headline, models, differences, reasons, verdict, badRows = "bad_rows", backtest, warnings
            }
        }
        let m = main
        let document = Metrics(cutoff: m.cutoff, horizonDays: m.horizonDays, churnDefinition: m.churnDefinition,
                               customers: m.customers, churnRate: m.churnRate, headline: m.headline, models: m.models, differences: m.differences,
                               reasons: m.reasons, verdict: verdict, badRows: data.badRows,
                               backtest: evaluations.map { Backtest(cutoff: $0.cutoff, customers: $0.customers, churnRate: $0.churnRate,
                                                                     headline: $0.headline, models: $0.models, differences: $0.differences) },
                               warnings: m.warnings)
        return try JSONOutput.encode(document, pretty: true)
    }
}
