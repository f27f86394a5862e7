import ChurnSupport
import TensorKit

// Shapes: E = embedding, F = numeric features, I = E + F, H = hidden, G = 4H, L = layers,
// B = sequences, N = packed rows, S = N sequence-major.

extension ChurnNetwork {
    /// Back-propagates `dlogits` (B, batch order) of the last `forward` through the network,
    /// accumulating into `parameters.gradients` and, with `computesNumericGradient`, filling
    /// `numericGradient`.
    /// - Precondition: a training-mode `forward` ran on a batch of the same size.
    public func backward(_ dlogits: [Float]) {
        // dlogits (B) -> dhLast (B, H) -> dh (N, H) per layer, top down -> dx0 (N, E or I)
        //   -> dembedding (V, E), dnumeric (S, F)
        guard let plan, let batch else { preconditionFailure("backward before forward") }
        precondition(lastMode == .training, "backward after an inference-mode forward")
        precondition(dlogits.count == batch.count, "one gradient per sequence")
        let E = shape.embeddingSize, F = shape.numericSize, H = shape.hiddenSize, L = shape.numLayers
        let N = plan.totalRows, B = plan.batchCount, I0 = shape.inputSize
        let weights = parameters.valueViews, grads = parameters.gradientViews
        // Layer 0's input gradient: all columns, or only the embedding's.
        let dx0Columns = computesNumericGradient || computesInputGradient ? I0 : E
        let ws = workspace
        ws.reserveBackward(plan: plan, dx0Columns: dx0Columns)

        // Head, sorted order; then dh_top at each sequence's last row (times the head mask).
        let dout = ws.dout.pointer, dhLast = ws.dhLast.pointer
        for (j, b) in plan.order.enumerated() { dout[j] = dlogits[b] }
        head.backward(dhLast: dhLast, dparameters: grads.head, dout: dout, hLast: ws.hLast.pointer,
                      parameters: weights.head, B: B, H: H)
        ws.dhTop.zero()
        for j in 0..<B {
            let target = ws.dhTop.pointer + plan.lastRows[j] * H, source = dhLast + j * H
            if masked {
                let m = ws.headMask.pointer + j * H
                for k in 0..<H { target[k] = source[k] * m[k] }
            } else {
                target.update(from: source, count: H)
            }
        }

        let x0 = ws.x0.pointer, dx0 = ws.dx0.pointer
        var dh = ws.dhTop, dhNext = ws.dhBelow
        let parts = plan.partitions(Threading.threadCount)
        for l in stride(from: L - 1, through: 0, by: -1) {
            let activations = ws.layers[l]
            let input = l == 0 ? x0 : ws.layers[l - 1].h.pointer
            let dinput = l == 0 ? dx0 : dhNext.pointer
            LSTMLayer.backward(dinput: dinput, dinputColumns: l == 0 ? dx0Columns : H,
                               dparameters: grads.layers[l], parameterGradients: computesParameterGradients,
                               dh: dh.pointer, dgates: ws.dgates.pointer,
                               rows: ws.gradientRows.pointer, dweights: ws.dweights.pointer, dc: ws.dc.pointer,
                               input: input, gates: activations.gates.pointer, c: activations.c.pointer,
                               tanhC: activations.tanhC.pointer, h: activations.h.pointer,
                               plan: plan, parts: parts, I: shape.inputSize(ofLayer: l), H: H,
                               packedHHTransposed: transposedRecurrentWeights(layer: l),
                               packedIHTransposed: transposedInputWeights(layer: l, columns: l == 0 ? dx0Columns : H))
            swap(&dh, &dhNext)
        }
        if masked {
            let mask = ws.inputMask.pointer
            for r in 0..<N {
                for k in 0..<dx0Columns { dx0[r * dx0Columns + k] *= mask[r * I0 + k] }
            }
        }
        if computesInputGradient {
            // dx0 (N, I) packed -> inputGradient (S, I) sequence-major.
            inputGradient.resize(batch.totalSteps * I0)
            let out = inputGradient.pointer
            for t in 0..<plan.steps {
                let base = plan.offsets[t]
                for j in 0..<plan.batchSizes[t] {
                    let source = plan.sequenceStarts[plan.order[j]] + t
                    (out + source * I0).update(from: dx0 + (base + j) * I0, count: I0)
                }
            }
        }
        if computesNumericGradient { numericGradient.resize(batch.totalSteps * F) }
        if dx0Columns > 0 && (computesParameterGradients || computesNumericGradient) {
            batch.eventIDs.withUnsafeBufferPointer { ids in
                Embedding.backward(dweight: grads.embedding,
                                   dnumeric: computesNumericGradient ? numericGradient.pointer : nil,
                                   dx: dx0, eventIDs: ids.baseAddress!, plan: plan, E: E,
                                   F: computesNumericGradient ? F : 0)
            }
        }
    }

    /// The first `columns` columns of layer `l`'s `W_ihᵀ`, packed afresh from the current
    /// weights (nil for none).
    func transposedInputWeights(layer l: Int, columns: Int) -> RowInvariantGEMM.PackedWeights? {
        guard columns > 0 else { return nil }
        let G = 4 * shape.hiddenSize
        let packed: RowInvariantGEMM.PackedWeights
        if let existing = workspace.packedIHTransposed[l], existing.n == columns {
            packed = existing
        } else {
            packed = RowInvariantGEMM.PackedWeights(n: columns, k: G)
            workspace.packedIHTransposed[l] = packed
        }
        packed.pack(transposeOf: parameters.valueViews.layers[l].weightIH, ldm: shape.inputSize(ofLayer: l))
        return packed
    }

    /// `W_hhᵀ` of layer `l`, packed afresh from the current weights.
    func transposedRecurrentWeights(layer l: Int) -> RowInvariantGEMM.PackedWeights {
        let packed = workspace.packedHHTransposed[l]
        packed.pack(transposeOf: parameters.valueViews.layers[l].weightHH)
        return packed
    }
}
