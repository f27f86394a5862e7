import ChurnSupport
import CZlib
import Foundation

/// Errors from writing simulation output.
public enum SimulationError: CategorizedError, Sendable {
    public var category: ErrorCategory {
        switch self {
        case .cannotCreate, .writeFailed: return .unavailable
        case .compressionFailed: return .internalFailure
        }
    }

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

/// A block of raw-deflate data ending on a byte boundary (`Z_SYNC_FLUSH`), with the CRC-32 and
/// length of the bytes it encodes. Blocks compressed independently (in parallel) concatenate into
/// one gzip member, as pigz does.
public struct GzipBlock: @unchecked Sendable {
    let data: ByteBuffer
    let crc: UInt
    let length: Int
}

/// A byte sink for a file or standard output (`-`), gzip-compressed when the path ends in `.gz`.
///
/// Compressed output is a single gzip member (readable by `gzip -d`, zlib's `inflate` with window
/// bits 31, Python's `gzip`): each `write` (or each `GzipBlock`, compressed on worker threads by
/// `compressBlock`) becomes raw-deflate data flushed to a byte boundary; `close()` appends the
/// final empty block and the CRC-32/length trailer. Memory stays constant however much is written.
public final class OutputFile {
    /// The path as given (`-` for standard output).
    public let path: String
    /// Whether the output is gzip-compressed (the path ends in `.gz`).
    public let isCompressed: Bool
    /// zlib level for compressed output.
    public let compressionLevel: Int32
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var crc: UInt = 0
    private var length = 0
    private var closed = false

    /// Opens `path` for writing (truncating it); `-` is standard output.
    ///
    /// - Parameters:
    ///   - path: Output path; a `.gz` suffix selects gzip compression.
    ///   - compressionLevel: zlib level 1–9 used for `.gz` paths.
    /// - Throws: `SimulationError.cannotCreate`.
    public init(path: String, compressionLevel: Int32 = 6) throws {
        self.path = path
        self.compressionLevel = compressionLevel
        isCompressed = path.hasSuffix(".gz")
        if path == "-" {
            fd = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw SimulationError.cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            ownsDescriptor = true
        }
        if isCompressed {
            // gzip header: magic, deflate, no flags, mtime 0 (reproducible), no extra flags, Unix.
            let header: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
            try header.withUnsafeBytes { try writeRaw($0) }
        }
    }

    deinit {
        if ownsDescriptor && !closed { _ = Foundation.close(fd) }
    }

    /// Compresses `bytes` into a block that `write(_:)` can append; safe to call from any thread.
    ///
    /// - Throws: `SimulationError.compressionFailed`.
    public static func compressBlock(_ bytes: UnsafeRawBufferPointer, level: Int32, path: String = "") throws -> GzipBlock {
        let input = bytes.count > 0 ? bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) : nil
        let crc = crc32(0, input, UInt32(bytes.count))
        var stream = z_stream()
        var rc = deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw SimulationError.compressionFailed(path: path, code: rc) }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(bytes.count))) + 64
        let out = ByteBuffer(capacity: bound)
        stream.next_in = UnsafeMutablePointer(mutating: input)
        stream.avail_in = UInt32(bytes.count)
        repeat {
            out.reserve(1 << 16)
            stream.next_out = out.base + out.count
            let room = out.capacity - out.count
            stream.avail_out = UInt32(room)
            rc = deflate(&stream, Z_SYNC_FLUSH)
            guard rc == Z_OK || rc == Z_BUF_ERROR else { throw SimulationError.compressionFailed(path: path, code: rc) }
            out.count += room - Int(stream.avail_out)
        } while stream.avail_out == 0 || stream.avail_in > 0
        return GzipBlock(data: out, crc: crc, length: bytes.count)
    }

    /// Appends a block from `compressBlock` (compressed outputs only).
    public func write(_ block: GzipBlock) throws {
        precondition(isCompressed, "a compressed block written to an uncompressed output")
        try writeRaw(block.bytes)
        crc = block.length == 0 ? crc : crc32_combine(crc, block.crc, Int(block.length))
        length &+= block.length
    }

    /// Writes (or compresses and writes) `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        if isCompressed {
            try write(Self.compressBlock(bytes, level: compressionLevel, path: path))
        } else {
            try writeRaw(bytes)
        }
    }

    /// Finishes the gzip stream (if any) and closes the file.
    public func close() throws {
        guard !closed else { return }
        if isCompressed {
            // Final empty fixed-Huffman block, then CRC-32 and length mod 2^32, little-endian.
            var trailer: [UInt8] = [0x03, 0x00]
            let c = UInt32(truncatingIfNeeded: crc), n = UInt32(truncatingIfNeeded: length)
            for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: c >> UInt32(shift))) }
            for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: n >> UInt32(shift))) }
            try trailer.withUnsafeBytes { try writeRaw($0) }
        }
        closed = true
        if ownsDescriptor, Foundation.close(fd) != 0 {
            throw SimulationError.writeFailed(path: path, reason: String(cString: strerror(errno)))
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

extension GzipBlock {
    var bytes: UnsafeRawBufferPointer { data.bytes }
}
