// libFuzzer harness for the model-file reader: safetensors container, `format` and `config`
// metadata, tensor shapes against the config, the feature spec and labels sections.
//
// Property checked beyond "no crash": an accepted model has finite weights and a network
// whose shape matches its feature spec.
import ChurnModel
import Baselines
import EventLog
import Features
import Snapshots
import Pipelines
import Snapshots
import Foundation
import TensorKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 ? Data() : Data(bytes: data!, count: size)
    // A container that decodes must survive re-encoding and decode to the same tensors.
    if bytes.count < 2048, let file = try? SafeTensors.decode(bytes) {
        let again = try? SafeTensors.decode(SafeTensors.encode(file))
        precondition(again?.tensors == file.tensors && again?.metadata == file.metadata, "encode/decode round trip changed the file")
    }
    guard let model = try? ForecastModel.decode(bytes, path: "fuzz.safetensors") else { return 0 }
    precondition(model.network.parameters.valuesAreFinite, "accepted non-finite weights")
    precondition(model.features.featureCount == model.network.shape.numericSize)
    precondition(model.features.inconsistency == nil)
    score(model)
    return 0
}

/// What churn-predict does with an accepted model: a store read with the model's columns, a
/// snapshot with its horizon and activity filter, featurization and the forward pass.
func score(_ model: ForecastModel) {
    let values = model.data.columns.values
    let day = Timestamp.microsecondsPerDay
    let times: [Int64] = [0, 3 * day, 10 * day, 1 * day, 2 * day, 40 * day].map { $0 + 19_000 * day }
    let store = EventStore(customerIDs: ["a", "b", "c"], eventNames: ["login", "purchase", "cancel"], valueColumns: values,
                           customers: [0, 0, 0, 1, 2, 2], times: times, events: [0, 1, 2, 0, 1, 0],
                           values: values.map { _ in [1, 0, 2.5, -3, 1e30, 0] })
    let options = SnapshotOptions(horizon: model.data.horizon, definition: .inactivity, activeWithin: model.data.activeWithin)
    let snapshot = SnapshotBuilder.make(store: store, cutoff: SnapshotBuilder.defaultAsOf(store: store), options: options, labels: .none)
    let scorer = Scorer(model: model, store: store)
    guard let logits = try? scorer.logits(rows: snapshot.rows, batchSize: 2) else { return }
    precondition(logits.count == snapshot.rows.count)
    _ = scorer.probabilities(logits: logits)
}
