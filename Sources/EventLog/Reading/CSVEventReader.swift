import ChurnSupport
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads CSV event logs into an `EventStore`, skipping and counting bad rows.
///
/// ```swift
/// var reader = CSVEventReader(options: LoadOptions(columns: ColumnMapping(customer: "user_id")))
/// try reader.add(path: "events.csv.gz")
/// let (store, report) = try reader.finish()
/// ```
/// The reader only parses and checks rows; an `EventStoreBuilder` interns ids, applies the
/// customer filter and holds the columns.
///
/// Fields follow RFC 4180: customer ids are kept verbatim, spaces included, so `a` and ` a` are
/// two customers. An id that is empty or holds only spaces and tabs makes the row bad. Event
/// names, timestamps and numbers have surrounding spaces and tabs removed; event names may be
/// empty.
public struct CSVEventReader {
    /// The options this reader was made with.
    public let options: LoadOptions
    /// What was read and skipped so far; `finish()` adds the customers left with no event.
    public private(set) var report = LoadReport()
    private var builder: EventStoreBuilder

    /// Creates a reader.
    /// - Parameter options: column names, strictness, sample count, threads, customer filter.
    public init(options: LoadOptions = LoadOptions()) {
        self.options = options
        builder = EventStoreBuilder(valueColumns: options.columns.values, attributeColumns: options.attributeColumns,
                                    declaredKinds: options.attributeKinds, customerFilter: options.customerFilter)
    }

    /// Loads several files (`-` = standard input; `.gz` or gzip magic = decompressed).
    /// - Parameters:
    ///   - paths: the files, in order.
    ///   - options: column names, strictness.
    /// - Returns: the store and the report.
    /// - Throws: `EventLogError` (missing file, missing column, empty file, no good rows, strict
    ///   bad row, an attribute column of numbers and text…).
    public static func load(paths: [String], options: LoadOptions = LoadOptions()) throws -> (store: EventStore, report: LoadReport) {
        var reader = CSVEventReader(options: options)
        for path in paths { try reader.add(path: path) }
        return try reader.finish()
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
                                 attributes: try options.attributeColumns.map { try column($0) },
                                 attributeNames: options.attributeColumns,
                                 numericAttributes: options.attributeColumns.map { options.attributeKinds[$0] == .numeric },
                                 fieldCount: header.count, columns: columns, file: name, strict: options.strict,
                                 samplesPerReason: options.samplesPerReason)

        let threads = max(1, options.threads ?? Threading.threadCount)
        var rowsRead = 0, rowsLoaded = 0
        let outsideBefore = builder.rowsOutsideFilter
        var firstBad: BadRow?
        func readBatch() throws -> [RecordChunker.Chunk] {
            var chunks: [RecordChunker.Chunk] = []
            while chunks.count < 2 * threads, let chunk = try chunker.nextChunk() { chunks.append(chunk) }
            return chunks
        }
        // Interns a batch's new ids (in input order, so the result does not depend on the thread
        // count) and counts its rows; throws the first bad row under `strict`.
        func intern(_ results: [ParsedChunk]) throws -> [EventStoreBuilder.ChunkCodes] {
            var codes: [EventStoreBuilder.ChunkCodes] = []
            for r in results {
                if firstBad == nil { firstBad = r.firstBad }
                if options.strict, let bad = r.firstBad { throw EventLogError.badRow(bad) }
                codes.append(builder.internNewIDs(of: r.parsed))
                rowsRead += r.rowsRead
                rowsLoaded += r.rowsLoaded
            }
            return codes
        }
        if threads == 1 {
            var chunks = try readBatch()
            while !chunks.isEmpty {
                let results = Self.parse(chunks, layout: layout, threads: 1,
                                         knownCustomers: builder.customerInterner, knownEvents: builder.eventInterner)
                for (r, codes) in zip(results, try intern(results)) { append(r, codes) }
                chunks = try readBatch()
            }
        } else {
            // A pipeline on the calling thread: while the workers parse batch i + 1, this thread
            // appends batch i to the columns and reads (and decompresses) batch i + 2. New ids are
            // interned between the two, while no job holds the interners, so they are never copied.
            var running = ParseJob.start(try readBatch(), layout: layout, threads: threads,
                                         knownCustomers: builder.customerInterner, knownEvents: builder.eventInterner)
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
                                         knownCustomers: builder.customerInterner, knownEvents: builder.eventInterner)
                for (r, c) in zip(results, codes) { append(r, c) }
            }
        }
        report.rowsRead += rowsRead
        report.rowsLoaded += rowsLoaded - (builder.rowsOutsideFilter - outsideBefore)
        if rowsRead == 0 { throw EventLogError.noDataRows(path: name) }
        if rowsLoaded == 0 { throw EventLogError.noGoodRows(path: name, rowsRead: rowsRead, firstBadRow: firstBad) }
    }

    /// One batch of chunks parsed off the calling thread. Holds the interner snapshots only until
    /// the parse ends, so the builder's interners are uniquely referenced again when it interns
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
            results = CSVEventReader.parse(chunks, layout: layout, threads: threads,
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

    /// Parses chunks on up to `threads` threads. Workers look ids up in the builder's interners
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

    /// Appends a parsed chunk's events to the builder and its counts to the report. Does not
    /// touch the interners.
    private mutating func append(_ r: ParsedChunk, _ codes: EventStoreBuilder.ChunkCodes) {
        builder.append(r.parsed, codes)
        report.rowsOutsideFilter = builder.rowsOutsideFilter
        report.blankLines += r.blankLines
        for (reason, n) in r.badCounts { report.badRowCounts[reason, default: 0] += n }
        builder.noteBadRows(customers: r.badRowCustomers)
        for sample in r.samples
        where report.samples.lazy.filter({ $0.reason == sample.reason }).count < options.samplesPerReason {
            report.samples.append(sample)
        }
    }

    /// Groups the loaded events into a store.
    /// - Returns: the store and the final report.
    /// - Throws: `EventLogError.mixedAttribute` (see `EventStoreBuilder.finish()`).
    /// - Complexity: O(n log g) (see `EventStore.init`).
    public func finish() throws -> (store: EventStore, report: LoadReport) {
        let store = try builder.finish()
        var report = self.report
        let dropped = builder.droppedCustomers(in: store)
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
    /// Attribute column positions, names, and whether each is declared numeric (text there is a bad number).
    var attributes: [Int]
    var attributeNames: [String]
    var numericAttributes: [Bool]
    var fieldCount: Int
    var columns: ColumnMapping
    var file: String
    var strict: Bool
    var samplesPerReason: Int
}

/// One parsed chunk: its good rows' events and its report counts.
struct ParsedChunk {
    /// The good rows.
    var parsed: EventChunk
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
        parsed = EventChunk(valueColumnCount: layout.values.count, attributeColumnCount: layout.attributes.count, file: layout.file)
        let reader = CSVReader(source: ArrayByteSource(chunk.bytes), name: layout.file,
                               bufferSize: chunk.bytes.count + 1, firstLine: chunk.firstLine, skipsByteOrderMark: false)
        let estimate = chunk.bytes.count / 40
        parsed.times.reserveCapacity(estimate)
        parsed.events.reserveCapacity(estimate)
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
                let id = reader.field(layout.customer)
                if Self.trimmed(id).count > 0, Self.isText(id) { badRowCustomers.insert(String(decoding: id, as: UTF8.self)) }
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
            for j in 0..<layout.attributes.count {
                let bytes = Self.trimmed(reader.field(layout.attributes[j]))
                if !Self.isText(bytes) {
                    bad(.invalidText, "column '\(layout.attributeNames[j])'")
                    continue rows
                }
                if layout.numericAttributes[j], bytes.count > 0, !(NumberParser.parse(bytes)?.isFinite ?? false) {
                    bad(.badNumber, "numeric attribute '\(layout.attributeNames[j])'")
                    continue rows
                }
            }
            // Customer ids (verbatim) are looked up in a second pass (below), so that the cache
            // misses of consecutive lookups overlap instead of each stalling the parse.
            pendingIDs.append(contentsOf: reader.field(layout.customer))
            pendingEnds.append(pendingIDs.count)
            parsed.times.append(time)
            let eventBytes = Self.trimmed(reader.field(layout.event))
            let eventHash = ByteInterner.hash(eventBytes)
            parsed.events.append(knownEvents.lookup(eventBytes, hash: eventHash) ?? -1 - parsed.newEvents.intern(eventBytes, hash: eventHash))
            for j in 0..<rowValues.count { parsed.values[j].append(rowValues[j]) }
            for j in 0..<layout.attributes.count {
                let bytes = Self.trimmed(reader.field(layout.attributes[j]))
                if bytes.count == 0 { parsed.attributeCodes[j].append(-1); continue }
                let before = parsed.newAttributes[j].count
                parsed.attributeCodes[j].append(parsed.newAttributes[j].intern(bytes))
                if parsed.newAttributes[j].count > before { parsed.attributeLines[j].append(reader.recordLine) }
            }
            rowsLoaded += 1
        }

        // Second pass: customer codes, in blocks: hash a block and touch each home slot (many
        // independent cache misses in flight), then look the block up. Logs are often grouped
        // by customer, so a repeat of the previous row's id reuses its code.
        parsed.customers.reserveCapacity(pendingEnds.count)
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
                                parsed.customers.append(parsed.customers[r - 1])
                                continue
                            }
                        }
                        let h = hashes[r - blockStart]
                        parsed.customers.append(knownCustomers.lookup(bytes, hash: h) ?? -1 - parsed.newCustomers.intern(bytes, hash: h))
                    }
                    blockStart = blockEnd
                }
            }
        }
        touchedSlots = sink
    }

    /// Whether `bytes` are valid UTF-8 without NUL (a fast path for ASCII).
    @inline(__always)
    static func isText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        for b in bytes {
            if b == 0 { return false }
            if b >= 0x80 { ascii = false }
        }
        return ascii || String(validating: bytes, as: UTF8.self) != nil
    }

    /// `bytes` without leading and trailing ASCII spaces and tabs.
    @inline(__always)
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let base = bytes.baseAddress else { return bytes }
        var lo = 0, hi = bytes.count
        while lo < hi, base[lo] == 0x20 || base[lo] == 0x09 { lo += 1 }
        while hi > lo, base[hi - 1] == 0x20 || base[hi - 1] == 0x09 { hi -= 1 }
        return UnsafeBufferPointer(start: base + lo, count: hi - lo)
    }
}
