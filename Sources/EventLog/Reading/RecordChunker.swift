/// Cuts a CSV byte stream into chunks of whole records, for parsing chunks in parallel.
///
/// A quote-aware scan (the same state machine as `CSVReader`: a quote opens a quoted field only
/// at the start of a field, a doubled quote inside one is literal, text after the closing quote
/// is literal) finds the last record boundary in each chunk, so a quoted newline never splits a
/// record. Each chunk carries the physical line number of its first record.
final class RecordChunker {
    struct Chunk {
        /// Whole records (the last one may lack its newline at the end of the input).
        var bytes: [UInt8]
        /// The physical line number (1-based) of the first record.
        var firstLine: Int
    }

    private let source: ByteSource
    private let name: String
    private let chunkSize: Int
    private var carry: [UInt8] = []
    private var endOfInput = false
    private var started = false
    private var nextLine = 1
    /// Decompressed bytes read so far.
    private(set) var bytesRead = 0

    init(source: ByteSource, name: String, chunkSize: Int = 4 << 20) {
        self.source = source
        self.name = name
        self.chunkSize = max(chunkSize, 16)
    }

    /// Appends up to `count` more bytes from the source to `data`.
    private func read(into data: inout [UInt8], count: Int) throws {
        let old = data.count
        data.reserveCapacity(old + count)
        var got = 0
        data.append(contentsOf: [UInt8](repeating: 0, count: count))
        while got < count && !endOfInput {
            let n = try data.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[(old + got)..<(old + count)]))
            }
            if n == 0 { endOfInput = true }
            got += n
        }
        data.removeLast(count - got)
        bytesRead += got
    }

    /// Finds the end of the last complete record in `data` (just after its newline) and the
    /// number of newlines before it; `firstOnly` stops at the first record boundary.
    ///
    /// Outside quotes only `"` and newline bytes matter (a `"` opens a quoted field when it
    /// starts a field, i.e. follows a comma, a newline or the chunk start); eight bytes at a time
    /// are skipped when they hold neither. Inside quotes the next `"` is found the same way.
    private static func lastBoundary(_ data: UnsafeBufferPointer<UInt8>, firstOnly: Bool) -> (end: Int, newlines: Int)? {
        guard let base = data.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        let n = data.count
        var boundary = -1
        var newlines = 0, newlinesAtBoundary = 0
        var i = 0
        /// High bit set in each byte lane of `w` equal to the pattern's byte; exact for the
        /// lowest matching lane (borrows only corrupt lanes above a match).
        @inline(__always) func matches(_ w: UInt64, _ pattern: UInt64) -> UInt64 {
            let x = w ^ pattern
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        }
        let quotes: UInt64 = 0x2222_2222_2222_2222
        let newlineBytes: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
        outside: while i < n {
            // Outside quotes: jump to the next quote or newline, eight bytes at a time.
            while i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let m = matches(w, quotes) | matches(w, newlineBytes)
                if m != 0 { i += m.trailingZeroBitCount >> 3; break }
                i += 8
            }
            if i >= n { break }
            let c = base[i]
            if c == 0x0A {
                newlines += 1
                boundary = i + 1
                newlinesAtBoundary = newlines
                if firstOnly { break outside }
                i += 1
                continue
            }
            if c != 0x22 || (i > 0 && base[i - 1] != 0x2C && base[i - 1] != 0x0A) {
                i += 1      // an ordinary byte, or a stray quote inside an unquoted field
                continue
            }
            // An opening quote: find the closing one (a doubled quote stays inside), counting
            // the newlines inside.
            i += 1
            var quotedFrom = i
            while true {
                while i + 8 <= n {
                    let m = matches(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self), quotes)
                    if m != 0 { i += m.trailingZeroBitCount >> 3; break }
                    i += 8
                }
                while i < n && base[i] != 0x22 { i += 1 }
                for k in quotedFrom..<i where base[k] == 0x0A { newlines += 1 }
                if i >= n { break outside }                 // unterminated within this data
                if i + 1 < n && base[i + 1] == 0x22 { i += 2; quotedFrom = i; continue }
                if i + 1 >= n { break outside }              // cannot tell yet whether it is doubled
                i += 1
                break
            }
        }
        guard boundary >= 0 else { return nil }
        return (boundary, newlinesAtBoundary)
    }

    private func startIfNeeded() throws {
        guard !started else { return }
        started = true
        try read(into: &carry, count: 3)
        if carry.count >= 3 && carry[0] == 0xEF && carry[1] == 0xBB && carry[2] == 0xBF { carry.removeFirst(3) }
    }

    /// The next single record (for the header), or `nil` at the end of the input.
    func nextRecord() throws -> Chunk? {
        try next(firstOnly: true)
    }

    /// The next chunk of whole records, or `nil` at the end of the input.
    func nextChunk() throws -> Chunk? {
        try next(firstOnly: false)
    }

    private func next(firstOnly: Bool) throws -> Chunk? {
        try startIfNeeded()
        var data = carry
        carry = []
        var want = firstOnly ? 4096 : chunkSize
        while true {
            if data.count < want && !endOfInput { try read(into: &data, count: want - data.count) }
            if data.isEmpty { return nil }
            if let (end, newlines) = data.withUnsafeBufferPointer({ Self.lastBoundary($0, firstOnly: firstOnly) }) {
                if end < data.count { carry = Array(data[end...]); data.removeLast(data.count - end) }
                let chunk = Chunk(bytes: data, firstLine: nextLine)
                nextLine += newlines
                return chunk
            }
            if endOfInput {
                // The last record has no newline (or an unterminated quote runs to the end).
                let chunk = Chunk(bytes: data, firstLine: nextLine)
                nextLine += data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                return chunk
            }
            guard want < CSVReader.maxRecordBytes else {
                throw EventLogError.recordTooLong(path: name, line: nextLine)
            }
            want = max(want * 2, data.count * 2)
        }
    }
}

/// Bytes of one chunk, as a source for a `CSVReader`.
final class ArrayByteSource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
        }
        return n
    }
}
