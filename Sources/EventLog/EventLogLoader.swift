/// Which CSV columns hold the customer, time, event and values (SPEC §2).
public struct ColumnMapping: Codable, Equatable, Sendable {
    public var customer: String
    public var time: String
    public var event: String
    /// Optional numeric columns (e.g. `amount`); an empty field means 0.
    public var values: [String]

    public init(customer: String = "customer_id", time: String = "timestamp", event: String = "event",
                values: [String] = []) {
        self.customer = customer
        self.time = time
        self.event = event
        self.values = values
    }
}

/// Options of `EventLogLoader`.
public struct LoadOptions: Sendable {
    public var columns: ColumnMapping
    /// Throw at the first bad row instead of skipping it.
    public var strict: Bool
    /// How many bad rows of each reason the report keeps.
    public var samplesPerReason: Int

    public init(columns: ColumnMapping = ColumnMapping(), strict: Bool = false, samplesPerReason: Int = 5) {
        self.columns = columns
        self.strict = strict
        self.samplesPerReason = samplesPerReason
    }
}

/// Reads CSV event logs into an `EventStore`, skipping and counting bad rows.
///
/// ```swift
/// var loader = EventLogLoader(options: LoadOptions(columns: ColumnMapping(customer: "user_id")))
/// try loader.add(path: "events.csv.gz")
/// let (store, report) = loader.finish()
/// ```
/// Customer ids and event names have surrounding ASCII spaces removed; an id that is empty after
/// that makes the row bad. Event names may be empty.
public struct EventLogLoader {
    public let options: LoadOptions
    public private(set) var report = LoadReport()

    private var customerInterner = ByteInterner(initialCapacity: 1 << 14)
    private var eventInterner = ByteInterner(initialCapacity: 256)
    private var customers: [Int32] = []
    private var times: [Int64] = []
    private var events: [Int32] = []
    private var values: [[Float]]

    /// Creates a loader.
    /// - Parameter options: column names, strictness, sample count.
    public init(options: LoadOptions = LoadOptions()) {
        self.options = options
        values = Array(repeating: [], count: options.columns.values.count)
    }

    /// Loads several files (`-` = standard input; `.gz` or gzip magic = decompressed).
    /// - Parameters:
    ///   - paths: the files, in order.
    ///   - options: column names, strictness.
    /// - Returns: the store and the report.
    /// - Throws: `EventLogError` (missing file, missing column, empty file, no good rows, strict bad row…).
    public static func load(paths: [String], options: LoadOptions = LoadOptions()) throws -> (store: EventStore, report: LoadReport) {
        var loader = EventLogLoader(options: options)
        for path in paths { try loader.add(path: path) }
        return loader.finish()
    }

    /// Adds a file (`-` = standard input).
    /// - Throws: `EventLogError`.
    public mutating func add(path: String) throws {
        let (source, name) = try InputOpener.open(path)
        try add(source: source, name: name, decompress: false)
    }

    /// Adds the CSV bytes of a source.
    /// - Parameters:
    ///   - source: the bytes.
    ///   - name: the display name used in errors and the report.
    ///   - decompress: sniff the gzip magic and decompress (already done by `add(path:)`).
    /// - Throws: `EventLogError`.
    /// - Complexity: O(bytes).
    public mutating func add(source: ByteSource, name: String, decompress: Bool = true) throws {
        let input = decompress ? try InputOpener.wrapDecompressing(source, name: name) : source
        let reader = CSVReader(source: input, name: name)
        report.files.append(name)
        defer { report.bytesRead += reader.bytesRead }

        // Header: the first non-blank record.
        var header: [String] = []
        while try reader.nextRecord() {
            if reader.isBlankLine { continue }
            header = (0..<reader.fieldCount).map { reader.fieldString($0).trimmingASCIISpaces() }
            break
        }
        if header.isEmpty { throw EventLogError.emptyFile(path: name) }
        func column(_ wanted: String) throws -> Int {
            guard let index = header.firstIndex(of: wanted) else {
                throw EventLogError.missingColumn(path: name, column: wanted, header: header)
            }
            return index
        }
        let columns = options.columns
        let customerColumn = try column(columns.customer)
        let timeColumn = try column(columns.time)
        let eventColumn = try column(columns.event)
        let valueColumnIndices = try columns.values.map { try column($0) }
        let fieldCount = header.count

        var rowsRead = 0, rowsLoaded = 0
        var firstBad: BadRow?
        var rowValues = [Float](repeating: 0, count: valueColumnIndices.count)

        func bad(_ reason: BadRowReason, _ detail: String) throws {
            let row = BadRow(file: name, line: reader.recordLine, reason: reason, detail: detail,
                             text: reader.recordText())
            if options.strict { throw EventLogError.badRow(row) }
            report.badRowCounts[reason, default: 0] += 1
            if firstBad == nil { firstBad = row }
            if report.samples.lazy.filter({ $0.reason == reason }).count < options.samplesPerReason {
                report.samples.append(row)
            }
        }

        rows: while try reader.nextRecord() {
            if reader.isBlankLine { report.blankLines += 1; continue }
            rowsRead += 1
            guard reader.fieldCount == fieldCount else {
                try bad(.wrongFieldCount, "\(reader.fieldCount) fields, header has \(fieldCount)")
                continue
            }
            let customerBytes = trimmed(reader.field(customerColumn))
            if customerBytes.count == 0 {
                try bad(.emptyCustomer, "column '\(columns.customer)'")
                continue
            }
            guard let time = Timestamp.parse(reader.field(timeColumn)) else {
                try bad(.badTimestamp, "column '\(columns.time)'")
                continue
            }
            for (j, index) in valueColumnIndices.enumerated() {
                let bytes = trimmed(reader.field(index))
                if bytes.count == 0 { rowValues[j] = 0; continue }
                guard let v = NumberParser.parse(bytes) else {
                    try bad(.badNumber, "column '\(columns.values[j])'")
                    continue rows
                }
                rowValues[j] = Float(v)
            }
            // Re-read the customer field: fields stay valid until the next record.
            let customer = customerInterner.intern(trimmed(reader.field(customerColumn)))
            let event = eventInterner.intern(trimmed(reader.field(eventColumn)))
            customers.append(customer)
            times.append(time)
            events.append(event)
            for j in 0..<rowValues.count { values[j].append(rowValues[j]) }
            rowsLoaded += 1
        }
        report.rowsRead += rowsRead
        report.rowsLoaded += rowsLoaded
        if rowsRead == 0 { throw EventLogError.noDataRows(path: name) }
        if rowsLoaded == 0 { throw EventLogError.noGoodRows(path: name, rowsRead: rowsRead, firstBadRow: firstBad) }
    }

    @inline(__always)
    private func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let base = bytes.baseAddress else { return bytes }
        var lo = 0, hi = bytes.count
        while lo < hi, base[lo] == 0x20 || base[lo] == 0x09 { lo += 1 }
        while hi > lo, base[hi - 1] == 0x20 || base[hi - 1] == 0x09 { hi -= 1 }
        return UnsafeBufferPointer(start: base + lo, count: hi - lo)
    }

    /// Groups the loaded events into a store.
    /// - Returns: the store and the final report.
    /// - Complexity: O(n log g) (see `EventStore.init`).
    public func finish() -> (store: EventStore, report: LoadReport) {
        let store = EventStore(customerIDs: customerInterner.strings, eventNames: eventInterner.strings,
                               valueColumns: options.columns.values, customers: customers, times: times,
                               events: events, values: values)
        var report = self.report
        report.samples.sort { ($0.reason, report.files.firstIndex(of: $0.file) ?? 0, $0.line) < ($1.reason, report.files.firstIndex(of: $1.file) ?? 0, $1.line) }
        return (store, report)
    }
}
