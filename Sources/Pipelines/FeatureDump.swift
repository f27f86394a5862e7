import Reports
import Baselines
import Features
import Snapshots
import EventLog
import ChurnModel
import Foundation
import TensorKit

/// Collects exactly what the network was fed, for `--dump-features` (docs/FORMATS.md): `event_ids` I32
/// [S], `numeric` F32 [S, F] (standardized), `lengths` I32 [N], `logits` F32 [N], rows in output
/// order, steps of each customer contiguous, and `customers` (JSON list of ids) in the metadata.
public final class FeatureDump {
    private var eventIDs: [Int32] = []
    private var numeric: [Float] = []
    private var lengths: [Int32] = []
    private var logits: [Float] = []
    private var customers: [String] = []
    public let numericSize: Int

    public init(numericSize: Int) {
        self.numericSize = numericSize
    }

    /// Appends a scored batch (sequence-major, in output order) with its customers' ids.
    public func append(_ batch: SequenceBatch, logits batchLogits: [Float], customers ids: [String]) {
        precondition(ids.count == batch.count && batchLogits.count == batch.count)
        eventIDs += batch.eventIDs
        numeric += batch.numeric
        lengths += batch.lengths.map { Int32($0) }
        logits += batchLogits
        customers += ids
    }

    public func write(to url: URL) throws {
        let json = String(decoding: try JSONEncoder().encode(customers), as: UTF8.self)
        let file = SafeTensors.File(tensors: [
            "event_ids": .init(int32s: eventIDs, shape: [eventIDs.count]),
            "numeric": .init(floats: numeric, shape: [eventIDs.count, numericSize]),
            "lengths": .init(int32s: lengths, shape: [lengths.count]),
            "logits": .init(floats: logits, shape: [logits.count]),
        ], metadata: ["customers": json, "format": "churn-forecaster-features/1"])
        try SafeTensors.write(file, to: url)
    }
}
