/// A byte-level RFC 4180 CSV reader over a buffered `ByteSource`.
///
/// `nextRecord()` advances to the next record; its fields are then byte spans into the reader's
/// buffer (`field(_:)`), valid until the next call — no `String` is made per row. Handles quoted
/// fields with embedded commas, doubled quotes and newlines, CRLF or LF line ends, a UTF-8 BOM,
/// and a last line without a newline. A stray quote inside an unquoted field is kept literally;
/// text after a closing quote (`"ab"c`) is appended literally.
///
/// `recordLine` is the physical line (1-based) on which the current record starts, so a record
/// whose quoted field holds newlines spans several lines and the next record's line accounts
/// for them.
public final class CSVReader {
    private let source: ByteSource
    /// The display name of the input, for errors.
    public let name: String

    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0          // valid bytes in buffer
    private var position = 0       // start of the next record
    private var endOfInput = false
    private var started = false
    private let skipsByteOrderMark: Bool

    private var starts: UnsafeMutablePointer<Int>
    private var ends: UnsafeMutablePointer<Int>
    private var quoted: UnsafeMutablePointer<Bool>
    private var fieldCapacity = 64
    /// The number of fields of the current record.
    public private(set) var fieldCount = 0

    private var nextLine = 1
    /// The physical line number (1-based) where the current record starts.
    public private(set) var recordLine = 0
    /// Decompressed bytes read so far.
    public private(set) var bytesRead = 0

    /// The largest record accepted (an unbalanced quote would otherwise swallow the whole file).
    public static let maxRecordBytes = 64 << 20

    /// Creates a reader.
    /// - Parameters:
    ///   - source: the bytes (already decompressed).
    ///   - name: the display name used in errors.
    ///   - bufferSize: the initial buffer size; it grows for records longer than it.
    ///   - firstLine: the line number of the first record (for chunks of a larger input).
    ///   - skipsByteOrderMark: whether a UTF-8 BOM at the start is dropped.
    public init(source: ByteSource, name: String, bufferSize: Int = 1 << 20, firstLine: Int = 1,
                skipsByteOrderMark: Bool = true) {
        self.source = source
        self.name = name
        self.nextLine = firstLine
        self.skipsByteOrderMark = skipsByteOrderMark
        capacity = max(bufferSize, 16)
        buffer = .allocate(capacity: capacity)
        starts = .allocate(capacity: fieldCapacity)
        ends = .allocate(capacity: fieldCapacity)
        quoted = .allocate(capacity: fieldCapacity)
    }

    deinit {
        buffer.deallocate()
        starts.deallocate()
        ends.deallocate()
        quoted.deallocate()
    }

    /// Moves the unparsed tail to the front and reads more input (growing the buffer when full).
    private func refill() throws {
        if position > 0 {
            let tail = count - position
            if tail > 0 { buffer.update(from: buffer + position, count: tail) }
            count = tail
            position = 0
        }
        if count == capacity {
            guard capacity < Self.maxRecordBytes else {
                throw EventLogError.recordTooLong(path: name, line: nextLine)
            }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: buffer, count: count)
            buffer.deallocate()
            buffer = bigger
            capacity *= 2
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + count, count: capacity - count))
        if n == 0 { endOfInput = true }
        count += n
        bytesRead += n
    }

    @inline(__always)
    private func pushField(_ start: Int, _ end: Int, _ isQuoted: Bool) {
        if fieldCount == fieldCapacity {
            let newCapacity = fieldCapacity * 2
            let s = UnsafeMutablePointer<Int>.allocate(capacity: newCapacity)
            let e = UnsafeMutablePointer<Int>.allocate(capacity: newCapacity)
            let q = UnsafeMutablePointer<Bool>.allocate(capacity: newCapacity)
            s.update(from: starts, count: fieldCount)
            e.update(from: ends, count: fieldCount)
            q.update(from: quoted, count: fieldCount)
            starts.deallocate(); ends.deallocate(); quoted.deallocate()
            starts = s; ends = e; quoted = q
            fieldCapacity = newCapacity
        }
        starts[fieldCount] = start
        ends[fieldCount] = end
        quoted[fieldCount] = isQuoted
        fieldCount += 1
    }

    /// Advances to the next record.
    /// - Returns: `false` at the end of the input.
    /// - Throws: read or decompression errors, or a record longer than `maxRecordBytes`.
    /// - Complexity: O(record length), amortized.
    public func nextRecord() throws -> Bool {
        if !started {
            started = true
            while count < 3 && !endOfInput { try refill() }
            if skipsByteOrderMark, count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
        }
        while true {
            if position == count {
                if endOfInput { return false }
                try refill()
                continue
            }
            if let newlines = parseRecord() {
                recordLine = nextLine
                nextLine += newlines
                return true
            }
            try refill()
        }
    }

    /// Parses one record starting at `position`; `nil` when the buffer ends before the record does
    /// (and more input may follow). Returns the number of newlines the record consumed.
    @inline(__always)
    private func parseRecord() -> Int? {
        let buf = buffer
        let n = count
        let eof = endOfInput
        var i = position
        var newlines = 0
        fieldCount = 0
        while true {
            let fieldStart = i
            var isQuoted = false
            if i < n && buf[i] == 0x22 {            // opening quote
                isQuoted = true
                i += 1
                while true {
                    if i >= n {
                        if !eof { return nil }
                        break                       // unterminated quote at the end of input
                    }
                    let c = buf[i]
                    if c == 0x22 {
                        if i + 1 >= n && !eof { return nil }
                        if i + 1 < n && buf[i + 1] == 0x22 { i += 2; continue }
                        i += 1
                        break
                    }
                    if c == 0x0A { newlines += 1 }
                    i += 1
                }
            }
            // The rest of the field up to the next comma or newline: eight bytes at a time while
            // a whole word fits, then byte by byte.
            scan: do {
                while i &+ 8 <= n {
                    let word = UInt64(littleEndian: UnsafeRawPointer(buf + i).loadUnaligned(as: UInt64.self))
                    let found = Self.commaOrNewline(word)
                    if found != 0 { i += found.trailingZeroBitCount >> 3; break scan }
                    i += 8
                }
                while i < n {
                    let c = buf[i]
                    if c == 0x2C || c == 0x0A { break }
                    i += 1
                }
            }
            if i >= n {
                if !eof { return nil }
                pushField(fieldStart, i, isQuoted)
                position = i
                stripCarriageReturn()
                return newlines
            }
            if buf[i] == 0x2C {
                pushField(fieldStart, i, isQuoted)
                i += 1
                continue
            }
            // Newline: end of record.
            pushField(fieldStart, i, isQuoted)
            position = i + 1
            stripCarriageReturn()
            return newlines + 1
        }
    }

    /// A nonzero word whose lowest set bit lies in the first byte (in memory order, the word
    /// loaded little-endian) that is a comma or a newline; zero when there is none. The classic
    /// zero-byte test `(x − 0x01…) & ~x & 0x80…` can flag a byte above a true match (a borrow),
    /// never one below it, so the lowest flag is exact.
    @inline(__always)
    static func commaOrNewline(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let comma = word ^ (ones &* 0x2C), newline = word ^ (ones &* 0x0A)
        return (((comma &- ones) & ~comma) | ((newline &- ones) & ~newline)) & highs
    }

    @inline(__always)
    private func stripCarriageReturn() {
        let last = fieldCount - 1
        if ends[last] > starts[last] && buffer[ends[last] - 1] == 0x0D { ends[last] -= 1 }
    }

    /// Whether the current record is a blank line (one empty, unquoted field).
    public var isBlankLine: Bool { fieldCount == 1 && !quoted[0] && ends[0] == starts[0] }

    /// The bytes of field `index` of the current record, unquoted; valid until `nextRecord()`.
    /// - Precondition: `index < fieldCount`.
    /// - Complexity: O(1) for unquoted fields; O(length) on first access of a quoted field.
    @inline(__always)
    public func field(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        assert(index < fieldCount)
        if quoted[index] { unquote(index) }
        return UnsafeBufferPointer(start: buffer + starts[index], count: ends[index] - starts[index])
    }

    /// Removes the quotes of a quoted field in place (the unquoted text is never longer).
    private func unquote(_ index: Int) {
        let end = ends[index]
        var r = starts[index] + 1
        var w = starts[index]
        while r < end {
            let c = buffer[r]
            if c == 0x22 {
                if r + 1 < end && buffer[r + 1] == 0x22 {
                    buffer[w] = 0x22; w += 1; r += 2
                    continue
                }
                // Closing quote: anything after it is kept literally.
                r += 1
                while r < end { buffer[w] = buffer[r]; w += 1; r += 1 }
                break
            }
            buffer[w] = c; w += 1; r += 1
        }
        ends[index] = w
        quoted[index] = false
    }

    /// Field `index` as a `String` (header names, new customer ids; not for the hot path).
    public func fieldString(_ index: Int) -> String {
        String(decoding: field(index), as: UTF8.self)
    }

    /// The current record re-serialized as CSV text, cut to `maxLength` characters (for reports).
    public func recordText(maxLength: Int = BadRow.maxTextLength) -> String {
        var parts: [String] = []
        var total = 0
        for i in 0..<fieldCount {
            // Only the start of a long field can be shown: decode no more than that.
            let bytes = field(i)
            var s = String(decoding: UnsafeBufferPointer(rebasing: bytes.prefix(4 * maxLength + 4)), as: UTF8.self).escapingControlCharacters()
            if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                s = "\"" + s.replacingAll("\"", with: "\"\"") + "\""
            }
            parts.append(s)
            total += s.count + 1
            if total > maxLength { break }
        }
        var text = parts.joined(separator: ",")
        if text.count > maxLength { text = String(text.prefix(maxLength)) + "…" }
        return text
    }
}

extension String {
    /// Control characters other than tab and line ends (NUL, escape sequences) written as
    /// `\u{1b}`, so that text from a file never drives a terminal.
    public func escapingControlCharacters() -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            (scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r") || scalar.value == 0x7F
        }
        guard unicodeScalars.contains(where: isControl) else { return self }
        return String(String.UnicodeScalarView(unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
            isControl(scalar) ? Array("\\u{\(String(scalar.value, radix: 16))}".unicodeScalars) : [scalar]
        }))
    }

    /// The text for a message: control characters escaped, cut to `maxLength` characters.
    public func forMessage(maxLength: Int = 40) -> String {
        let short = count > maxLength ? String(prefix(maxLength)) + "…" : self
        return short.escapingControlCharacters()
    }

    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for ch in self { if ch == target { out += replacement } else { out.append(ch) } }
        return out
    }
}
