import ChurnSupport
import TensorKit

// Shapes: N = packed rows, B = sequences, I = layer input, H = hidden, G = 4H, K = I + H.

extension LSTMLayer {
    /// Scratch of the forward time loop, from the workspace.
    struct ForwardScratch {
        /// `(B, K)`: each part's rows `[x_t | h_{t−1}]` of the current step.
        var xh: UnsafeMutablePointer<Float>
        /// `(G)`: `b_ih + b_hh`.
        var biasSum: UnsafeMutablePointer<Float>
        /// `(B)` zeros: every row's sum starts from row 0 of `biasSum`.
        var zeroIndex: UnsafePointer<Int32>
        /// One region of `columnListStride` values per part for the kernel's zero-skipping
        /// column lists.
        var columnLists: UnsafeMutablePointer<Int32>
        var columnListStride: Int
    }

    /// Forward through all steps.
    ///
    /// Each step's active rows get `bias + [x_t | h_{t−1}] · [W_ih | W_hh]ᵀ` from one call of
    /// the row-invariant kernel, computed inside the time loop while the rows are in cache,
    /// then the fused cell kernel. Each row's sums run in a fixed order, so a sequence's result
    /// does not depend on the rest of the batch.
    /// - Parameters:
    ///   - gates: out `(N, G)` activations when `tanhC` is given (training); otherwise scratch
    ///     of `(B, G)` (inference keeps nothing for backward).
    ///   - c, h: out `(N, H)`; `tanhC`: out `(N, H)`, nil for inference.
    ///   - input: `(N, I)`.
    ///   - parameters: the layer's biases (its weights are read packed, from `packedXH`).
    ///   - parts: contiguous ranges of sorted sequence positions, one time loop per core.
    ///   - packedXH: `[W_ih | W_hh]` `(G, K)` packed for `RowInvariantGEMM`.
    ///   - initialIH: a table `(V, G)` and each packed row's index into it: each row's sum
    ///     starts from its table row instead of the biases (layer 0 of inference: biases plus the
    ///     embedding columns' share, one row per event type) and `input`, `packedXH` hold only
    ///     the remaining input columns.
    ///   - scratch: sized for B sequences and this K.
    static func forward(gates: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                        tanhC: UnsafeMutablePointer<Float>?, h: UnsafeMutablePointer<Float>,
                        input: UnsafePointer<Float>, parameters: LayerParameters,
                        plan: PackingPlan, parts: [Range<Int>], I: Int, H: Int,
                        packedXH: RowInvariantGEMM.PackedWeights,
                        initialIH: (table: UnsafePointer<Float>, index: UnsafePointer<Int32>)? = nil,
                        scratch: ForwardScratch) {
        // input (N, I), packedXH (G, K) -> gates (N or B, G), c (N, H), tanhC (N, H), h (N, H)
        let N = plan.totalRows, G = 4 * H
        // Each row's sum starts from b_ih + b_hh (or its row of the `initialIH` table, which holds
        // them) and runs over [x | h] · [W_ih | W_hh]ᵀ in a fixed order, so it is the same
        // whatever the batch; the kernel writes it over the step's gate rows.
        let K = I + H
        precondition(packedXH.k == K && packedXH.n == G)
        let xh = scratch.xh, biasSum = scratch.biasSum, zeroIndex = scratch.zeroIndex
        for k in 0..<G { biasSum[k] = parameters.biasIH[k] + parameters.biasHH[k] }
        // Skipping zero inputs pays when most are zero (cutoff-step aggregates on event steps);
        // either way each row's result is the same, so the choice may depend on the batch.
        let sample = min(N, 256) * I
        var zeros = 0
        for e in 0..<sample where input[e] == 0 { zeros += 1 }
        let sparse = zeros * 2 > sample
        // Each part runs the time loop for its own contiguous block of sequences.
        Threading.parallelRegions(parts.count) { part in
            let first = parts[part].lowerBound, end = parts[part].upperBound
            let columnLists = scratch.columnLists + part * scratch.columnListStride
            for t in 0..<plan.steps {
                let rows = min(end, plan.batchSizes[t]) - first
                if rows <= 0 { break }
                let base = plan.offsets[t] + first
                // Inference keeps no gates for backward: every step of a part reuses the part's
                // first rows of the buffer, which stay in cache.
                let stepGates = gates + (tanhC == nil ? first : base) * G
                let stepXH = xh + first * K
                // The active rows of step t are a prefix of step t − 1's.
                let prev = t > 0 ? plan.offsets[t - 1] + first : 0
                for r in 0..<rows {
                    let row = stepXH + r * K
                    row.update(from: input + (base + r) * I, count: I)
                    if t > 0 { (row + I).update(from: h + (prev + r) * H, count: H) }
                    else { (row + I).update(repeating: 0, count: H) }
                }
                // At t = 0 the h columns are zero: skipped.
                let start = initialIH.map { RowInvariantGEMM.InitialRows(table: $0.table, ldt: G, index: $0.index + base) }
                    ?? RowInvariantGEMM.InitialRows(table: biasSum, ldt: 0, index: zeroIndex)
                RowInvariantGEMM.accumulate(m: rows, a: stepXH, lda: K, weights: packedXH,
                                            c: stepGates, ldc: G,
                                            skippingZeroInputsWith: sparse || t == 0 ? columnLists : nil,
                                            initial: start, overwrite: true)
                let cPrev: UnsafePointer<Float>? = t > 0 ? UnsafePointer(c + prev * H) : nil
                LSTMKernels.cellForward(gates: stepGates, cPrev: cPrev, c: c + base * H,
                                        tanhC: tanhC.map { $0 + base * H }, h: h + base * H, rows: rows, hidden: H)
            }
        }
    }
}
