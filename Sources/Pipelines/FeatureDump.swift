import Reports
import Baselines
import Features
import Snapshots
import EventLog
import ChurnModel
import Foundation
import TensorKit

/// Collects exactly what the model was fed, for `--dump-features` (docs/FORMATS.md): `event_ids` I32
/// [S], `numeric` F32 [S, F] (standardized), `lengths` I32 [N], `logits` F32 [N], `cutoffs` I64 [N]
/// (each row's cutoff, µs since the epoch), rows in output order, steps of each customer
/// contiguous, and `customers` (JSON list of ids) in the metadata;
/// with a booster also `tabular` F32 [N, F'] (as fed to XGBoost), `xgboost_margins` F32 [N] and
/// `tabular_features` (JSON list of names) in the metadata.
public final class FeatureDump {
    private var eventIDs: [Int32] = []
    private var numeric: [Float] = []
    private var lengths: [Int32] = []
    private var logits: [Float] = []
    private var cutoffs: [Int64] = []
    private var tabular: [Float] = []
    private var margins: [Float] = []
    private var customers: [String] = []
    public let numericSize: Int
    /// The booster's feature names, or nil for a model without one.
    public let tabularFeatures: [String]?

    public init(numericSize: Int, tabularFeatures: [String]? = nil) {
        self.numericSize = numericSize
        self.tabularFeatures = tabularFeatures
    }

    /// A dump of everything `model` is fed.
    public convenience init(model: ForecastModel) {
        self.init(numericSize: model.features.featureCount, tabularFeatures: model.boosted?.spec.featureNames)
    }

    /// Appends a scored batch (sequence-major, in output order) with its customers' ids.
    public func append(_ batch: ScoredBatch, customers ids: [String]) {
        let sequences = batch.sequences
        precondition(ids.count == sequences.count && batch.logits.count == sequences.count)
        eventIDs += sequences.eventIDs
        numeric += sequences.numeric
        lengths += sequences.lengths.map { Int32($0) }
        logits += batch.logits
        cutoffs += batch.rows.map(\.cutoff)
        if let width = tabularFeatures?.count {
            precondition(batch.tabular?.count == ids.count * width && batch.margins?.count == ids.count, "the batch was scored without the booster")
            tabular += batch.tabular!
            margins += batch.margins!
        }
        customers += ids
    }

    public func write(to url: URL) throws {
        let json = String(decoding: try JSONEncoder().encode(customers), as: UTF8.self)
        var file = SafeTensors.File(tensors: [
            "event_ids": .init(int32s: eventIDs, shape: [eventIDs.count]),
            "numeric": .init(floats: numeric, shape: [eventIDs.count, numericSize]),
            "lengths": .init(int32s: lengths, shape: [lengths.count]),
            "logits": .init(floats: logits, shape: [logits.count]),
            "cutoffs": .init(int64s: cutoffs, shape: [cutoffs.count]),
        ], metadata: ["customers": json, "format": "churn-forecaster-features/1"])
        if let names = tabularFeatures {
            file.tensors["tabular"] = .init(floats: tabular, shape: [customers.count, names.count])
            file.tensors["xgboost_margins"] = .init(floats: margins, shape: [margins.count])
            file.metadata["tabular_features"] = String(decoding: try JSONEncoder().encode(names), as: UTF8.self)
        }
        try SafeTensors.write(file, to: url)
    }
}
