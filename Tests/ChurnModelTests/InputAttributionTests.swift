import ChurnSupport
import TensorKit
import XCTest
@testable import ChurnModel

/// The input gradient and the input path that integrated gradients use: the gradient with
/// respect to every layer-0 input value agrees with the parameter and numeric gradients, and
/// gradients along the path integrate to the change of the logit (completeness).
final class InputAttributionTests: XCTestCase {
    let shape = NetworkShape(vocabularySize: 6, embeddingSize: 3, numericSize: 4, hiddenSize: 5, numLayers: 2)

    func network(seed: UInt64) -> ChurnNetwork {
        var rng = SeededGenerator(seed: seed)
        let network = ChurnNetwork(shape: shape)
        network.parameters.initialize(using: &rng)
        for i in 0..<network.parameters.values.count { network.parameters.values[i] *= 3 }
        return network
    }

    func batch(_ lengths: [Int], seed: UInt64) -> SequenceBatch {
        var rng = SeededGenerator(seed: seed)
        let S = lengths.reduce(0, +)
        return SequenceBatch(lengths: lengths, eventIDs: (0..<S).map { _ in Int32(rng.nextInt(below: 6)) },
                             numeric: (0..<S * 4).map { _ in Float(rng.nextGaussian()) }, labels: nil)
    }

    /// The logits' gradient with respect to every input value, `(S, I)`.
    func inputGradient(_ net: ChurnNetwork, _ b: SequenceBatch) throws -> [Float] {
        _ = try net.forward(b, mode: .training)
        net.backward([Float](repeating: 1, count: b.count))
        return net.inputGradient.array
    }

    func testInputGradientAgreesWithTheNumericAndEmbeddingGradients() throws {
        let net = network(seed: 3)
        let b = batch([5, 2, 7], seed: 4)
        net.computesInputGradient = true
        net.computesNumericGradient = true
        net.parameters.gradients.zero()
        let g = try inputGradient(net, b)
        let I = shape.inputSize, E = shape.embeddingSize, F = shape.numericSize
        XCTAssertEqual(g.count, b.totalSteps * I)
        let numeric = net.numericGradient.array
        var embedding = [Float](repeating: 0, count: shape.vocabularySize * E)
        for s in 0..<b.totalSteps {
            for k in 0..<F { XCTAssertEqual(g[s * I + E + k], numeric[s * F + k]) }
            for e in 0..<E { embedding[Int(b.eventIDs[s]) * E + e] += g[s * I + e] }
        }
        let entry = net.parameters.entry(named: "embedding.weight")!
        let weightGradient = Array(net.parameters.gradients.array[entry.offset ..< entry.offset + entry.count])
        for (a, w) in zip(embedding, weightGradient) { XCTAssertEqual(a, w, accuracy: 1e-5 * max(1, abs(w))) }
        XCTAssertTrue(g.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(g.map(abs).max()!, 1e-3, "the gradient is not trivially zero")
        // Without parameter gradients: the same input gradient; the embedding's and the layers'
        // gradients untouched (the head's few still accumulate).
        net.computesNumericGradient = false
        net.computesParameterGradients = false
        let before = net.parameters.gradients.array
        XCTAssertEqual(try inputGradient(net, b), g)
        let after = net.parameters.gradients.array
        for e in net.parameters.entries where !e.name.hasPrefix("head.") {
            XCTAssertEqual(Array(after[e.offset ..< e.offset + e.count]), Array(before[e.offset ..< e.offset + e.count]), e.name)
        }
    }

    func testGradientsAlongThePathIntegrateToTheChangeOfTheLogit() throws {
        let net = network(seed: 5)
        let b = batch([6, 1, 4], seed: 6)
        let I = shape.inputSize, E = shape.embeddingSize
        var baseline = [Float](repeating: 0, count: I)
        for k in 0..<I { baseline[k] = Float(k % 3) * 0.8 - 0.9 }
        // x0 per step (sequence-major): the embedding row and the numeric features.
        let weights = net.parameters.entry(named: "embedding.weight")!
        var x = [Float](repeating: 0, count: b.totalSteps * I)
        for s in 0..<b.totalSteps {
            for e in 0..<E { x[s * I + e] = net.parameters.values[weights.offset + Int(b.eventIDs[s]) * E + e] }
            for k in 0..<shape.numericSize { x[s * I + E + k] = b.numeric[s * shape.numericSize + k] }
        }
        var lastStep = [Bool](repeating: false, count: b.totalSteps), start = 0
        for n in b.lengths { start += n; lastStep[start - 1] = true }
        func logits(alpha: Float) throws -> [Float] {
            net.inputPath = .init(alpha: alpha, lastStepBaseline: baseline)
            defer { net.inputPath = nil }
            return try net.forward(b, mode: .training)
        }
        let full = try net.forward(b, mode: .inference)
        for (a, f) in zip(try logits(alpha: 1), full) { XCTAssertEqual(a, f, accuracy: 1e-5, "alpha 1 is the input itself") }
        let atBaseline = try logits(alpha: 0)
        net.computesInputGradient = true
        let m = 64
        var attribution = [Double](repeating: 0, count: b.count)
        for step in 0..<m {
            net.inputPath = .init(alpha: (Float(step) + 0.5) / Float(m), lastStepBaseline: baseline)
            let g = try inputGradient(net, b)
            var s = 0
            for (row, n) in b.lengths.enumerated() {
                for _ in 0..<n {
                    for k in 0..<I {
                        let delta = x[s * I + k] - (lastStep[s] ? baseline[k] : 0)
                        attribution[row] += Double(delta * g[s * I + k]) / Double(m)
                    }
                    s += 1
                }
            }
        }
        net.inputPath = nil
        for row in 0..<b.count {
            let change = Double(full[row] - atBaseline[row])
            XCTAssertGreaterThan(abs(change), 0.05, "a change big enough to test")
            XCTAssertEqual(attribution[row], change, accuracy: 0.01 * max(1, abs(change)), "row \(row)")
        }
    }
}
