import Reports
import Baselines
import Features
import Snapshots
import ChurnModel
import EventLog
import Foundation
import TensorKit

/// One scored batch: the rows, what each part of the model was fed, and its raw outputs.
public struct ScoredBatch {
    public var rows: ArraySlice<SnapshotRow>
    /// The sequences as fed to the network.
    public var sequences: SequenceBatch
    /// The LSTM head's raw logits (before Platt calibration).
    public var logits: [Float]
    /// The tabular features as fed to XGBoost, row-major `[N × F]` (models with a booster).
    public var tabular: [Float]?
    /// The booster's untransformed margins (models with a booster).
    public var margins: [Float]?
}

/// Batch scoring: featurizes snapshot rows a batch at a time and runs the network (and the
/// booster), so memory stays bounded by the batch, not the number of customers.
public struct Scorer {
    public let model: ForecastModel
    public let store: EventStore
    public let featurizer: Featurizer

    /// Binds a model to a store; event types unknown to the model map to `<unk>` (and to the
    /// tabular group `<other>`), categories unknown to it to `<other>`.
    /// - Throws: `PipelineError.missingAttribute` when the store lacks an attribute the model reads.
    public init(model: ForecastModel, store: EventStore) throws {
        if let missing = model.features.attributes.missing(in: store) { throw PipelineError.missingAttribute(missing) }
        self.model = model
        self.store = store
        featurizer = Featurizer(spec: model.features, store: store)
    }

    /// Scores `rows` in order, in batches of `batchSize`; `onBatch` sees each batch as it completes.
    /// - Parameter boosted: whether to run the booster too (when the model has one).
    public func score(rows: [SnapshotRow], batchSize: Int = 512, boosted: Bool = true,
                      onBatch: (ScoredBatch) throws -> Void) throws {
        var start = 0
        let trees = boosted ? model.boosted : nil
        let tabular = trees.map { TabularFeaturizer(spec: $0.spec, store: store) }
        while start < rows.count {
            let range = start ..< min(rows.count, start + batchSize)
            let batch = DatasetBuilder.batch(featurizer: featurizer, rows: rows[range])
            let logits = try model.network.forward(batch, mode: .inference)
            var scored = ScoredBatch(rows: rows[range], sequences: batch, logits: logits)
            if let trees, let tabular {
                let x = tabular.features(rows[range])
                scored.tabular = x
                scored.margins = try trees.margins(features: x, rowCount: range.count)
            }
            try onBatch(scored)
            start = range.upperBound
        }
    }

    /// The LSTM's raw logits of `rows`, in order.
    public func logits(rows: [SnapshotRow], batchSize: Int = 512) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count)
        try score(rows: rows, batchSize: batchSize, boosted: false) { out += $0.logits }
        return out
    }

    /// Churn probabilities of a scored batch under `choice`: the LSTM Platt-calibrated,
    /// `sigmoid(margin)`, or the stacked forecast.
    /// - Precondition: the model can make `choice` (`model.scorers`), and the batch was scored with the booster when it needs it.
    public func probabilities(_ batch: ScoredBatch, choice: ScorerChoice) -> [Double] {
        switch choice {
        case .lstm:
            return batch.logits.map { model.calibration.probability(logit: $0) }
        case .xgboost:
            return batch.margins!.map { sigmoid(Double($0)) }
        case .ensemble:
            let weights = model.ensemble!
            return zip(batch.logits, batch.margins!).map { weights.probability(lstm: $0, xgboost: $1) }
        }
    }
}
