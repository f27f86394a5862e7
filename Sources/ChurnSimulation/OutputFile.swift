import CZlib
import Foundation

/// Errors from writing simulation output.
public enum SimulationError: Error, CustomStringConvertible, Sendable {
    /// The output file could not be created.
    case cannotCreate(path: String, reason: String)
    /// A write failed (disk full, closed pipe, …).
    case writeFailed(path: String, reason: String)
    /// zlib reported an error.
    case compressionFailed(path: String, code: Int32)

    public var description: String {
        switch self {
        case let .cannotCreate(path, reason): return "cannot create '\(path)': \(reason)"
        case let .writeFailed(path, reason): return "cannot write '\(path)': \(reason)"
        case let .compressionFailed(path, code): return "gzip compression of '\(path)' failed (zlib code \(code))"
        }
    }
}

/// A byte sink for a file or standard output (`-`), gzip-compressed when the path ends in `.gz`.
///
/// Compression streams through zlib (`deflateInit2` with window bits 31, i.e. a gzip wrapper), so
/// memory stays constant however much is written. Call `close()` to flush.
public final class OutputFile {
    /// The path as given (`-` for standard output).
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var stream: UnsafeMutablePointer<z_stream>?
    private let outBuffer: UnsafeMutablePointer<UInt8>
    private let outCapacity = 1 << 18
    private var closed = false

    /// Opens `path` for writing (truncating it); `-` is standard output.
    ///
    /// - Parameters:
    ///   - path: Output path; a `.gz` suffix selects gzip compression.
    ///   - compressionLevel: zlib level 1–9 used for `.gz` paths.
    /// - Throws: `SimulationError.cannotCreate`.
    public init(path: String, compressionLevel: Int32 = 6) throws {
        self.path = path
        if path == "-" {
            fd = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw SimulationError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            ownsDescriptor = true
        }
        outBuffer = .allocate(capacity: outCapacity)
        if path.hasSuffix(".gz") {
            let s = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            s.initialize(to: z_stream())
            let rc = deflateInit2_(s, compressionLevel, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard rc == Z_OK else {
                s.deallocate()
                outBuffer.deallocate()
                if ownsDescriptor { _ = Foundation.close(fd) }
                throw SimulationError.compressionFailed(path: path, code: rc)
            }
            stream = s
        }
    }

    deinit {
        if let stream {
            deflateEnd(stream)
            stream.deallocate()
        }
        outBuffer.deallocate()
        if ownsDescriptor && !closed { _ = Foundation.close(fd) }
    }

    /// Writes (or compresses and writes) `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        if let stream {
            stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(bytes.count)
            try pump(stream, flush: Z_NO_FLUSH)
        } else {
            try writeRaw(bytes)
        }
    }

    /// Flushes the compressor and closes the file.
    public func close() throws {
        guard !closed else { return }
        if let stream {
            stream.pointee.avail_in = 0
            try pump(stream, flush: Z_FINISH)
        }
        closed = true
        if ownsDescriptor, Foundation.close(fd) != 0 {
            throw SimulationError.writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
    }

    private func pump(_ s: UnsafeMutablePointer<z_stream>, flush: Int32) throws {
        while true {
            s.pointee.next_out = outBuffer
            s.pointee.avail_out = UInt32(outCapacity)
            let rc = deflate(s, flush)
            guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
                throw SimulationError.compressionFailed(path: path, code: rc)
            }
            let produced = outCapacity - Int(s.pointee.avail_out)
            if produced > 0 { try writeRaw(UnsafeRawBufferPointer(start: outBuffer, count: produced)) }
            if flush == Z_FINISH {
                if rc == Z_STREAM_END { return }
            } else if s.pointee.avail_out != 0 {
                return
            }
        }
    }

    private func writeRaw(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SimulationError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }
}
