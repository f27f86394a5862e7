import Foundation

/// Atomic file replacement: write a temporary file beside the target, flush it to disk, rename.
///
/// A process killed at any point leaves either the previous file or the new one, never a
/// partial file; a failed write (disk full, file-size limit) removes the temporary file and
/// throws, leaving the previous file as it was.
public enum AtomicFile {
    public struct WriteError: CategorizedError {
        public var category: ErrorCategory { .unavailable }

        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `data` to `url` atomically.
    /// - Throws: `WriteError` naming the path and the system's reason.
    public static func write(_ data: Data, to url: URL) throws {
        let writer = try Writer(url)
        try writer.write(data)
        try writer.commit()
    }

    /// Writes all of `bytes` to a descriptor, retrying short writes and EINTR.
    /// - Returns: `nil`, or the `errno` of the failed write.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var written = 0
        while written < bytes.count {
            let n = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += n
        }
        return nil
    }

    /// Removes the temporary files of `url` left by writers that were killed (SIGKILL, power
    /// loss): `.NAME.PID.RANDOM.tmp` whose process no longer exists.
    static func removeAbandonedTemporaries(of url: URL) {
        let directory = url.deletingLastPathComponent().path
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let parts = name.dropFirst(prefix.count).split(separator: ".")
            guard parts.count == 3, let pid = Int32(parts[0]), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory + "/" + name) }
        }
    }

    /// A file written in pieces (streamed output) that replaces its target only on `commit()`.
    ///
    /// The temporary file is `.NAME.PID.RANDOM.tmp` in the target's directory. Dropping the
    /// writer without committing (an error on the way) removes it.
    public final class Writer {
        public let url: URL
        private let temporary: String
        private var descriptor: Int32
        private var finished = false

        /// Creates the temporary file.
        /// - Throws: `WriteError` (directory missing or not writable).
        public init(_ url: URL) throws {
            self.url = url
            let directory = url.deletingLastPathComponent()
            AtomicFile.removeAbandonedTemporaries(of: url)
            temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw WriteError(path: url.path, reason: String(cString: strerror(errno))) }
        }

        deinit { if !finished { abort() } }

        /// Appends bytes to the temporary file.
        /// - Throws: `WriteError`; the temporary file is then removed.
        public func write(_ data: Data) throws {
            precondition(!finished, "write after commit or failure")
            if let failure = data.withUnsafeBytes({ AtomicFile.writeAll(descriptor, $0) }) { throw fail(failure) }
        }

        /// Flushes the temporary file to disk and renames it over the target.
        /// - Throws: `WriteError`; the temporary file is then removed and the target untouched.
        public func commit() throws {
            precondition(!finished, "commit after commit or failure")
            if fsync(descriptor) != 0 { throw fail(errno) }
            let closed = close(descriptor)
            descriptor = -1
            if closed != 0 { throw fail(errno) }
            if rename(temporary, url.path) != 0 { throw fail(errno) }
            finished = true
        }

        /// Removes the temporary file (the target is untouched).
        public func abort() {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
            unlink(temporary)
            finished = true
        }

        private func fail(_ code: Int32) -> WriteError {
            abort()
            return WriteError(path: url.path, reason: String(cString: strerror(code)))
        }
    }
}
