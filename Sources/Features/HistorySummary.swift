import Snapshots
import EventLog

/// The counts and times of a customer's history before a cutoff that all models read: events
/// in all and in the last 7, 30 and 90 days, recency and tenure.
///
/// The LSTM's cutoff step (`Featurizer`), `CustomerAggregates` (RFM) and the baselines'
/// aggregate features (`BaselineFeatures`) all take them from here, so they agree exactly.
/// Only events before the cutoff are read.
public struct HistorySummary: Equatable, Sendable {
    /// The recent windows, in days: window `D` is `[cutoff − D days, cutoff)`.
    public static let windowsInDays: [Int64] = [7, 30, 90]

    /// The first history event (an index into the store's columns).
    public var start: Int
    /// One past the last history event (the row's `historyEnd`).
    public var end: Int
    /// Microseconds from the last history event to the cutoff; 0 without history.
    public var sinceLast: Int64
    /// Microseconds from the first history event to the cutoff; 0 without history.
    public var sinceFirst: Int64
    /// Events in `[cutoff − 7d, cutoff)`.
    public var eventsLast7Days: Int
    /// Events in `[cutoff − 30d, cutoff)`.
    public var eventsLast30Days: Int
    /// Events in `[cutoff − 90d, cutoff)`.
    public var eventsLast90Days: Int

    /// Summarizes the history of a snapshot row.
    /// - Parameters:
    ///   - store: the events.
    ///   - row: the customer, its history end and the cutoff.
    /// - Complexity: O(log g) for g history events.
    @inlinable
    public init(store: EventStore, row: SnapshotRow) {
        let start = store.offsets[Int(row.customer)], end = row.historyEnd
        let cutoff = row.cutoff
        self.start = start
        self.end = end
        let summary = store.times.withUnsafeBufferPointer { times in
            // Events at or after `from`: the history is in time order, so a binary search.
            func since(_ from: Int64) -> Int {
                var lo = start, hi = end
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if times[mid] < from { lo = mid + 1 } else { hi = mid }
                }
                return end - lo
            }
            return (sinceLast: end > start ? cutoff - times[end - 1] : 0, sinceFirst: end > start ? cutoff - times[start] : 0,
                    last7: since(HistorySummary.windowStart(days: 7, cutoff: cutoff)),
                    last30: since(HistorySummary.windowStart(days: 30, cutoff: cutoff)),
                    last90: since(HistorySummary.windowStart(days: 90, cutoff: cutoff)))
        }
        sinceLast = summary.sinceLast
        sinceFirst = summary.sinceFirst
        eventsLast7Days = summary.last7
        eventsLast30Days = summary.last30
        eventsLast90Days = summary.last90
    }

    /// The number of history events.
    @inlinable
    public var eventCount: Int { end - start }

    /// Days from the last history event to the cutoff (recency); 0 without history.
    @inlinable
    public var recencyDays: Double { Double(sinceLast) / Double(Timestamp.microsecondsPerDay) }

    /// Hours from the last history event to the cutoff; 0 without history.
    @inlinable
    public var recencyHours: Double { Double(sinceLast) / Double(Timestamp.microsecondsPerHour) }

    /// Days from the first history event to the cutoff (tenure); 0 without history.
    @inlinable
    public var tenureDays: Double { Double(sinceFirst) / Double(Timestamp.microsecondsPerDay) }

    /// The first instant of the window of `days` days before `cutoff`.
    @inlinable
    public static func windowStart(days: Int64, cutoff: Int64) -> Int64 { cutoff - days * Timestamp.microsecondsPerDay }
}
