import Analysis
import EventLog
import Features
import Foundation
import Reports
import Snapshots

/// The model-dependent part of `churn-analyze`: customers segmented by their forecast.
public enum AnalysisPipeline {
    /// Deciles of the headline forecast at `asOf` (1 = the highest tenth; sizes differ by at most
    /// one): customers, mean forecast, expected churners Σ p, revenue at risk Σ p · rev(c, P) with
    /// P the period holding the instant just before `asOf`, and the observed churn rate when the
    /// log covers the label window `[asOf, asOf + horizon)`. Customers who already churned (a
    /// churn-event model) are left out.
    public static func riskDeciles(model: ForecastModel, store: EventStore, asOf: Int64, period: CalendarPeriod,
                                   valueColumn: String?) throws -> [RiskDecile] {
        let snapshot = SnapshotBuilder.make(store: store, cutoff: asOf, options: model.data.snapshotOptions, labels: .window)
        let rows = snapshot.rows
        guard !rows.isEmpty else { return [] }
        let scorer = try Scorer(model: model, store: store)
        let choice = model.defaultScorer
        var probabilities: [Double] = []
        try scorer.score(rows: rows, boosted: choice != .lstm) { probabilities += scorer.probabilities($0, choice: choice) }
        let covered = asOf + model.data.horizon.microseconds <= store.latestTime
        let last = period.index(of: asOf - 1)
        let column = valueColumn.flatMap { store.valueColumns.firstIndex(of: $0) }
        func revenue(_ row: SnapshotRow) -> Double {
            guard let j = column else { return 0 }
            var total = 0.0
            for k in store.offsets[Int(row.customer)]..<row.historyEnd where period.index(of: store.times[k]) == last {
                total += Double(store.values[j][k])
            }
            return total
        }
        let order = rows.indices.sorted { probabilities[$0] > probabilities[$1] }
        let n = order.count
        return (0..<10).compactMap { (d: Int) -> RiskDecile? in
            let lower: Int = d * n / 10, upper: Int = (d + 1) * n / 10
            let members: ArraySlice<Int> = order[lower..<upper]
            guard !members.isEmpty else { return nil }
            let p = members.map { probabilities[$0] }
            let expected = p.reduce(0, +)
            let labels = members.compactMap { rows[$0].label }
            var atRisk: Double?
            if column != nil { atRisk = members.reduce(0.0) { $0 + probabilities[$1] * revenue(rows[$1]) } }
            var observed: Double?
            if covered && labels.count == members.count { observed = Double(labels.filter { $0 }.count) / Double(labels.count) }
            return RiskDecile(decile: d + 1, customers: members.count, meanProbability: expected / Double(p.count),
                              expectedChurners: expected, revenueAtRisk: atRisk, observedChurnRate: observed)
        }
    }
}
