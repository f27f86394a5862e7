/// Collects the events of any reader (CSV, Parquet, a database cursor) into an `EventStore`.
///
/// The builder owns what every reader would otherwise repeat: interning customer ids and event
/// names (codes in order of first appearance), the optional customer filter, the event columns,
/// and the customers seen only in bad rows. A reader parses and validates its input, then hands
/// each good row to `append(customer:time:event:values:)` and each bad row's customer id to
/// `noteBadRow(customer:)`; `finish()` groups the events into the store.
///
/// ```swift
/// var builder = EventStoreBuilder(valueColumns: ["amount"])
/// for row in cursor {
///     builder.append(customer: row.customerID, time: row.time, event: row.event, values: [row.amount])
/// }
/// let store = builder.finish()
/// ```
///
/// Ids are stored exactly as given (no trimming or normalization): two ids are one customer
/// exactly when their bytes are equal. Ids and names must be UTF-8 text without NUL, since the
/// store holds them as `String`s; readers reject other rows as bad.
///
/// With a customer filter (one shard of `churn-predict --shard`), the rows of customers it
/// rejects are counted (`rowsOutsideFilter`) but not stored, so memory follows the kept customers,
/// and the store's `latestTime` is still that of every appended row. The filter is called once
/// per distinct id.
public struct EventStoreBuilder {
    /// The names of the value columns, in the order of each row's values.
    public let valueColumns: [String]
    /// Keeps only the rows of customers whose id bytes pass (`nil`: keep every row).
    public let customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?
    /// Appended rows of customers the filter rejected.
    public private(set) var rowsOutsideFilter = 0

    /// Customer ids and event names by code. Readers in this module look ids up in them while
    /// parsing (the bulk path), so they are not private.
    private(set) var customerInterner = ByteInterner(initialCapacity: 1 << 14)
    private(set) var eventInterner = ByteInterner(initialCapacity: 256)
    /// With a customer filter: the ids it rejected (asked once each), and the latest time of
    /// every appended row, kept or not.
    private var excludedCustomers = ByteInterner(initialCapacity: 1 << 10)
    private var latestAppendedTime = Int64.min
    /// The code of a customer the filter rejected.
    private static let excluded = Int32.min
    private var customers: [Int32] = []
    private var times: [Int64] = []
    private var events: [Int32] = []
    private var values: [[Float]]
    /// Customer ids seen in bad rows (capped), to name the customers that end up with no event.
    private var badRowCustomers: Set<String> = []
    /// The most bad-row customer ids kept.
    private static let maxBadRowCustomers = 1_000_000

    /// Creates an empty builder.
    /// - Parameters:
    ///   - valueColumns: the names of the numeric columns every row carries, in order.
    ///   - customerFilter: keep only the rows of customers whose id bytes pass.
    public init(valueColumns: [String] = [], customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.valueColumns = valueColumns
        self.customerFilter = customerFilter
        values = Array(repeating: [], count: valueColumns.count)
    }

    /// The number of events appended and kept.
    public var eventCount: Int { times.count }

    // MARK: - One row at a time

    /// Appends one event.
    /// - Parameters:
    ///   - customer: the customer id's bytes (UTF-8 without NUL), kept verbatim.
    ///   - time: µs since the epoch (UTC).
    ///   - event: the event name's bytes (UTF-8 without NUL).
    ///   - values: one value per value column.
    /// - Returns: whether the event was kept (`false`: the customer filter rejected the customer).
    /// - Precondition: `values.count == valueColumns.count`.
    /// - Complexity: O(length of the id and name) expected.
    @discardableResult
    public mutating func append(customer: UnsafeBufferPointer<UInt8>, time: Int64, event: UnsafeBufferPointer<UInt8>,
                                values rowValues: UnsafeBufferPointer<Float>) -> Bool {
        precondition(rowValues.count == values.count, "\(rowValues.count) values for \(values.count) value columns")
        assert(ParsedChunk.isText(customer) && ParsedChunk.isText(event), "ids and names must be UTF-8 text without NUL")
        let code: Int32
        if customerFilter != nil {
            latestAppendedTime = max(latestAppendedTime, time)
            let h = ByteInterner.hash(customer)
            if let known = customerInterner.lookup(customer, hash: h) {
                code = known
            } else {
                code = internNewCustomer(customer, hash: h)
            }
            if code == Self.excluded {
                rowsOutsideFilter += 1
                return false
            }
        } else {
            code = customerInterner.intern(customer)
        }
        customers.append(code)
        times.append(time)
        events.append(eventInterner.intern(event))
        for j in values.indices { values[j].append(rowValues[j]) }
        return true
    }

    /// `append(customer:time:event:values:)` with `String`s.
    @discardableResult
    public mutating func append(customer: String, time: Int64, event: String, values rowValues: [Float] = []) -> Bool {
        var customer = customer, event = event
        return customer.withUTF8 { c in
            event.withUTF8 { e in rowValues.withUnsafeBufferPointer { append(customer: c, time: time, event: e, values: $0) } }
        }
    }

    /// Notes the customer id of a row the reader skipped as bad, so that a customer all of
    /// whose rows are bad can be named (`droppedCustomers(in:)`). Ids that are empty or not UTF-8
    /// text should not be noted.
    public mutating func noteBadRow(customer: String) {
        if badRowCustomers.count < Self.maxBadRowCustomers { badRowCustomers.insert(customer) }
    }

    // MARK: - Chunks of rows (the parallel CSV reader)

    /// Global codes for the ids a chunk saw first (`EventChunk`'s negative codes).
    struct ChunkCodes {
        var customers: [Int32]
        var events: [Int32]
    }

    /// The code of a customer id not in `customerInterner`: `excluded` when the filter rejects
    /// it (asked once per id), else a new code.
    @inline(__always)
    private mutating func internNewCustomer(_ bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32 {
        if let keep = customerFilter {
            if excludedCustomers.lookup(bytes, hash: h) != nil { return Self.excluded }
            if !keep(bytes) { _ = excludedCustomers.intern(bytes, hash: h); return Self.excluded }
        }
        return customerInterner.intern(bytes, hash: h)
    }

    /// Interns the ids a chunk saw first, returning their global codes. Call it for the chunks
    /// of a batch in input order, so that codes do not depend on how the input was cut.
    mutating func internNewIDs(of chunk: EventChunk) -> ChunkCodes {
        var customerMap = [Int32](repeating: 0, count: chunk.newCustomers.count)
        for i in 0..<customerMap.count {
            let h = chunk.newCustomers.hash(at: i)
            // Rejected ids are never in the global interner, so they are always new to a chunk.
            customerMap[i] = chunk.newCustomers.withBytes(at: i) { internNewCustomer($0, hash: h) }
        }
        var eventMap = [Int32](repeating: 0, count: chunk.newEvents.count)
        for i in 0..<eventMap.count {
            let h = chunk.newEvents.hash(at: i)
            eventMap[i] = chunk.newEvents.withBytes(at: i) { eventInterner.intern($0, hash: h) }
        }
        return ChunkCodes(customers: customerMap, events: eventMap)
    }

    /// Appends a chunk's events, mapping its new (negative, chunk-local) customer and event
    /// codes to global ones with `codes` (from `internNewIDs(of:)`). Does not touch the interners,
    /// so it may run while a parse of the next batch reads them.
    mutating func append(_ chunk: EventChunk, _ codes: ChunkCodes) {
        if customerFilter != nil {
            appendKept(chunk, codes)
            return
        }
        codes.customers.withUnsafeBufferPointer { map in
            for c in chunk.customers { customers.append(c >= 0 ? c : map[Int(-1 - c)]) }
        }
        codes.events.withUnsafeBufferPointer { map in
            for e in chunk.events { events.append(e >= 0 ? e : map[Int(-1 - e)]) }
        }
        times.append(contentsOf: chunk.times)
        for j in values.indices { values[j].append(contentsOf: chunk.values[j]) }
    }

    /// `append(_:_:)` with a customer filter: only the rows of kept customers.
    private mutating func appendKept(_ chunk: EventChunk, _ codes: ChunkCodes) {
        if let latest = chunk.times.max() { latestAppendedTime = max(latestAppendedTime, latest) }
        var outside = 0
        codes.customers.withUnsafeBufferPointer { customerMap in
            codes.events.withUnsafeBufferPointer { eventMap in
                for k in chunk.customers.indices {
                    let c = chunk.customers[k]
                    let customer = c >= 0 ? c : customerMap[Int(-1 - c)]
                    if customer == Self.excluded { outside += 1; continue }
                    let e = chunk.events[k]
                    customers.append(customer)
                    events.append(e >= 0 ? e : eventMap[Int(-1 - e)])
                    times.append(chunk.times[k])
                    for j in values.indices { values[j].append(chunk.values[j][k]) }
                }
            }
        }
        rowsOutsideFilter += outside
    }

    /// Notes the customer ids of a chunk's bad rows (see `noteBadRow(customer:)`).
    mutating func noteBadRows(customers ids: Set<String>) {
        if badRowCustomers.count < Self.maxBadRowCustomers { badRowCustomers.formUnion(ids) }
    }

    // MARK: - Finishing

    /// Groups the appended events into a store.
    /// - Complexity: O(n log g) (see `EventStore.init`).
    public func finish() -> EventStore {
        EventStore(customerIDs: customerInterner.strings, eventNames: eventInterner.strings, valueColumns: valueColumns,
                   customers: customers, times: times, events: events, values: values,
                   latestTime: latestAppendedTime > Int64.min ? latestAppendedTime : nil)
    }

    /// The customers noted in bad rows that have no event in `store` (all their rows were
    /// bad), sorted by id; with a customer filter, only those it keeps.
    /// - Parameter store: the result of `finish()`.
    public func droppedCustomers(in store: EventStore) -> [String] {
        let keep = customerFilter
        return badRowCustomers.filter { id in
            var id = id
            return store.customerIndex(of: id) == nil && (keep.map { keep in id.withUTF8 { keep($0) } } ?? true)
        }.sorted()
    }
}

/// The events of one chunk of input, parsed off the builder's thread. Customer and event codes
/// are the builder's (≥ 0) for ids it knew when the chunk's batch started, and `-1 − i` for the
/// `i`-th id new to the chunk (`newCustomers`, `newEvents`).
struct EventChunk {
    var customers: [Int32] = []
    var times: [Int64] = []
    var events: [Int32] = []
    var values: [[Float]]
    var newCustomers = ByteInterner(initialCapacity: 4096)
    var newEvents = ByteInterner(initialCapacity: 64)

    init(valueColumnCount: Int) {
        values = Array(repeating: [], count: valueColumnCount)
    }
}
