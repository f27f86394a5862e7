/// What a long job tells the person watching it, independent of the job: library code returns
/// these, and the command line draws them (`ProgressDisplay`).
public enum ProgressReport: Sendable, Equatable {
    /// A step of a counted phase: a bar with rate and ETA (`rate` in units per second; `nil`: measured).
    case step(phase: String, done: Int, total: Int, unit: String, rate: Double?, detail: String)
    /// A line of its own; it ends the current bar.
    case line(String)
}
