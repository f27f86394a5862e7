import ChurnSupport
import TensorKit

// Shapes: V = vocabulary, E = embedding, F = numeric features, I = E + F, H = hidden, G = 4H,
// L = layers, B = sequences, N = packed rows, S = N sequence-major.

extension ChurnNetwork {
    /// Runs the network on `batch` and returns one logit per sequence, in batch order.
    ///
    /// A training pass keeps in the workspace what `backward` needs: the layer-0 input, every
    /// layer's activations, the head's input and the dropout masks.
    /// - Throws: `ModelError.invalidBatch` when event ids or feature widths do not fit the shape.
    /// - Complexity: O(N·4H·(I + H)) for N packed steps.
    public func forward(_ batch: SequenceBatch, mode: Mode = .training) throws -> [Float] {
        // eventIDs (S), numeric (S, F) -> x0 (N, I) -> h (N, H) per layer -> hLast (B, H) -> logits (B)
        let V = shape.vocabularySize, E = shape.embeddingSize, F = shape.numericSize
        let H = shape.hiddenSize, I = shape.inputSize, L = shape.numLayers
        guard batch.numeric.count == batch.totalSteps * F else {
            throw ModelError.invalidBatch("expected \(F) numeric features per step, got \(batch.numeric.count) values for \(batch.totalSteps) steps")
        }
        if let bad = batch.eventIDs.first(where: { $0 < 0 || Int($0) >= V }) {
            throw ModelError.invalidBatch("event id \(bad) outside the vocabulary of \(V)")
        }
        guard batch.count > 0 else { return [] }
        let plan = PackingPlan(lengths: batch.lengths)
        let N = plan.totalRows, B = plan.batchCount
        self.plan = plan
        self.batch = batch
        let parts = plan.partitions(Threading.threadCount)
        lastMode = mode
        let weights = parameters.valueViews
        if mode == .inference { inferenceCache.prepare(parameters) }

        // Inference with an embedding: layer 0 reads the embedding's share of its gates from
        // the cache's table, so x0 holds only the numeric features and each row's event id.
        let tabulated = mode == .inference && E > 0
        let ws = workspace
        ws.reserveForward(plan: plan, parts: parts.count, training: mode == .training, x0Columns: tabulated ? F : I)
        let x0 = ws.x0.pointer
        batch.eventIDs.withUnsafeBufferPointer { ids in
            batch.numeric.withUnsafeBufferPointer { numeric in
                Embedding.forward(out: x0, eventIDs: ids.baseAddress!,
                                  numeric: numeric.baseAddress ?? UnsafePointer(x0),
                                  weight: weights.embedding, plan: plan, parts: parts,
                                  E: tabulated ? 0 : E, F: F, packedIDs: tabulated ? ws.packedIDs.pointer : nil)
            }
        }
        if mode == .training, let path = inputPath {
            precondition(path.lastStepBaseline.count == I, "the baseline of the last step has \(path.lastStepBaseline.count) values, the input \(I)")
            var isLast = [Bool](repeating: false, count: N)
            for r in plan.lastRows { isLast[r] = true }
            let alpha = path.alpha
            path.lastStepBaseline.withUnsafeBufferPointer { baseline in
                for r in 0..<N {
                    let row = x0 + r * I
                    if isLast[r] {
                        for k in 0..<I { row[k] = baseline[k] + alpha * (row[k] - baseline[k]) }
                    } else {
                        for k in 0..<I { row[k] *= alpha }
                    }
                }
            }
        }
        masked = false
        if mode == .training, let dropout, dropout.rate > 0 {
            masked = true
            ws.inputMask.resize(N * I); ws.headMask.resize(B * H)
            // Sequence b's stream gives its input masks step by step, then its head mask.
            for (j, b) in plan.order.enumerated() {
                var rng = dropout.generator(row: b)
                for t in 0..<batch.lengths[b] {
                    Self.fillMask(ws.inputMask.pointer + (plan.offsets[t] + j) * I, count: I, rate: dropout.rate, using: &rng)
                }
                Self.fillMask(ws.headMask.pointer + j * H, count: H, rate: dropout.rate, using: &rng)
            }
            for i in 0..<N * I { x0[i] *= ws.inputMask.pointer[i] }
        }
        for l in 0..<L {
            let activations = ws.layers[l]
            let input = l == 0 ? x0 : ws.layers[l - 1].h.pointer
            LSTMLayer.forward(gates: activations.gates.pointer, c: activations.c.pointer,
                              tanhC: mode == .training ? activations.tanhC.pointer : nil,
                              h: activations.h.pointer, input: input, parameters: weights.layers[l],
                              plan: plan, parts: parts, I: l == 0 && tabulated ? F : shape.inputSize(ofLayer: l), H: H,
                              packedXH: mode == .inference ? inferenceCache.packedWeights[l] : trainingWeights(layer: l),
                              initialIH: l == 0 && tabulated
                                ? (UnsafePointer(inferenceCache.embeddingGates.pointer), UnsafePointer(ws.packedIDs.pointer)) : nil,
                              scratch: ws.forwardScratch)
        }
        // hLast[j] = h_top at the last step of the j-th longest sequence (times the head mask).
        let top = ws.layers[L - 1].h.pointer, hLast = ws.hLast.pointer
        for j in 0..<B {
            let row = top + plan.lastRows[j] * H, out = hLast + j * H
            if masked {
                let m = ws.headMask.pointer + j * H
                for k in 0..<H { out[k] = row[k] * m[k] }
            } else {
                out.update(from: row, count: H)
            }
        }
        head.forward(out: ws.outputs.pointer, hLast: hLast, parameters: weights.head, B: B, H: H)
        var logits = [Float](repeating: 0, count: B)
        for (j, b) in plan.order.enumerated() { logits[b] = ws.outputs.pointer[j] }
        return logits
    }

    /// `[W_ih | W_hh]` of layer `l`, packed afresh from the current weights.
    func trainingWeights(layer l: Int) -> RowInvariantGEMM.PackedWeights {
        let packed = workspace.packedXH[l]
        packInputAndRecurrent(parameters.valueViews.layers[l], I: shape.inputSize(ofLayer: l), H: shape.hiddenSize,
                              skippingInputColumns: 0, into: packed)
        return packed
    }
}
