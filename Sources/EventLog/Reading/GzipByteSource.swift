import CZlib

/// Stream decompression of gzip (or zlib) data through zlib, including concatenated gzip members.
///
/// `inflateInit2` with window bits 47 (15 + 32) detects gzip and zlib headers automatically.
/// After each member ends, decompression continues with the next one if more input follows; a
/// stream that ends inside a member is an error (a truncated download, say) naming the file.
public final class GzipByteSource: ByteSource {
    private let input: ByteSource
    private let name: String
    private var stream = z_stream()
    private var inputBuffer: UnsafeMutablePointer<UInt8>
    private let inputCapacity = 1 << 18
    private var inputEOF = false
    private var memberOpen = true     // inside a member that has not ended yet
    private var finished = false

    /// Starts decompressing `input`.
    /// - Parameters:
    ///   - input: the compressed bytes.
    ///   - name: the display name used in errors.
    public init(_ input: ByteSource, name: String) throws {
        self.input = input
        self.name = name
        inputBuffer = .allocate(capacity: inputCapacity)
        let status = inflateInit2_(&stream, 47, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            inputBuffer.deallocate()
            throw EventLogError.corruptCompressedData(path: name, reason: "zlib initialization failed (\(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        inputBuffer.deallocate()
    }

    private func refill() throws {
        let n = try input.read(into: UnsafeMutableRawBufferPointer(start: inputBuffer, count: inputCapacity))
        if n == 0 { inputEOF = true }
        stream.next_in = inputBuffer
        stream.avail_in = UInt32(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEOF {
                try refill()
            }
            if stream.avail_in == 0 && inputEOF {
                if memberOpen {
                    throw EventLogError.corruptCompressedData(
                        path: name, reason: "truncated gzip data (the stream ends inside a compressed member)")
                }
                finished = true
                break
            }
            if !memberOpen {
                // More input after a finished member: the next concatenated member starts here.
                guard inflateReset(&stream) == Z_OK else {
                    throw EventLogError.corruptCompressedData(path: name, reason: "zlib reset failed")
                }
                memberOpen = true
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                memberOpen = false
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw EventLogError.corruptCompressedData(path: name, reason: "invalid gzip data: \(message)")
            }
        }
        return capacity - Int(stream.avail_out)
    }
}
