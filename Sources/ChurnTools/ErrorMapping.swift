import ChurnCLI
import ChurnModel
import Evaluation
import EventLog
import Foundation
import TensorKit

extension CommandError {
    /// The exit code and message for any library error.
    public static func from(_ error: Error) -> CommandError {
        switch error {
        case let e as CommandError: return e
        case let e as EventLogError:
            var message = e.description
            switch e {
            case .missingColumn(_, "churned", _): message += " (a --labels file has the columns customer_id,churned)"
            case .missingColumn: message += " (choose columns with --customer-column, --time-column, --event-column)"
            case .emptySnapshot: message += "; choose another --cutoff (or a longer --active-within)"
            default: break
            }
            return CommandError(e.exitCode == 64 ? .usage : e.exitCode == 66 ? .noInput : .dataError, message)
        case let e as SafeTensorsError:
            if case .unreadable = e { return CommandError(.noInput, e.description) }
            return CommandError(.dataError, e.description)
        case let e as ModelFileError:
            return CommandError(.dataError, "\(e.description); \(e.remedy)")
        case let e as TrainingError:
            switch e {
            case .interrupted: return CommandError(.interrupted, e.description)
            case .incompatibleCheckpoint: return CommandError(.usage, e.description)
            case .nonFinite, .diverged, .emptyTrainingSet: return CommandError(.dataError, e.description)
            }
        case let e as AtomicFile.WriteError:
            return CommandError(.noInput, e.description)
        case let e as ModelError:
            return CommandError(.dataError, e.description)
        case let e as EvaluationError:
            return CommandError(.dataError, e.description)
        default:
            return CommandError(.software, "\(error)")
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
