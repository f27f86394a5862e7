import TensorKit

// Shapes: V = vocabulary, E = embedding, I = input of layer 0, H = hidden, G = 4H.

/// What inference derives from the weights: packed `[W_ih | W_hh]` per layer and, with an
/// embedding, a table of each event type's share of the layer-0 gates.
///
/// Built on the first inference pass after `invalidate()`, which `ChurnNetwork.updateParameters`
/// calls whenever the weights may have changed.
final class InferenceCache {
    /// `[W_ih[:, skip:] | W_hh]` `(G, I − skip + H)` per layer, packed; skip = E for layer 0
    /// with an embedding (its share comes from `embeddingGates`), 0 otherwise.
    private(set) var packedWeights: [RowInvariantGEMM.PackedWeights] = []
    /// E > 0: `(V, G)` rows `b_ih + b_hh + embedding · W_ih[:, :E]ᵀ`, the biases and the
    /// embedding's share of the layer-0 gates for each event type, which a row's sum starts from
    /// instead of E multiply-adds per gate.
    let embeddingGates = FloatBuffer()
    private var isValid = false
    #if DEBUG
    /// Debug builds: the weights the cache was built from, to catch changes that bypassed
    /// `ChurnNetwork.updateParameters`.
    private var builtFrom: [UInt32] = []
    #endif

    /// Marks the cache stale: the next `prepare` rebuilds it.
    func invalidate() { isValid = false }

    /// Builds the cache from the weights of `parameters` unless it is current.
    func prepare(_ parameters: ParameterSet) {
        let shape = parameters.shape, weights = parameters.valueViews
        if isValid && packedWeights.count == shape.numLayers {
            #if DEBUG
            assert(parameters.values.array.map(\.bitPattern) == builtFrom,
                   "weights changed outside ChurnNetwork.updateParameters: the inference cache is stale")
            #endif
            return
        }
        let H = shape.hiddenSize, E = shape.embeddingSize
        packedWeights = (0..<shape.numLayers).map { l in
            let skip = l == 0 ? E : 0
            let packed = RowInvariantGEMM.PackedWeights(n: 4 * H, k: shape.inputSize(ofLayer: l) - skip + H)
            packInputAndRecurrent(weights.layers[l], I: shape.inputSize(ofLayer: l), H: H,
                                  skippingInputColumns: skip, into: packed)
            return packed
        }
        if E > 0 {
            // The same kernel as the time loop, starting from the biases: a row's gates
            // continue from its table row exactly as if its embedding columns had been
            // summed in place.
            // embedding (V, E), weightIH[:, :E] (G, E) -> embeddingGates (V, G)
            let V = shape.vocabularySize, I = shape.inputSize, G = 4 * H
            let layer0 = weights.layers[0]
            let embeddingIH = RowInvariantGEMM.PackedWeights(weight: layer0.weightIH, n: G, k: E, ldw: I)
            var biasSum = [Float](repeating: 0, count: G)
            for k in 0..<G { biasSum[k] = layer0.biasIH[k] + layer0.biasHH[k] }
            let zeros = [Int32](repeating: 0, count: V)
            embeddingGates.resize(V * G)
            biasSum.withUnsafeBufferPointer { b in
                zeros.withUnsafeBufferPointer { z in
                    RowInvariantGEMM.accumulate(m: V, a: weights.embedding, lda: E, weights: embeddingIH,
                                                c: embeddingGates.pointer, ldc: G,
                                                initial: .init(table: b.baseAddress!, ldt: 0, index: z.baseAddress!),
                                                overwrite: true)
                }
            }
        }
        isValid = true
        #if DEBUG
        builtFrom = parameters.values.array.map(\.bitPattern)
        #endif
    }
}

/// `[W_ih[:, skip:] | W_hh]` of one layer packed into `target` (k = I − skip + H).
func packInputAndRecurrent(_ layer: LayerParameters, I: Int, H: Int, skippingInputColumns skip: Int,
                           into target: RowInvariantGEMM.PackedWeights) {
    target.pack(weight: layer.weightIH + skip, ldw: I, columns: I - skip, at: 0)
    target.pack(weight: layer.weightHH, ldw: H, columns: H, at: I - skip)
}
