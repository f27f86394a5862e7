import ChurnSupport
import Foundation

/// Standard output, or a file written through a temporary file and renamed at the end, so a
/// reader never sees half a result.
public final class OutputSink {
    public let path: String
    private let file: AtomicFile.Writer?

    /// - Parameter path: a file path, or `-` for standard output.
    public init(path: String) throws {
        self.path = path
        file = path == "-" ? nil : try AtomicFile.Writer(URL(fileURLWithPath: path))
    }

    public func write(_ text: String) throws {
        if let file { return try file.write(Data(text.utf8)) }
        var bytes = text
        let failure = bytes.withUTF8 { AtomicFile.writeAll(STDOUT_FILENO, UnsafeRawBufferPointer($0)) }
        if let failure { throw CommandError(.noInput, "cannot write to standard output: \(String(cString: strerror(failure)))") }
    }

    /// Renames the finished file into place (nothing for standard output).
    public func finish() throws { try file?.commit() }
}
