import Snapshots
import EventLog

/// History-wide summaries of one customer before a cutoff (recency, frequency, monetary value,
/// tenure), for the RFM baseline. Only events before the cutoff are used.
public struct CustomerAggregates: Equatable, Sendable {
    /// Event counts (frequency), recent counts, recency and tenure.
    public var history: HistorySummary
    /// Sums of each value column over the history (monetary), in `EventStore.valueColumns` order.
    public var valueTotals: [Double]
}

extension EventStore {
    /// The aggregates of a snapshot row.
    /// - Parameter row: the customer and cutoff.
    /// - Complexity: O(history length).
    public func aggregates(of row: SnapshotRow) -> CustomerAggregates {
        let history = HistorySummary(store: self, row: row)
        let totals = values.map { column in
            var total = 0.0
            for k in history.start..<history.end { total += Double(column[k]) }
            return total
        }
        return CustomerAggregates(history: history, valueTotals: totals)
    }
}
