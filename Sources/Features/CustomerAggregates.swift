import Snapshots
import EventLog

/// History-wide summaries of one customer before a cutoff, for baselines (recency, RFM, BG/NBD)
/// and reports. Only events before the cutoff are used.
public struct CustomerAggregates: Equatable, Sendable {
    /// History events (frequency).
    public var eventCount: Int
    /// Days from the last history event to the cutoff (recency); 0 without history.
    public var recencyDays: Double
    /// Days from the first history event to the cutoff (age `T` in BG/NBD); 0 without history.
    public var tenureDays: Double
    /// Days from the first to the last history event (`t_x` in BG/NBD).
    public var activeSpanDays: Double
    /// Distinct UTC days with at least one event (repeat "transactions" are `activeDays − 1`).
    public var activeDays: Int
    /// Events in `[cutoff − 7d, cutoff)`.
    public var eventsLast7Days: Int
    /// Events in `[cutoff − 30d, cutoff)`.
    public var eventsLast30Days: Int
    /// Events in `[cutoff − 90d, cutoff)`.
    public var eventsLast90Days: Int
    /// Sums of each value column over the history (monetary), in `EventStore.valueColumns` order.
    public var valueTotals: [Double]
}

extension EventStore {
    /// The aggregates of a snapshot row.
    /// - Parameter row: the customer and cutoff.
    /// - Complexity: O(history length).
    public func aggregates(of row: SnapshotRow) -> CustomerAggregates {
        let c = Int(row.customer)
        let start = offsets[c], end = row.historyEnd
        let day = Double(Timestamp.microsecondsPerDay)
        var result = CustomerAggregates(eventCount: end - start, recencyDays: 0, tenureDays: 0, activeSpanDays: 0,
                                        activeDays: 0, eventsLast7Days: 0, eventsLast30Days: 0, eventsLast90Days: 0,
                                        valueTotals: Array(repeating: 0, count: valueColumns.count))
        guard end > start else { return result }
        result.recencyDays = Double(row.cutoff - times[end - 1]) / day
        result.tenureDays = Double(row.cutoff - times[start]) / day
        result.activeSpanDays = Double(times[end - 1] - times[start]) / day
        var lastDay = Int64.min
        for k in start..<end {
            let d = Timestamp.floorDiv(times[k], Timestamp.microsecondsPerDay)
            if d != lastDay { result.activeDays += 1; lastDay = d }
            let age = row.cutoff - times[k]
            if age <= 7 * Timestamp.microsecondsPerDay { result.eventsLast7Days += 1 }
            if age <= 30 * Timestamp.microsecondsPerDay { result.eventsLast30Days += 1 }
            if age <= 90 * Timestamp.microsecondsPerDay { result.eventsLast90Days += 1 }
        }
        for j in 0..<valueColumns.count {
            var total = 0.0
            for k in start..<end { total += Double(values[j][k]) }
            result.valueTotals[j] = total
        }
        return result
    }
}
