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
    private let chunkSize: Int
    private var carry: [UInt8] = []
    private var endOfInput = false
    private var started = false
    private var nextLine = 1
    /// Decompressed bytes read so far.
    private(set) var bytesRead = 0

    init(source: ByteSource, chunkSize: Int = 4 << 20) {
        self.source = source
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

    /// Finds the end of the last complete record in `data[from...]` (just after its newline) and
    /// the number of newlines before it; `firstOnly` stops at the first record boundary.
    private static func lastBoundary(_ data: UnsafeBufferPointer<UInt8>, firstOnly: Bool) -> (end: Int, newlines: Int)? {
        var state = 0          // 0 field start, 1 unquoted, 2 in quotes, 3 quote seen in quotes
        var newlines = 0
        var boundary: (Int, Int)? = nil
        var i = 0
        let n = data.count
        while i < n {
            let c = data[i]
            switch state {
            case 1:
                // The common case: scan an unquoted field quickly.
                while i < n {
                    let d = data[i]
                    if d == 0x2C { state = 0; break }
                    if d == 0x0A { break }
                    i += 1
                }
                if i < n && data[i] == 0x0A {
                    newlines += 1
                    boundary = (i + 1, newlines)
                    if firstOnly { return boundary }
                    state = 0
                }
            case 2:
                if c == 0x22 { state = 3 } else if c == 0x0A { newlines += 1 }
            case 3:
                if c == 0x22 { state = 2 }
                else if c == 0x2C { state = 0 }
                else if c == 0x0A {
                    newlines += 1
                    boundary = (i + 1, newlines)
                    if firstOnly { return boundary }
                    state = 0
                } else { state = 1 }
            default:
                if c == 0x22 { state = 2 }
                else if c == 0x2C { state = 0 }
                else if c == 0x0A {
                    newlines += 1
                    boundary = (i + 1, newlines)
                    if firstOnly { return boundary }
                } else { state = 1 }
            }
            i += 1
        }
        return boundary
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
                throw EventLogError.badRow(BadRow(file: "", line: nextLine, reason: .wrongFieldCount,
                                                  detail: "record longer than \(CSVReader.maxRecordBytes >> 20) MiB; unbalanced quote?",
                                                  text: ""))
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
