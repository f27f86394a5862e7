#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of bytes the CSV reader pulls from: a file, standard input, memory or a decompressor.
///
/// Sources are classes so that they can be wrapped (a gzip source reads from a file source) and
/// passed around without copying their buffers.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes into `buffer`.
    /// - Returns: the number of bytes read; 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Bytes held in memory (tests, small inputs).
public final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public convenience init(_ text: String) { self.init(Array(text.utf8)) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n > 0 {
            bytes.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
            }
            position += n
        }
        return n
    }
}

/// A POSIX file descriptor: a regular file, a pipe or standard input.
public final class FileDescriptorSource: ByteSource {
    public let descriptor: Int32
    /// The name used in error messages (`-` or `<stdin>` for standard input).
    public let name: String
    private let ownsDescriptor: Bool

    /// Wraps an open descriptor.
    /// - Parameters:
    ///   - descriptor: the descriptor to read.
    ///   - name: the name errors show.
    ///   - closeOnDeinit: whether to close the descriptor when the source goes away.
    public init(descriptor: Int32, name: String, closeOnDeinit: Bool) {
        self.descriptor = descriptor
        self.name = name
        self.ownsDescriptor = closeOnDeinit
    }

    /// Opens a file for reading.
    /// - Throws: `EventLogError.fileNotFound` or `.unreadable`.
    public convenience init(path: String) throws {
        let fd = open(path, O_RDONLY)
        if fd < 0 {
            let code = errno
            if code == ENOENT { throw EventLogError.fileNotFound(path: path) }
            throw EventLogError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        var info = stat()
        if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw EventLogError.unreadable(path: path, reason: "is a directory")
        }
        self.init(descriptor: fd, name: path, closeOnDeinit: true)
    }

    /// Standard input.
    public static func standardInput() -> FileDescriptorSource {
        FileDescriptorSource(descriptor: 0, name: "<stdin>", closeOnDeinit: false)
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let n = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw EventLogError.unreadable(path: name, reason: String(cString: strerror(errno)))
        }
    }
}

/// Replays bytes already read (for sniffing the gzip magic) before the rest of a source.
public final class PrefixedByteSource: ByteSource {
    private var prefix: [UInt8]
    private var prefixPosition = 0
    private let rest: ByteSource

    public init(prefix: [UInt8], rest: ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if prefixPosition < prefix.count {
            let n = min(buffer.count, prefix.count - prefixPosition)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + prefixPosition, byteCount: n)
            }
            prefixPosition += n
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// Opening inputs by path, with `-` for standard input and gzip detected by suffix or magic bytes.
public enum InputOpener {
    /// Opens `path` (`-` = standard input) and, when the path ends in `.gz` or the data starts
    /// with the gzip magic `1f 8b`, decompresses on the fly.
    /// - Parameter path: a file path or `-`.
    /// - Returns: the byte source and the display name used in errors.
    /// - Throws: `EventLogError.fileNotFound`, `.unreadable`.
    public static func open(_ path: String) throws -> (source: ByteSource, name: String) {
        let raw: FileDescriptorSource = path == "-" ? .standardInput() : try FileDescriptorSource(path: path)
        let name = path == "-" ? "<stdin>" : path
        return (try wrapDecompressing(raw, name: name, forceGzip: path.hasSuffix(".gz")), name)
    }

    /// Wraps `source` in a gzip decompressor when it starts with the gzip magic (or `forceGzip`).
    /// - Parameters:
    ///   - source: the raw bytes.
    ///   - name: the display name used in errors.
    ///   - forceGzip: decompress even without sniffing (a `.gz` path).
    public static func wrapDecompressing(_ source: ByteSource, name: String, forceGzip: Bool = false) throws -> ByteSource {
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = try head.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
            if n == 0 { break }
            got += n
        }
        head.removeLast(2 - got)
        let prefixed = PrefixedByteSource(prefix: head, rest: source)
        let isGzip = got == 2 && head[0] == 0x1F && head[1] == 0x8B
        if isGzip || (forceGzip && got > 0) {
            return try GzipByteSource(prefixed, name: name)
        }
        return prefixed
    }
}
