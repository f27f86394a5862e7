import ChurnSupport
import Dispatch

/// All events of one or more logs, columnar and grouped per customer in time order.
///
/// Event `k` has customer `customerOfEvent`-implicit (events of customer `c` occupy
/// `offsets[c] ..< offsets[c + 1]`), time `times[k]` (µs since the epoch, UTC), event code
/// `events[k]` (an index into `eventNames`) and `values[j][k]` for value column `j`. Within a
/// customer, events are sorted by time; ties keep input order (file order, then row order).
/// Storage is 8 (time) + 4 (event) bytes per event plus 4 per value column, and 8 per customer.
/// Customers are indexed in order of first appearance in the input. Limits: fewer than 2³¹
/// events and customers (indices are `Int32`).
public final class EventStore: @unchecked Sendable {
    /// Customer ids by customer index.
    public let customerIDs: [String]
    /// Event names by event code.
    public let eventNames: [String]
    /// Names of the value columns, in `values` order.
    public let valueColumns: [String]
    /// Per-customer event ranges: customer `c` owns `offsets[c] ..< offsets[c + 1]`.
    public let offsets: [Int]
    /// Event times, µs since the epoch (UTC).
    public let times: [Int64]
    /// Event codes (indices into `eventNames`).
    public let events: [Int32]
    /// Values per value column, aligned with `times`.
    public let values: [[Float]]
    /// The customer attributes: text columns of the log (codes aligned with `times`) and columns
    /// of a customer table (codes by customer index); see `AttributeColumn`.
    public let attributes: [AttributeColumn]
    /// The earliest event time (0 when empty).
    public let earliestTime: Int64
    /// The latest event time (0 when empty), or the `latestTime` given to `init` when later: the
    /// builder passes that of all appended rows when a customer filter kept only some, so that what
    /// derives from it (the default as-of and cutoff) is the same for every shard.
    public let latestTime: Int64

    private let customerLookup: [String: Int32]

    /// Builds a store from events in any order (used by `EventStoreBuilder` and by tests).
    ///
    /// - Parameters:
    ///   - customerIDs: ids by customer index.
    ///   - eventNames: names by event code.
    ///   - valueColumns: value column names.
    ///   - customers: the customer index of each event.
    ///   - times: event times in µs.
    ///   - events: event codes.
    ///   - values: per value column, one value per event.
    ///   - attributes: event-log attribute columns, one code per event in the given order.
    ///   - latestTime: the latest time of the whole log when these events are part of it.
    /// - Complexity: O(n + customers) for the counting sort, plus O(g log g) per customer whose
    ///   events are not already in time order.
    public init(customerIDs: [String], eventNames: [String], valueColumns: [String],
                customers: [Int32], times unsortedTimes: [Int64], events unsortedEvents: [Int32],
                values unsortedValues: [[Float]], attributes unsortedAttributes: [AttributeColumn] = [], latestTime: Int64? = nil) {
        precondition(customers.count == unsortedTimes.count && customers.count == unsortedEvents.count)
        precondition(unsortedValues.count == valueColumns.count && unsortedValues.allSatisfy { $0.count == customers.count })
        precondition(unsortedAttributes.allSatisfy { $0.source == .eventLog && $0.codes.count == customers.count })
        let n = customers.count
        let customerCount = customerIDs.count
        self.customerIDs = customerIDs
        self.eventNames = eventNames
        self.valueColumns = valueColumns

        // Counting sort by customer (stable).
        var offsets = [Int](repeating: 0, count: customerCount + 1)
        for c in customers { offsets[Int(c) + 1] += 1 }
        for c in 0..<customerCount { offsets[c + 1] += offsets[c] }
        var permutation = [Int32](repeating: 0, count: n)
        var cursor = offsets
        customers.withUnsafeBufferPointer { cs in
            permutation.withUnsafeMutableBufferPointer { perm in
                for k in 0..<n {
                    let c = Int(cs[k])
                    perm[cursor[c]] = Int32(k)
                    cursor[c] += 1
                }
            }
        }
        // Gather times in customer order, then sort each customer's events by time (stable:
        // ties keep input order) on contiguous memory, in parallel over customer ranges.
        var times = Self.gather(unsortedTimes, permutation)
        let threads = max(1, min(Threading.threadCount, customerCount / 1024))
        times.withUnsafeMutableBufferPointer { ts in
            permutation.withUnsafeMutableBufferPointer { perm in
                let ts = ts, perm = perm
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    let from = customerCount * t / threads, to = customerCount * (t + 1) / threads
                    var keys: [(time: Int64, index: Int32)] = []
                    var original: [Int32] = []
                    for c in from..<to {
                        let lo = offsets[c], hi = offsets[c + 1]
                        var sorted = true
                        var k = lo + 1
                        while k < hi {
                            if ts[k] < ts[k - 1] { sorted = false; break }
                            k += 1
                        }
                        if sorted { continue }
                        keys.removeAll(keepingCapacity: true)
                        original.removeAll(keepingCapacity: true)
                        for k in lo..<hi {
                            keys.append((ts[k], Int32(k - lo)))
                            original.append(perm[k])
                        }
                        keys.sort { $0.time < $1.time || ($0.time == $1.time && $0.index < $1.index) }
                        for j in 0..<(hi - lo) {
                            ts[lo + j] = keys[j].time
                            perm[lo + j] = original[Int(keys[j].index)]
                        }
                    }
                }
            }
        }
        self.offsets = offsets
        self.times = times
        self.events = Self.gather(unsortedEvents, permutation)
        self.values = unsortedValues.map { Self.gather($0, permutation) }
        self.attributes = unsortedAttributes.map { $0.gathered(permutation) }
        self.earliestTime = times.min() ?? 0
        self.latestTime = max(times.max() ?? 0, latestTime ?? Int64.min)
        var lookup = [String: Int32](minimumCapacity: customerCount)
        for (i, id) in customerIDs.enumerated() { lookup[id] = Int32(i) }
        self.customerLookup = lookup
    }

    /// `store` with `attributes` in place of its own (sharing every other column).
    private init(_ store: EventStore, attributes: [AttributeColumn]) {
        customerIDs = store.customerIDs
        eventNames = store.eventNames
        valueColumns = store.valueColumns
        offsets = store.offsets
        times = store.times
        events = store.events
        values = store.values
        earliestTime = store.earliestTime
        latestTime = store.latestTime
        customerLookup = store.customerLookup
        self.attributes = attributes
    }

    /// This store with the columns of a customer table as further attributes (the events and
    /// the other columns are shared, not copied). A customer of the store without a row in the
    /// table has every table attribute missing; rows of customers without events are ignored.
    /// - Returns: the store, and how many of its customers the table does not list.
    /// - Throws: `EventLogError.invalidOption` when a table column has the name of an attribute
    ///   the store already has.
    /// - Complexity: O(customers · columns).
    public func adding(_ table: CustomerTable) throws -> (store: EventStore, unlisted: Int) {
        if let clash = table.columns.first(where: { column in attributes.contains { $0.name == column.name } }) {
            throw EventLogError.invalidOption("attribute '\(clash.name)' is both a column of the event log and of the customer table")
        }
        var columns = attributes
        var unlisted = 0
        let rows = customerIDs.map { id -> [CustomerTable.Value]? in
            let row = table.rows[id]
            if row == nil { unlisted += 1 }
            return row
        }
        for (j, column) in table.columns.enumerated() {
            var codeOf: [String: Int32] = [:]
            var values: [String] = []
            let codes = rows.map { row -> Int32 in
                let text: String
                switch row?[j] ?? .missing {
                case .missing: return -1
                case .number(let x): text = "\(x)"
                case .category(let s): text = s
                }
                if let code = codeOf[text] { return code }
                let code = Int32(values.count)
                codeOf[text] = code
                values.append(text)
                return code
            }
            columns.append(AttributeColumn(name: column.name, source: .customerTable, kind: column.kind, values: values, codes: codes))
        }
        return (EventStore(self, attributes: columns), unlisted)
    }

    /// `source[permutation[k]]` for every k, in parallel.
    private static func gather<T: BitwiseCopyable>(_ source: [T], _ permutation: [Int32]) -> [T] {
        let n = permutation.count
        return [T](unsafeUninitializedCapacity: n) { out, initialized in
            let out = out
            source.withUnsafeBufferPointer { src in
                permutation.withUnsafeBufferPointer { perm in
                    Threading.parallelFor(n, minimumPerThread: 1 << 16) { range in
                        for k in range { (out.baseAddress! + k).initialize(to: src[Int(perm[k])]) }
                    }
                }
            }
            initialized = n
        }
    }

    /// The number of events.
    public var eventCount: Int { times.count }
    /// The number of customers.
    public var customerCount: Int { customerIDs.count }

    /// The event index range of customer `customer`, in time order.
    @inline(__always)
    public func eventRange(of customer: Int) -> Range<Int> { offsets[customer] ..< offsets[customer + 1] }

    /// The customer index of an id.
    /// - Complexity: O(1) expected.
    public func customerIndex(of id: String) -> Int? { customerLookup[id].map(Int.init) }

    /// The event code of an event name, if any event has that name.
    public func eventCode(of name: String) -> Int32? { eventNames.firstIndex(of: name).map(Int32.init) }

    /// The end of customer `customer`'s history before `cutoff`: the first event index whose
    /// time is `>= cutoff` (so history is `offsets[customer] ..< result`).
    /// - Complexity: O(log g) for g events of the customer.
    @inline(__always)
    public func historyEnd(of customer: Int, before cutoff: Int64) -> Int {
        var lo = offsets[customer], hi = offsets[customer + 1]
        if hi == lo || times[hi - 1] < cutoff { return hi }
        while lo < hi {
            let mid = (lo + hi) >> 1
            if times[mid] < cutoff { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
