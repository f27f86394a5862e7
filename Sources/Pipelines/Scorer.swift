import Reports
import Baselines
import Features
import Snapshots
import ChurnModel
import EventLog
import Foundation
import TensorKit

/// Batch scoring: featurizes snapshot rows a batch at a time and runs the network, so memory
/// stays bounded by the batch, not the number of customers.
public struct Scorer {
    public let model: ForecastModel
    public let store: EventStore
    public let featurizer: Featurizer

    /// Binds a model to a store; event types unknown to the model map to `<unk>`.
    public init(model: ForecastModel, store: EventStore) {
        self.model = model
        self.store = store
        featurizer = Featurizer(spec: model.features, store: store)
    }

    /// Logits of `rows` in order, computed in batches of `batchSize`; `onBatch` sees each batch
    /// (its rows, the batch as fed to the network, and its logits) as it completes.
    public func logits(rows: [SnapshotRow], batchSize: Int = 512,
                       onBatch: (ArraySlice<SnapshotRow>, SequenceBatch, [Float]) throws -> Void = { _, _, _ in }) throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count)
        var start = 0
        while start < rows.count {
            let range = start ..< min(rows.count, start + batchSize)
            let batch = DatasetBuilder.batch(featurizer: featurizer, rows: rows[range])
            let logits = try model.network.forward(batch, mode: .inference)
            try onBatch(rows[range], batch, logits)
            out += logits
            start = range.upperBound
        }
        return out
    }

    /// Calibrated churn probabilities `sigmoid(a·logit + b)`.
    public func probabilities(logits: [Float]) -> [Double] {
        logits.map { model.calibration.probability(logit: $0) }
    }
}
