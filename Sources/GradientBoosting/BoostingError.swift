import ChurnSupport

/// Why training, loading or predicting with a booster failed; nothing in the module prints or exits.
public enum BoostingError: CategorizedError, Equatable, Sendable {
    public var category: ErrorCategory {
        switch self {
        case .invalidParameter, .shapeMismatch: return .invalidArgument
        case .invalidData, .corruptModel: return .badData
        case .interrupted: return .interrupted
        case .library: return .internalFailure
        }
    }

    /// A training parameter is out of range; the message names it.
    case invalidParameter(String)
    /// The features, labels or weights do not have the sizes their counts imply.
    case shapeMismatch(String)
    /// A label, weight or feature value is unusable (a label outside [0, 1], an infinite feature, …).
    case invalidData(String)
    /// A serialized model is not a complete XGBoost JSON model of a binary logistic tree ensemble.
    case corruptModel(String)
    /// The caller asked training to stop after `round` rounds.
    case interrupted(round: Int)
    /// An XGBoost call failed for a reason the checks before it did not catch; `message` is XGBoost's.
    case library(call: String, message: String)

    public var description: String {
        switch self {
        case .invalidParameter(let message): return "invalid boosting parameter: \(message)"
        case .shapeMismatch(let message): return message
        case .invalidData(let message): return message
        case .corruptModel(let reason): return "the gradient-boosting model is corrupt or truncated: \(reason)"
        case .interrupted(let round): return "boosting interrupted after round \(round); no model was kept"
        case .library(let call, let message): return "XGBoost's \(call) failed: \(message)"
        }
    }
}
