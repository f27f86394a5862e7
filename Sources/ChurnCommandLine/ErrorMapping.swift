import ChurnSupport
import EventLog
import Foundation

extension CommandError {
    /// The exit code and message for any library error: the code from its `ErrorCategory`,
    /// and for data-layer errors a hint naming the flags that change the outcome.
    public static func from(_ error: Error) -> CommandError {
        if let e = error as? CommandError { return e }
        guard let e = error as? CategorizedError else { return CommandError(.software, "\(error)") }
        var message = e.description
        if let e = e as? EventLogError {
            switch e {
            case .missingColumn(_, "churned", _): message += " (a --labels file has the columns customer_id,churned)"
            case .missingColumn: message += " (choose columns with --customer-column, --time-column, --event-column)"
            case .emptySnapshot: message += "; choose another --cutoff (or a longer --active-within)"
            default: break
            }
        }
        if let remedy = (e as? RemedyProviding)?.remedy { message += "; \(remedy)" }
        return CommandError(ExitCode(e.category), message)
    }
}

extension ExitCode {
    /// The exit code of a category of library errors.
    public init(_ category: ErrorCategory) {
        switch category {
        case .invalidArgument: self = .usage
        case .badData: self = .dataError
        case .unavailable: self = .noInput
        case .interrupted: self = .interrupted
        case .internalFailure: self = .software
        }
    }
}

/// Output paths are checked before any work, so a long job never fails at its last step.
public enum OutputCheck {
    /// Creates the parent directory if needed and verifies that a file can be created there.
    public static func ensureWritable(_ path: String, flag: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CommandError(.usage, "\(flag) \(path) is a directory; give a file path")
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw CommandError(.noInput, "cannot create directory \(directory.path) for \(flag): \((error as NSError).localizedDescription)")
        }
        let probe = directory.appendingPathComponent(".churn-write-test-\(getpid())")
        guard FileManager.default.createFile(atPath: probe.path, contents: Data()) else {
            throw CommandError(.noInput, "cannot write to \(directory.path) (\(flag) \(path)): permission denied or read-only")
        }
        try? FileManager.default.removeItem(at: probe)
    }
}
