import Features
import Snapshots
import EventLog
import Foundation

/// Features of the analyst's baselines, computed from the same snapshot rows as the LSTM's.
///
/// All of them read only history events (before the row's cutoff), like the LSTM's features.
public enum BaselineFeatures {
    /// Days since the last history event, ∞ without history (the recency rule scores with this
    /// directly).
    public static func recencyDays(store: EventStore, row: SnapshotRow) -> Double {
        let history = HistorySummary(store: store, row: row)
        return history.eventCount > 0 ? history.recencyDays : .infinity
    }

    public static let rfmNames = ["log1p_recency_days", "log1p_frequency", "signed_log1p_monetary", "log1p_tenure_days"]

    /// Recency, frequency (history events), monetary (total of the first value column) and
    /// tenure, log-scaled.
    public static func rfm(_ a: CustomerAggregates) -> [Double] {
        let monetary = a.valueTotals.first ?? 0
        return [log1p(a.history.recencyDays), log1p(Double(a.history.eventCount)),
                monetary < 0 ? -log1p(-monetary) : log1p(monetary), log1p(a.history.tenureDays)]
    }

    /// Names of the aggregate features for `eventTypes`.
    public static func aggregateNames(eventTypes: [String], valueColumns: [String]) -> [String] {
        var names: [String] = []
        for type in eventTypes {
            for w in HistorySummary.windowsInDays { names.append("log1p_count_\(type)_\(w)d") }
            names.append("log1p_count_\(type)_all")
        }
        for w in HistorySummary.windowsInDays { names.append("log1p_count_any_\(w)d") }
        names += ["log1p_count_any_all", "log1p_recency_days", "log1p_tenure_days"]
        for v in valueColumns { names += ["signed_log1p_\(v)_30d", "signed_log1p_\(v)_all"] }
        return names
    }

    /// Counts per event type over 7, 30 and 90 days and all history, overall counts, recency,
    /// tenure and value sums, all log-scaled. `typeIndex` maps store event codes to positions
    /// in `eventTypes` (-1: not counted separately).
    public static func aggregate(store: EventStore, row: SnapshotRow, typeIndex: [Int], typeCount: Int) -> [Double] {
        let history = HistorySummary(store: store, row: row)
        let windows = HistorySummary.windowsInDays.map { HistorySummary.windowStart(days: $0, cutoff: row.cutoff) }
        let perType = windows.count + 1
        var counts = [Double](repeating: 0, count: typeCount * perType)
        let valueCount = store.values.count
        var values30 = [Double](repeating: 0, count: valueCount), valuesAll = values30
        for k in history.start..<history.end {
            let t = store.times[k]
            let slot = typeIndex[Int(store.events[k])]
            if slot >= 0 {
                for (w, since) in windows.enumerated() where t >= since { counts[slot * perType + w] += 1 }
                counts[slot * perType + perType - 1] += 1
            }
            for v in 0..<valueCount {
                let x = Double(store.values[v][k])
                valuesAll[v] += x
                if t >= windows[1] { values30[v] += x }
            }
        }
        let any = [history.eventsLast7Days, history.eventsLast30Days, history.eventsLast90Days, history.eventCount]
        var out = counts.map(log1p) + any.map { log1p(Double($0)) }
        out.append(history.eventCount > 0 ? log1p(history.recencyDays) : 0)
        out.append(history.eventCount > 0 ? log1p(history.tenureDays) : 0)
        func signed(_ x: Double) -> Double { x < 0 ? -log1p(-x) : log1p(x) }
        for v in 0..<valueCount { out += [signed(values30[v]), signed(valuesAll[v])] }
        return out
    }

    /// Maps store event codes to positions among `eventTypes`.
    public static func typeIndex(store: EventStore, eventTypes: [String]) -> [Int] {
        let position = Dictionary(uniqueKeysWithValues: eventTypes.enumerated().map { ($1, $0) })
        return store.eventNames.map { position[$0] ?? -1 }
    }
}
