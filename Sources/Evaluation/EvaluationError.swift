import ChurnSupport
/// Errors thrown by the evaluation library; none of its functions print or exit.
public enum EvaluationError: CategorizedError, Equatable, Sendable {
    /// Metrics and fits fail on the data they are given.
    public var category: ErrorCategory { .badData }

    /// No samples were given.
    case emptyInput
    /// Two arrays that must describe the same customers have different lengths.
    case lengthMismatch(expected: Int, actual: Int)
    /// The labels contain one class only, so a ranking metric (ROC AUC, PR AUC) is undefined.
    case singleClass(positives: Int, count: Int)
    /// A score or probability is NaN or infinite.
    case nonFiniteValue(index: Int)
    /// A probability lies outside [0, 1].
    case probabilityOutOfRange(index: Int, value: Double)
    /// A parameter is outside its valid range; the message names it.
    case invalidParameter(String)
    /// A BG/NBD customer history is inconsistent (negative frequency, recency beyond age, …).
    case invalidHistory(index: Int, reason: String)
    /// A feature row has the wrong number of columns.
    case featureCountMismatch(expected: Int, actual: Int)
    /// An optimizer did not reach its tolerance within its iteration budget.
    case didNotConverge(iterations: Int, gradientNorm: Double)

    public var description: String {
        switch self {
        case .emptyInput: return "no samples"
        case let .lengthMismatch(expected, actual): return "length mismatch: expected \(expected), got \(actual)"
        case let .singleClass(positives, count):
            return "labels contain a single class (\(positives) positives of \(count)); ROC and PR AUC are undefined"
        case let .nonFiniteValue(index): return "non-finite value at index \(index)"
        case let .probabilityOutOfRange(index, value): return "probability \(value) at index \(index) is outside [0, 1]"
        case let .invalidParameter(message): return "invalid parameter: \(message)"
        case let .invalidHistory(index, reason): return "invalid customer history at index \(index): \(reason)"
        case let .featureCountMismatch(expected, actual): return "expected \(expected) features, got \(actual)"
        case let .didNotConverge(iterations, gradientNorm):
            return "optimizer did not converge in \(iterations) iterations (gradient norm \(gradientNorm))"
        }
    }
}
