/// Process exit codes shared by every executable (BSD sysexits; listed in docs/FORMATS.md).
public enum ExitCode: Int32, Sendable {
    case success = 0
    case usage = 64
    case dataError = 65
    case noInput = 66
    case software = 70
    case interrupted = 130
}

/// An error that an executable reports on standard error and turns into an exit code.
///
/// Library errors are mapped to one of these at the edge of each executable, so that every
/// failure prints one or two lines and exits with a documented code.
public struct CommandError: Error, CustomStringConvertible, Sendable {
    public var code: ExitCode
    public var message: String

    public init(_ code: ExitCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
