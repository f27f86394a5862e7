/// What kind of failure a library error is.
///
/// Library errors say what went wrong and to which input, never which flag or exit code: the
/// command line maps a category to an exit code and adds the flag hints.
public enum ErrorCategory: Sendable, Equatable {
    /// A value the caller passed is out of range or inconsistent (a usage error at the command line).
    case invalidArgument
    /// An input holds bad data (a malformed row, a corrupt model file).
    case badData
    /// An input does not exist or cannot be read or written.
    case unavailable
    /// The user asked the work to stop.
    case interrupted
    /// A failure of the program itself.
    case internalFailure
}

/// An error that says which `ErrorCategory` it belongs to.
public protocol CategorizedError: Error, CustomStringConvertible {
    var category: ErrorCategory { get }
}

/// An error that can say what the user may do about it.
public protocol RemedyProviding {
    /// One clause, without flag names (the command line adds those).
    var remedy: String { get }
}
