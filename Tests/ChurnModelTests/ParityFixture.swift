import Foundation
import TensorKit
import XCTest
@testable import ChurnModel

/// A PyTorch fixture written by `scripts/make_parity_fixtures.py`, as a network and a batch.
struct ParityFixture {
    let file: SafeTensors.File
    let shape: NetworkShape
    let batch: SequenceBatch
    let posWeight: Float
    let paddedSteps: Int

    init(named name: String) throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "safetensors", subdirectory: "Fixtures"),
                                "fixture \(name) missing")
        file = try SafeTensors.read(from: url)
        let meta = file.metadata
        func int(_ key: String) throws -> Int { try XCTUnwrap(meta[key].flatMap(Int.init), "metadata \(key)") }
        shape = NetworkShape(vocabularySize: try int("V"), embeddingSize: try int("E"), numericSize: try int("F"),
                             hiddenSize: try int("H"), numLayers: try int("L"))
        posWeight = try XCTUnwrap(meta["pos_weight"].flatMap(Float.init))
        let lengths = try file.tensors["input.lengths"]!.int32s().map(Int.init)
        let paddedIDs = try file.tensors["input.event_ids"]!.int32s()
        let paddedNumeric = try file.tensors["input.numeric"]!.floats()
        let T = file.tensors["input.event_ids"]!.shape[1], F = shape.numericSize
        paddedSteps = T
        var ids: [Int32] = [], numeric: [Float] = []
        for (b, length) in lengths.enumerated() {
            for t in 0..<length {
                ids.append(paddedIDs[b * T + t])
                numeric += paddedNumeric[(b * T + t) * F ..< (b * T + t + 1) * F]
            }
        }
        batch = SequenceBatch(lengths: lengths, eventIDs: ids, numeric: numeric,
                              labels: try file.tensors["input.labels"]!.floats())
    }

    func tensor(_ name: String) throws -> Tensor { try XCTUnwrap(file.tensors[name], "fixture lacks \(name)").tensor() }

    /// A network holding the fixture's initial parameters.
    func makeNetwork() throws -> ChurnNetwork {
        let network = ChurnNetwork(shape: shape)
        for entry in network.parameters.entries {
            let t = try tensor(entry.name)
            XCTAssertEqual(t.shape, entry.shape, entry.name)
            network.updateParameters { $0.set(entry.name, t) }
        }
        return network
    }

    /// Padded `(B, T, X)` → sequence-major `(S, X)`, keeping only valid steps.
    func unpad(_ padded: Tensor) -> [Float] {
        let width = padded.count / (batch.count * paddedSteps)
        var out: [Float] = []
        for (b, length) in batch.lengths.enumerated() {
            out += padded.storage[(b * paddedSteps) * width ..< (b * paddedSteps + length) * width]
        }
        return out
    }
}

/// One full training step's gradient: zero, forward, loss, backward. Returns the loss.
@discardableResult
func computeGradients(_ network: ChurnNetwork, _ batch: SequenceBatch, posWeight: Float = 1) throws -> Double {
    network.parameters.gradients.zero()
    let logits = try network.forward(batch)
    let labels = batch.labels!
    network.backward(BinaryCrossEntropy.backward(logits: logits, labels: labels, posWeight: posWeight))
    return BinaryCrossEntropy.forward(logits: logits, labels: labels, posWeight: posWeight)
}
