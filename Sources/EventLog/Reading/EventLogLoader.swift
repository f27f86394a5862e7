import ChurnSupport
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which CSV columns hold the customer, time, event and values (SPEC §2).
public struct ColumnMapping: Codable, Equatable, Sendable {
    /// The customer id column (`--customer-column`, default `customer_id`).
    public var customer: String
    /// The timestamp column (`--time-column`, default `timestamp`).
    public var time: String
    /// The event name column (`--event-column`, default `event`).
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

/// Where loading is, for progress displays.
public struct LoadProgress: Sendable, Equatable {
    /// The file being read.
    public var file: String
    /// Decompressed bytes of this file read so far.
    public var bytesRead: Int
    /// Data rows of this file parsed so far.
    public var rowsRead: Int
    /// Whether the file is finished.
    public var finished: Bool
}

/// Options of `EventLogLoader`.
public struct LoadOptions: Sendable {
    /// Which columns to read.
    public var columns: ColumnMapping
    /// Throw at the first bad row instead of skipping it.
    public var strict: Bool
    /// How many bad rows of each reason the report keeps.
    public var samplesPerReason: Int
    /// Parsing threads (`nil`: `Threading.threadCount`, i.e. `--threads`).
    public var threads: Int?
    /// Bytes per parallel parsing chunk (chunks always hold whole records).
    public var chunkSize: Int
    /// Called on the loading thread after each batch of chunks (a few MB) and at the end of
    /// each file, for progress displays. The library itself never prints.
    public var progress: (@Sendable (LoadProgress) -> Void)?
    /// Keeps only the rows of customers whose (trimmed) id bytes pass, e.g. one shard of
    /// `churn-predict --shard`: the other rows are parsed and checked (bad rows are reported as
    /// without a filter) but not stored, so memory follows the kept customers. Called once per
    /// distinct id, on the loading thread. The store's `latestTime` stays that of all good rows.
    public var customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?

    public init(columns: ColumnMapping = ColumnMapping(), strict: Bool = false, samplesPerReason: Int = 5,
                threads: Int? = nil, chunkSize: Int = 4 << 20, progress: (@Sendable (LoadProgress) -> Void)? = nil,
                customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.columns = columns
        self.strict = strict
        self.samplesPerReason = samplesPerReason
        self.threads = threads
        self.chunkSize = chunkSize
        self.progress = progress
        self.customerFilter = customerFilter
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
    /// The options this loader was made with.
    public let options: LoadOptions
    public private(set) var report = LoadReport()
    /// Customer ids seen in bad rows (capped), to name customers that end up with no event.
    private var badRowCustomers: Set<String> = []

    private var customerInterner = ByteInterner(initialCapacity: 1 << 14)
    private var eventInterner = ByteInterner(initialCapacity: 256)
    /// With a customer filter: the ids it rejected (asked once each), and the latest time of
    /// all good rows, kept or not.
    private var excludedCustomers = ByteInterner(initialCapacity: 1 << 10)
    private var latestGoodTime = Int64.min
    /// The code of a customer the filter rejected.
    private static let excluded = Int32.min
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
    ///
    /// The input is cut into chunks of whole records (quote-aware) that are parsed in parallel
    /// on `options.threads` threads and merged in input order, so the result (customer order,
    /// bad-row samples, the first bad row under `strict`) does not depend on the thread count.
    /// - Parameters:
    ///   - source: the bytes.
    ///   - name: the display name used in errors and the report.
    ///   - decompress: sniff the gzip magic and decompress (already done by `add(path:)`).
    /// - Throws: `EventLogError`.
    /// - Complexity: O(bytes).
    public mutating func add(source: ByteSource, name: String, decompress: Bool = true) throws {
        let input = decompress ? try InputOpener.wrapDecompressing(source, name: name) : source
        let chunker = RecordChunker(source: input, name: name, chunkSize: options.chunkSize)
        report.files.append(name)
        defer { report.bytesRead += chunker.bytesRead }

        // Header: the first non-blank record.
        var found: CSVHeader?
        while found == nil, let record = try chunker.nextRecord() {
            let reader = CSVReader(source: ArrayByteSource(record.bytes), name: name, firstLine: record.firstLine,
                                   skipsByteOrderMark: false)
            found = try CSVHeader.read(from: reader)
        }
        guard let header = found else { throw EventLogError.emptyFile(path: name) }
        func column(_ wanted: String) throws -> Int { try header.position(of: wanted) }
        let columns = options.columns
        let layout = ChunkLayout(customer: try column(columns.customer), time: try column(columns.time),
                                 event: try column(columns.event), values: try columns.values.map { try column($0) },
                                 fieldCount: header.count, columns: columns, file: name, strict: options.strict,
                                 samplesPerReason: options.samplesPerReason)

        let threads = max(1, options.threads ?? Threading.threadCount)
        var rowsRead = 0, rowsLoaded = 0
        let outsideBefore = report.rowsOutsideFilter
        var firstBad: BadRow?
        func readBatch() throws -> [RecordChunker.Chunk] {
            var chunks: [RecordChunker.Chunk] = []
            while chunks.count < 2 * threads, let chunk = try chunker.nextChunk() { chunks.append(chunk) }
            return chunks
        }
        // Interns a batch's new ids (in input order, so the result does not depend on the thread
        // count) and counts its rows; throws the first bad row under `strict`.
        func intern(_ results: [ParsedChunk]) throws -> [ChunkCodes] {
            var codes: [ChunkCodes] = []
            for r in results {
                if firstBad == nil { firstBad = r.firstBad }
                if options.strict, let bad = r.firstBad { throw EventLogError.badRow(bad) }
                codes.append(internNewIDs(of: r))
                rowsRead += r.rowsRead
                rowsLoaded += r.rowsLoaded
            }
            return codes
        }
        func progress() {
            options.progress?(LoadProgress(file: name, bytesRead: chunker.bytesRead, rowsRead: rowsRead, finished: false))
        }
        if threads == 1 {
            var chunks = try readBatch()
            while !chunks.isEmpty {
                let results = Self.parse(chunks, layout: layout, threads: 1,
                                         knownCustomers: customerInterner, knownEvents: eventInterner)
                for (r, codes) in zip(results, try intern(results)) { append(r, codes) }
                progress()
                chunks = try readBatch()
            }
        } else {
            // A pipeline on the calling thread: while the workers parse batch i + 1, this thread
            // appends batch i to the columns and reads (and decompresses) batch i + 2. New ids are
            // interned between the two, while no job holds the interners, so they are never copied.
            var running = ParseJob.start(try readBatch(), layout: layout, threads: threads,
                                         knownCustomers: customerInterner, knownEvents: eventInterner)
            while let job = running {
                let next: [RecordChunker.Chunk]
                do {
                    next = try readBatch()
                } catch {
                    job.wait()
                    throw error
                }
                let results = job.waitForResults()
                let codes = try intern(results)
                running = ParseJob.start(next, layout: layout, threads: threads,
                                         knownCustomers: customerInterner, knownEvents: eventInterner)
                for (r, c) in zip(results, codes) { append(r, c) }
                progress()
            }
        }
        options.progress?(LoadProgress(file: name, bytesRead: chunker.bytesRead, rowsRead: rowsRead, finished: true))
        report.rowsRead += rowsRead
        report.rowsLoaded += rowsLoaded - (report.rowsOutsideFilter - outsideBefore)
        if rowsRead == 0 { throw EventLogError.noDataRows(path: name) }
        if rowsLoaded == 0 { throw EventLogError.noGoodRows(path: name, rowsRead: rowsRead, firstBadRow: firstBad) }
    }

    /// One batch of chunks parsed off the calling thread. Holds the interner snapshots only until
    /// the parse ends, so the loader's interners are uniquely referenced again when it interns
    /// the batch's new ids (no copy-on-write).
    private final class ParseJob: @unchecked Sendable {
        private let chunks: [RecordChunker.Chunk]
        private let layout: ChunkLayout
        private let threads: Int
        private var knownCustomers: ByteInterner?
        private var knownEvents: ByteInterner?
        private var results: [ParsedChunk] = []
        private let group = DispatchGroup()

        /// Starts parsing `chunks` in the background (`nil` when there are none).
        static func start(_ chunks: [RecordChunker.Chunk], layout: ChunkLayout, threads: Int,
                          knownCustomers: ByteInterner, knownEvents: ByteInterner) -> ParseJob? {
            guard !chunks.isEmpty else { return nil }
            let job = ParseJob(chunks: chunks, layout: layout, threads: threads,
                               knownCustomers: knownCustomers, knownEvents: knownEvents)
            DispatchQueue.global().async(group: job.group) { job.run() }
            return job
        }

        private init(chunks: [RecordChunker.Chunk], layout: ChunkLayout, threads: Int,
                     knownCustomers: ByteInterner, knownEvents: ByteInterner) {
            self.chunks = chunks
            self.layout = layout
            self.threads = threads
            self.knownCustomers = knownCustomers
            self.knownEvents = knownEvents
        }

        private func run() {
            results = EventLogLoader.parse(chunks, layout: layout, threads: threads,
                                           knownCustomers: knownCustomers!, knownEvents: knownEvents!)
            knownCustomers = nil
            knownEvents = nil
        }

        func wait() { group.wait() }

        /// Waits for the parse and hands over its results.
        func waitForResults() -> [ParsedChunk] {
            group.wait()
            defer { results = [] }
            return results
        }
    }

    /// Parses chunks on up to `threads` threads. Workers look ids up in the global interners
    /// (read-only while they run) and intern only unseen ids locally.
    fileprivate static func parse(_ chunks: [RecordChunker.Chunk], layout: ChunkLayout, threads: Int,
                              knownCustomers: ByteInterner, knownEvents: ByteInterner) -> [ParsedChunk] {
        var results = [ParsedChunk?](repeating: nil, count: chunks.count)
        if threads == 1 || chunks.count == 1 {
            for i in chunks.indices {
                results[i] = ParsedChunk(chunks[i], layout: layout, knownCustomers: knownCustomers, knownEvents: knownEvents)
            }
        } else {
            results.withUnsafeMutableBufferPointer { out in
                let out = out
                DispatchQueue.concurrentPerform(iterations: chunks.count) { i in
                    out[i] = ParsedChunk(chunks[i], layout: layout, knownCustomers: knownCustomers, knownEvents: knownEvents)
                }
            }
        }
        return results.map { $0! }
    }

    /// Global codes for a parsed chunk's chunk-local (new) ids.
    private struct ChunkCodes {
        var customers: [Int32]
        var events: [Int32]
    }

    /// Interns the ids a parsed chunk saw first, returning their global codes.
    private mutating func internNewIDs(of r: ParsedChunk) -> ChunkCodes {
        var customerMap = [Int32](repeating: 0, count: r.customerInterner.count)
        for i in 0..<customerMap.count {
            let h = r.customerInterner.hash(at: i)
            customerMap[i] = r.customerInterner.withBytes(at: i) { bytes in
                // Rejected ids are never in the global interner, so they are always new to a chunk.
                if let keep = options.customerFilter {
                    if excludedCustomers.lookup(bytes, hash: h) != nil { return Self.excluded }
                    if !keep(bytes) { _ = excludedCustomers.intern(bytes, hash: h); return Self.excluded }
                }
                return customerInterner.intern(bytes, hash: h)
            }
        }
        var eventMap = [Int32](repeating: 0, count: r.eventInterner.count)
        for i in 0..<eventMap.count {
            let h = r.eventInterner.hash(at: i)
            eventMap[i] = r.eventInterner.withBytes(at: i) { eventInterner.intern($0, hash: h) }
        }
        return ChunkCodes(customers: customerMap, events: eventMap)
    }

    /// Appends a parsed chunk's events and report counts, mapping its new (negative,
    /// chunk-local) customer and event codes to global ones. Does not touch the interners.
    private mutating func append(_ r: ParsedChunk, _ codes: ChunkCodes) {
        if options.customerFilter != nil {
            appendKept(r, codes)
        } else {
            codes.customers.withUnsafeBufferPointer { map in
                for c in r.customers { customers.append(c >= 0 ? c : map[Int(-1 - c)]) }
            }
            codes.events.withUnsafeBufferPointer { map in
                for e in r.events { events.append(e >= 0 ? e : map[Int(-1 - e)]) }
            }
            times.append(contentsOf: r.times)
            for j in values.indices { values[j].append(contentsOf: r.values[j]) }
        }
        report.blankLines += r.blankLines
        for (reason, n) in r.badCounts { report.badRowCounts[reason, default: 0] += n }
        if badRowCustomers.count < 1_000_000 { badRowCustomers.formUnion(r.badRowCustomers) }
        for sample in r.samples
        where report.samples.lazy.filter({ $0.reason == sample.reason }).count < options.samplesPerReason {
            report.samples.append(sample)
        }
    }

    /// `append`'s columns with a customer filter: only the rows of kept customers.
    private mutating func appendKept(_ r: ParsedChunk, _ codes: ChunkCodes) {
        if let latest = r.times.max() { latestGoodTime = max(latestGoodTime, latest) }
        var outside = 0
        codes.customers.withUnsafeBufferPointer { customerMap in
            codes.events.withUnsafeBufferPointer { eventMap in
                for k in r.customers.indices {
                    let c = r.customers[k]
                    let customer = c >= 0 ? c : customerMap[Int(-1 - c)]
                    if customer == Self.excluded { outside += 1; continue }
                    let e = r.events[k]
                    customers.append(customer)
                    events.append(e >= 0 ? e : eventMap[Int(-1 - e)])
                    times.append(r.times[k])
                    for j in values.indices { values[j].append(r.values[j][k]) }
                }
            }
        }
        report.rowsOutsideFilter += outside
    }

    /// Groups the loaded events into a store.
    /// - Returns: the store and the final report.
    /// - Complexity: O(n log g) (see `EventStore.init`).
    public func finish() -> (store: EventStore, report: LoadReport) {
        let store = EventStore(customerIDs: customerInterner.strings, eventNames: eventInterner.strings,
                               valueColumns: options.columns.values, customers: customers, times: times,
                               events: events, values: values,
                               latestTime: latestGoodTime > Int64.min ? latestGoodTime : nil)
        var report = self.report
        let keep = options.customerFilter
        let dropped = badRowCustomers.filter { id in
            var id = id
            return store.customerIndex(of: id) == nil && (keep.map { keep in id.withUTF8 { keep($0) } } ?? true)
        }.sorted()
        report.droppedCustomerCount = dropped.count
        report.droppedCustomers = Array(dropped.prefix(LoadReport.maxDroppedCustomers))
        report.samples.sort { ($0.reason, report.files.firstIndex(of: $0.file) ?? 0, $0.line) < ($1.reason, report.files.firstIndex(of: $1.file) ?? 0, $1.line) }
        return (store, report)
    }
}

/// Column positions and options a chunk parser needs.
struct ChunkLayout: Sendable {
    var customer: Int
    var time: Int
    var event: Int
    var values: [Int]
    var fieldCount: Int
    var columns: ColumnMapping
    var file: String
    var strict: Bool
    var samplesPerReason: Int
}

/// The events of one chunk. Customer and event codes are global indices (≥ 0) for ids known
/// before the chunk's batch, and `-1 − local index` for ids new to it.
struct ParsedChunk {
    var customers: [Int32] = []
    var times: [Int64] = []
    var events: [Int32] = []
    var values: [[Float]]
    var customerInterner = ByteInterner(initialCapacity: 4096)
    var eventInterner = ByteInterner(initialCapacity: 64)
    var rowsRead = 0
    var rowsLoaded = 0
    var blankLines = 0
    var badCounts: [BadRowReason: Int] = [:]
    /// Customer ids of bad rows (when the id could be read), to find customers left with no row.
    var badRowCustomers: Set<String> = []
    /// The first `samplesPerReason` bad rows per reason, in order.
    var samples: [BadRow] = []
    var firstBad: BadRow?
    /// Keeps the prefetching reads of the lookup pass alive.
    var touchedSlots: UInt64 = 0

    /// Parses the rows of one chunk (stops at the first bad row when strict).
    init(_ chunk: RecordChunker.Chunk, layout: ChunkLayout, knownCustomers: ByteInterner, knownEvents: ByteInterner) {
        values = Array(repeating: [], count: layout.values.count)
        let reader = CSVReader(source: ArrayByteSource(chunk.bytes), name: layout.file,
                               bufferSize: chunk.bytes.count + 1, firstLine: chunk.firstLine, skipsByteOrderMark: false)
        let estimate = chunk.bytes.count / 40
        times.reserveCapacity(estimate)
        events.reserveCapacity(estimate)
        var rowValues = [Float](repeating: 0, count: layout.values.count)
        var pendingIDs: [UInt8] = []
        var pendingEnds: [Int] = []
        pendingIDs.reserveCapacity(estimate * 16)
        pendingEnds.reserveCapacity(estimate)
        let columns = layout.columns

        func bad(_ reason: BadRowReason, _ detail: String) {
            let row = BadRow(file: layout.file, line: reader.recordLine, reason: reason, detail: detail,
                             text: reader.recordText())
            badCounts[reason, default: 0] += 1
            if layout.customer < reader.fieldCount, badRowCustomers.count < 100_000 {
                let id = Self.trimmed(reader.field(layout.customer))
                if id.count > 0, Self.isText(id) { badRowCustomers.insert(String(decoding: id, as: UTF8.self)) }
            }
            if firstBad == nil { firstBad = row }
            if samples.lazy.filter({ $0.reason == reason }).count < layout.samplesPerReason { samples.append(row) }
        }

        // The reader cannot fail on memory input; a failure would mean a record over the size limit.
        rows: while (try? reader.nextRecord()) == true {
            if layout.strict && firstBad != nil { break }
            if reader.isBlankLine { blankLines += 1; continue }
            rowsRead += 1
            guard reader.fieldCount == layout.fieldCount else {
                bad(.wrongFieldCount, "\(reader.fieldCount) fields, header has \(layout.fieldCount)")
                continue
            }
            if Self.trimmed(reader.field(layout.customer)).count == 0 {
                bad(.emptyCustomer, "column '\(columns.customer)'")
                continue
            }
            // Ids and names become Strings: bytes that are not UTF-8 would turn distinct ids
            // into the same String (U+FFFD), and NUL would cut them short in C tools.
            if !Self.isText(reader.field(layout.customer)) || !Self.isText(reader.field(layout.event)) {
                bad(.invalidText, "column '\(Self.isText(reader.field(layout.customer)) ? columns.event : columns.customer)'")
                continue
            }
            guard let time = Timestamp.parse(reader.field(layout.time)) else {
                bad(.badTimestamp, "column '\(columns.time)'")
                continue
            }
            for j in 0..<layout.values.count {
                let bytes = Self.trimmed(reader.field(layout.values[j]))
                if bytes.count == 0 { rowValues[j] = 0; continue }
                guard let v = NumberParser.parse(bytes) else {
                    bad(.badNumber, "column '\(columns.values[j])'")
                    continue rows
                }
                rowValues[j] = Float(v)
            }
            // Customer ids are looked up in a second pass (below), so that the cache misses of
            // consecutive lookups overlap instead of each stalling the parse.
            let customerBytes = Self.trimmed(reader.field(layout.customer))
            pendingIDs.append(contentsOf: customerBytes)
            pendingEnds.append(pendingIDs.count)
            times.append(time)
            let eventBytes = Self.trimmed(reader.field(layout.event))
            let eventHash = ByteInterner.hash(eventBytes)
            events.append(knownEvents.lookup(eventBytes, hash: eventHash) ?? -1 - eventInterner.intern(eventBytes, hash: eventHash))
            for j in 0..<rowValues.count { values[j].append(rowValues[j]) }
            rowsLoaded += 1
        }

        // Second pass: customer codes, in blocks: hash a block and touch each home slot (many
        // independent cache misses in flight), then look the block up. Logs are often grouped
        // by customer, so a repeat of the previous row's id reuses its code.
        customers.reserveCapacity(pendingEnds.count)
        var sink: UInt64 = 0
        pendingIDs.withUnsafeBufferPointer { arena in
            pendingEnds.withUnsafeBufferPointer { ends in
                let block = 64
                var hashes = [UInt64](repeating: 0, count: block)
                var blockStart = 0
                while blockStart < ends.count {
                    let blockEnd = min(ends.count, blockStart + block)
                    for r in blockStart..<blockEnd {
                        let start = r == 0 ? 0 : ends[r - 1]
                        let h = ByteInterner.hash(UnsafeBufferPointer(rebasing: arena[start..<ends[r]]))
                        hashes[r - blockStart] = h
                        sink &+= knownCustomers.touch(hash: h)
                    }
                    for r in blockStart..<blockEnd {
                        let start = r == 0 ? 0 : ends[r - 1]
                        let bytes = UnsafeBufferPointer(rebasing: arena[start..<ends[r]])
                        if r > 0 {
                            let previousStart = r == 1 ? 0 : ends[r - 2]
                            let previousCount = ends[r - 1] - previousStart
                            if previousCount == bytes.count,
                               previousCount == 0 || memcmp(bytes.baseAddress!, arena.baseAddress! + previousStart, previousCount) == 0 {
                                customers.append(customers[r - 1])
                                continue
                            }
                        }
                        let h = hashes[r - blockStart]
                        customers.append(knownCustomers.lookup(bytes, hash: h) ?? -1 - customerInterner.intern(bytes, hash: h))
                    }
                    blockStart = blockEnd
                }
            }
        }
        touchedSlots = sink
    }

    /// Whether `bytes` are valid UTF-8 without NUL (a fast path for ASCII). A byte loop: ids are
    /// short, and an eight-bytes-at-a-time version measured no faster on 7-byte ids.
    @inline(__always)
    static func isText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        for b in bytes {
            if b == 0 { return false }
            if b >= 0x80 { ascii = false }
        }
        return ascii || String(validating: bytes, as: UTF8.self) != nil
    }

    @inline(__always)
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let base = bytes.baseAddress else { return bytes }
        var lo = 0, hi = bytes.count
        while lo < hi, base[lo] == 0x20 || base[lo] == 0x09 { lo += 1 }
        while hi > lo, base[hi - 1] == 0x20 || base[hi - 1] == 0x09 { hi -= 1 }
        return UnsafeBufferPointer(start: base + lo, count: hi - lo)
    }
}
