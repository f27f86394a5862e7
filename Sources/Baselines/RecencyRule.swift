import EventLog
import Snapshots

/// The rule an analyst tries first: the longer since the last event, the likelier the churn.
///
/// Scores are days since the last history event (∞ without history): a ranking, not a probability.
public struct RecencyRule: Baseline, Equatable {
    public static let name = "recency"
    public static let displayName = "recency rule"
    public static let outputsProbability = false
    public static let fitting = BaselineFitting.scoredRows

    public init() {}

    public static func fit(on rows: [SnapshotRow], in context: BaselineContext) throws -> RecencyRule { RecencyRule() }

    public func scores(_ rows: [SnapshotRow], in context: BaselineContext) throws -> [Double] {
        rows.map { BaselineFeatures.recencyDays(store: context.store, row: $0) }
    }
}
