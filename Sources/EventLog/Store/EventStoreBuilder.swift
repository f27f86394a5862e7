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
/// let store = try builder.finish()
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
    /// The names of the attribute columns (text kept per event), in the order of each row's attributes.
    public let attributeColumns: [String]
    /// Attribute kinds given rather than inferred from the values (`--categorical`, `--numeric`, a model's).
    public let declaredKinds: [String: AttributeKind]
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
    /// Per attribute column: the distinct values, each value's first occurrence (file, line), the
    /// code of every kept row (−1: empty).
    private var attributeInterners: [ByteInterner]
    private var attributeFirstSeen: [[(file: Int32, line: Int)]]
    private var attributeCodes: [[Int32]]
    /// File names of `attributeFirstSeen`.
    private var files: [String] = []
    /// Rows appended one at a time (their "line" in errors).
    private var rowsAppended = 0
    /// Customer ids seen in bad rows (capped), to name the customers that end up with no event.
    private var badRowCustomers: Set<String> = []
    /// The most bad-row customer ids kept.
    private static let maxBadRowCustomers = 1_000_000

    /// Creates an empty builder.
    /// - Parameters:
    ///   - valueColumns: the names of the numeric columns every row carries, in order.
    ///   - attributeColumns: the names of the text columns every row carries, in order.
    ///   - declaredKinds: attribute kinds that are given rather than inferred.
    ///   - customerFilter: keep only the rows of customers whose id bytes pass.
    public init(valueColumns: [String] = [], attributeColumns: [String] = [], declaredKinds: [String: AttributeKind] = [:],
                customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.valueColumns = valueColumns
        self.attributeColumns = attributeColumns
        self.declaredKinds = declaredKinds
        self.customerFilter = customerFilter
        values = Array(repeating: [], count: valueColumns.count)
        attributeInterners = attributeColumns.map { _ in ByteInterner(initialCapacity: 64) }
        attributeFirstSeen = Array(repeating: [], count: attributeColumns.count)
        attributeCodes = Array(repeating: [], count: attributeColumns.count)
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
    ///   - attributes: one text per attribute column (UTF-8 without NUL; empty = missing); errors
    ///     about them name the row by its ordinal among the rows appended this way.
    /// - Returns: whether the event was kept (`false`: the customer filter rejected the customer).
    /// - Precondition: `values.count == valueColumns.count`, `attributes.count == attributeColumns.count`.
    /// - Complexity: O(length of the id, name and attributes) expected.
    @discardableResult
    public mutating func append(customer: UnsafeBufferPointer<UInt8>, time: Int64, event: UnsafeBufferPointer<UInt8>,
                                values rowValues: UnsafeBufferPointer<Float>,
                                attributes rowAttributes: [UnsafeBufferPointer<UInt8>] = []) -> Bool {
        precondition(rowValues.count == values.count, "\(rowValues.count) values for \(values.count) value columns")
        precondition(rowAttributes.count == attributeColumns.count, "\(rowAttributes.count) attributes for \(attributeColumns.count) attribute columns")
        rowsAppended += 1
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
        for (j, text) in rowAttributes.enumerated() {
            if text.isEmpty { attributeCodes[j].append(-1); continue }
            let before = attributeInterners[j].count
            let code = attributeInterners[j].intern(text)
            if attributeInterners[j].count > before { attributeFirstSeen[j].append((fileIndex("appended rows"), rowsAppended)) }
            attributeCodes[j].append(code)
        }
        return true
    }

    /// The position of a file name in `files`.
    private mutating func fileIndex(_ name: String) -> Int32 {
        if let last = files.last, last == name { return Int32(files.count - 1) }
        if let i = files.firstIndex(of: name) { return Int32(i) }
        files.append(name)
        return Int32(files.count - 1)
    }

    /// `append(customer:time:event:values:)` with `String`s.
    @discardableResult
    public mutating func append(customer: String, time: Int64, event: String, values rowValues: [Float] = [],
                                attributes rowAttributes: [String] = []) -> Bool {
        var customer = customer, event = event
        // The attributes' bytes end to end, cut back into one buffer each.
        var joined: [UInt8] = [], ends: [Int] = []
        for text in rowAttributes { joined += text.utf8; ends.append(joined.count) }
        return customer.withUTF8 { c in
            event.withUTF8 { e in
                rowValues.withUnsafeBufferPointer { v in
                    joined.withUnsafeBufferPointer { bytes in
                        let texts = ends.indices.map { i in UnsafeBufferPointer(rebasing: bytes[(i == 0 ? 0 : ends[i - 1])..<ends[i]]) }
                        return append(customer: c, time: time, event: e, values: v, attributes: texts)
                    }
                }
            }
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
        /// Per attribute column.
        var attributes: [[Int32]]
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
        var attributeMaps: [[Int32]] = []
        if !chunk.newAttributes.isEmpty {
            let file = fileIndex(chunk.file)
            for j in chunk.newAttributes.indices {
                let local = chunk.newAttributes[j]
                attributeMaps.append((0..<local.count).map { i in
                    let before = attributeInterners[j].count
                    let code = local.withBytes(at: i) { attributeInterners[j].intern($0, hash: local.hash(at: i)) }
                    if attributeInterners[j].count > before { attributeFirstSeen[j].append((file, chunk.attributeLines[j][i])) }
                    return code
                })
            }
        }
        return ChunkCodes(customers: customerMap, events: eventMap, attributes: attributeMaps)
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
        for j in attributeCodes.indices {
            codes.attributes[j].withUnsafeBufferPointer { map in
                for a in chunk.attributeCodes[j] { attributeCodes[j].append(a < 0 ? -1 : map[Int(a)]) }
            }
        }
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
                    for j in attributeCodes.indices {
                        let a = chunk.attributeCodes[j][k]
                        attributeCodes[j].append(a < 0 ? -1 : codes.attributes[j][Int(a)])
                    }
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

    /// Groups the appended events into a store, deciding each attribute column's kind.
    /// - Throws: `EventLogError.mixedAttribute` for an attribute column of numbers and text
    ///   without a declared kind (see `AttributeColumn.kind(of:values:declared:location:)`).
    /// - Complexity: O(n log g) (see `EventStore.init`).
    public func finish() throws -> EventStore {
        var attributes: [AttributeColumn] = []
        for (j, name) in attributeColumns.enumerated() {
            let strings = attributeInterners[j].strings
            let seen = attributeFirstSeen[j]
            let kind = try AttributeColumn.kind(of: name, values: strings, declared: declaredKinds[name]) { i in
                (files[Int(seen[i].file)], seen[i].line)
            }
            attributes.append(AttributeColumn(name: name, source: .eventLog, kind: kind, values: strings, codes: attributeCodes[j]))
        }
        return EventStore(customerIDs: customerInterner.strings, eventNames: eventInterner.strings, valueColumns: valueColumns,
                          customers: customers, times: times, events: events, values: values, attributes: attributes,
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
    /// Per attribute column: each row's chunk-local code (−1: empty), the chunk's distinct values
    /// (all local: attributes are few and their values repeat) and the line of each one's first row.
    var attributeCodes: [[Int32]]
    var newAttributes: [ByteInterner]
    var attributeLines: [[Int]]
    /// The file the chunk comes from.
    var file: String

    init(valueColumnCount: Int, attributeColumnCount: Int = 0, file: String = "") {
        values = Array(repeating: [], count: valueColumnCount)
        attributeCodes = Array(repeating: [], count: attributeColumnCount)
        newAttributes = (0..<attributeColumnCount).map { _ in ByteInterner(initialCapacity: 16) }
        attributeLines = Array(repeating: [], count: attributeColumnCount)
        self.file = file
    }
}
