import EventLog
import Snapshots

/// The histories features are fitted on: each training customer's events before its latest
/// training cutoff (several snapshots of one customer count its events once).
struct TrainingHistories {
    /// Per customer, the end of its latest history among the rows (-1: not a training customer).
    let ends: [Int]

    init(store: EventStore, rows: [SnapshotRow]) {
        var ends = [Int](repeating: -1, count: store.customerCount)
        for row in rows { ends[Int(row.customer)] = max(ends[Int(row.customer)], row.historyEnd) }
        self.ends = ends
    }

    /// Events per event code in the histories.
    /// - Complexity: O(total history length).
    func eventCounts(in store: EventStore) -> [Int] {
        var counts = [Int](repeating: 0, count: store.eventNames.count)
        store.events.withUnsafeBufferPointer { events in
            for c in 0..<store.customerCount where ends[c] >= 0 {
                for k in store.offsets[c]..<ends[c] { counts[Int(events[k])] += 1 }
            }
        }
        return counts
    }
}
