import Snapshots
import EventLog

/// The data-layer settings a model file stores in its config, so evaluate and predict read,
/// label and featurize exactly as training did.
public struct DataConfig: Codable, Equatable, Sendable {
    /// Input columns (`--customer-column`, `--time-column`, `--event-column`, `--value-column`).
    public var columns: ColumnMapping
    /// The label window length.
    public var horizon: TimeSpan
    /// The churn definition of the labels.
    public var churnDefinition: ChurnDefinition
    /// The `--active-within` filter of training, if any.
    public var activeWithin: TimeSpan?
    /// Vocabulary, numeric features and their standardization, max events.
    public var features: FeatureSpec

    public init(columns: ColumnMapping, horizon: TimeSpan, churnDefinition: ChurnDefinition,
                activeWithin: TimeSpan? = nil, features: FeatureSpec) {
        self.columns = columns
        self.horizon = horizon
        self.churnDefinition = churnDefinition
        self.activeWithin = activeWithin
        self.features = features
    }

    /// The snapshot options these settings imply.
    public var snapshotOptions: SnapshotOptions {
        SnapshotOptions(horizon: horizon, definition: churnDefinition, activeWithin: activeWithin)
    }
}
