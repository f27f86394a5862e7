import ChurnSupport
import Baselines
import Evaluation
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

    /// One plain sentence stating whether the LSTM beats the best baseline, by how much and how
    /// sure we are (the paired bootstrap interval of the AUC difference).
    public var verdict: String {
        let e = main
        guard let lstm = e.models["lstm"], lstm.rocAUC.isFinite else {
            return "No verdict: the snapshot has only one class, so ROC AUC is undefined."
        }
        let baselines = e.models.filter { $0.key != ModelRegistry.reference && $0.value.rocAUC.isFinite }
        guard let best = baselines.max(by: { $0.value.rocAUC < $1.value.rocAUC }) else {
            return String(format: "The LSTM reaches ROC AUC %.3f; no baseline could be scored.", lstm.rocAUC)
        }
        let diff = e.differences[best.key]
        let ci = diff?.rocAUCDiffCI95 ?? []
        let interval = ci.count == 2 ? String(format: " (95%% interval %+.3f to %+.3f)", ci[0], ci[1]) : ""
        let delta = lstm.rocAUC - best.value.rocAUC
        let name = Self.displayName(best.key)
        if ci.count == 2, ci[0] > 0 {
            return String(format: "The LSTM beats the best baseline, %@, by %+.3f ROC AUC%@: %.3f against %.3f.",
                          name, delta, interval, lstm.rocAUC, best.value.rocAUC)
        }
        if ci.count == 2, ci[1] < 0 {
            return String(format: "The LSTM is worse than the best baseline, %@, by %.3f ROC AUC%@: %.3f against %.3f.",
                          name, -delta, interval, lstm.rocAUC, best.value.rocAUC)
        }
        return String(format: "The LSTM and the best baseline, %@, are not distinguishable: %+.3f ROC AUC%@, %.3f against %.3f.",
                      name, delta, interval, lstm.rocAUC, best.value.rocAUC)
    }

    public static func displayName(_ model: String) -> String { ModelRegistry.displayName(model) }

    /// `metrics.json`: the main cutoff's fields, plus `backtest` with every cutoff and
    /// `warnings`.
    public func metricsJSON() throws -> Data {
        struct Backtest: Codable {
            var cutoff: String
            var customers: Int
            var churnRate: Double
            var models: [String: MetricSet]
            var differences: [String: AUCDifference]
            enum CodingKeys: String, CodingKey { case cutoff, customers, churnRate = "churn_rate", models, differences }
        }
        struct Metrics: Codable {
            var cutoff: String
            var horizonDays: Double
            var churnDefinition: String
            var customers: Int
            var churnRate: Double
            var models: [String: MetricSet]
            var differences: [String: AUCDifference]
            var verdict: String
            var badRows: Int
            var backtest: [Backtest]
            var warnings: [String]
            enum CodingKeys: String, CodingKey {
                case cutoff, horizonDays = "horizon_days", churnDefinition = "churn_definition", customers
                case churnRate = "churn_rate", models, differences, verdict, badRows = "bad_rows", backtest, warnings
            }
        }
        let m = main
        let document = Metrics(cutoff: m.cutoff, horizonDays: m.horizonDays, churnDefinition: m.churnDefinition,
                               customers: m.customers, churnRate: m.churnRate, models: m.models, differences: m.differences,
                               verdict: verdict, badRows: data.badRows,
                               backtest: evaluations.map { Backtest(cutoff: $0.cutoff, customers: $0.customers, churnRate: $0.churnRate,
                                                                     models: $0.models, differences: $0.differences) },
                               warnings: m.warnings)
return try JSONOutput.encode(document, pretty: true)
    }
}
