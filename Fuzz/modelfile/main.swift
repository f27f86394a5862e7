// libFuzzer harness for the model-file reader: safetensors container, `format` and `config`
// metadata, tensor shapes against the config, the feature spec and labels sections.
//
// Property checked beyond "no crash": an accepted model has finite weights and a network
// whose shape matches its feature spec.
import ChurnModel
import EventLog
import Forecasting
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
    return 0
}
