import ChurnSupport
import TensorKit

/// One `nn.LSTM` layer over a packed batch: forward and backward through time.
///
/// Shapes: N = packed rows, I = input size of the layer, H = hidden size, gates ordered i, f, g, o.
/// The forward pass keeps exactly what backward needs: the layer input (owned by the caller),
/// gate activations `(N, 4H)`, cells `(N, H)`, `tanh(c)` `(N, H)` and outputs `(N, H)`.
enum LSTMLayer {
    /// Forward through all steps.
    ///
    /// Each step's active rows get `bias + [x_t | h_{t−1}] · [W_ih | W_hh]ᵀ` from one call of our
    /// row-invariant kernel (which beats BLAS on these few-dozen-row products), computed inside
    /// the time loop while the rows are in cache, then the fused cell kernel. One BLAS product
    /// over all steps for the input part measured slower: it zeroes and writes N·4H floats in
    /// one more pass through memory, and cannot skip the zero inputs of real feature rows; two
    /// kernel calls per step (input, then recurrent) passed over the step's gates twice.
    /// - Parameters:
    ///   - gates: out `(N, 4H)` activations when `tanhC` is given (training); otherwise scratch
    ///     of `(B, 4H)` (inference keeps nothing for backward);
    ///     `c`, `tanhC` (nil for inference), `h`: out `(N, H)`.
    ///   - parts: contiguous ranges of sorted sequence positions, one time loop per core.
    ///   - packedXH: `[W_ih | W_hh]` `(4H, I + H)` packed for `RowInvariantGEMM`. Each row's
    ///     sums run in a fixed order, so a sequence's result does not depend on the rest of the batch.
    ///   - initialIH: a table `(V, 4H)` and each packed row's index into it: each row's sum
    ///     starts from its table row instead of the biases (layer 0 of inference: biases plus the
    ///     embedding columns' share, one row per event type) and `input`, `packedXH` hold only
    ///     the remaining input columns.
    ///   - input: `(N, I)`; biases `(4H)`.
    static func forward(gates: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                        tanhC: UnsafeMutablePointer<Float>?, h: UnsafeMutablePointer<Float>,
                        input: UnsafePointer<Float>,
                        biasIH: UnsafePointer<Float>, biasHH: UnsafePointer<Float>,
                        plan: PackingPlan, parts: [Range<Int>], I: Int, H: Int,
                        packedXH: RowInvariantGEMM.PackedWeights,
                        initialIH: (table: UnsafePointer<Float>, index: UnsafePointer<Int32>)? = nil) {
        let N = plan.totalRows, G = 4 * H
        // Each row's sum starts from b_ih + b_hh (or its row of the `initialIH` table, which holds
        // them) and runs over [x | h] · [W_ih | W_hh]ᵀ in a fixed order, so it is the same
        // whatever the batch; the kernel writes it over the step's gate rows.
        let K = I + H
        precondition(packedXH.k == K && packedXH.n == G)
        // Each part's rows [x_t | h_{t−1}] of the current step.
        let xh = UnsafeMutablePointer<Float>.allocate(capacity: max(1, plan.batchCount * K))
        defer { xh.deallocate() }
        let biasSum = UnsafeMutablePointer<Float>.allocate(capacity: G)
        defer { biasSum.deallocate() }
        for k in 0..<G { biasSum[k] = biasIH[k] + biasHH[k] }
        let zeroIndex = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, plan.batchCount))
        defer { zeroIndex.deallocate() }
        zeroIndex.update(repeating: 0, count: max(1, plan.batchCount))
        // Skipping zero inputs pays when most are zero (cutoff-step aggregates on event steps);
        // either way each row's result is the same, so the choice may depend on the batch.
        let sample = min(N, 256) * I
        var zeros = 0
        for e in 0..<sample where input[e] == 0 { zeros += 1 }
        let sparse = zeros * 2 > sample
        // Each part runs the time loop for its own contiguous block of sequences.
        Threading.parallelRegions(parts.count) { part in
            let first = parts[part].lowerBound, end = parts[part].upperBound
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
                                            c: stepGates, ldc: G, skipZeroInputs: sparse || t == 0,
                                            initial: start, overwrite: true)
                let cPrev: UnsafePointer<Float>? = t > 0 ? UnsafePointer(c + prev * H) : nil
                LSTMKernels.cellForward(gates: stepGates, cPrev: cPrev, c: c + base * H,
                                        tanhC: tanhC.map { $0 + base * H }, h: h + base * H, rows: rows, hidden: H)
            }
        }
    }

    /// Backward through time; accumulates (`+=`) into the weight and bias gradients.
    ///
    /// The weight and bias gradients come from one GEMM over all steps,
    /// `dgatesᵀ · [h_{t−1} | x_t | 1]`, so that BLAS packs the `(N, 4H)` gate gradients once
    /// rather than once per weight.
    /// - Parameters:
    ///   - dinput: out `(N, dinputColumns)`: the first `dinputColumns` columns of the gradient of
    ///     the layer input (nil when not needed; layer 0 of training needs only the embedding's).
    ///   - dh: in `(N, H)` gradient arriving at each output from above; clobbered (the recurrent
    ///     gradient is accumulated into it).
    ///   - dgates: scratch `(N, 4H)`; dc: scratch `(B, H)`.
    ///   - rows: scratch `(N, H + I + 1)`; dweights: scratch `(4H, H + I + 1)`.
    ///   - packedHHTransposed: `W_hhᵀ` packed for the per-step products `dgates · W_hh`.
    static func backward(dinput: UnsafeMutablePointer<Float>?, dinputColumns: Int,
                         dweightIH: UnsafeMutablePointer<Float>, dweightHH: UnsafeMutablePointer<Float>,
                         dbiasIH: UnsafeMutablePointer<Float>, dbiasHH: UnsafeMutablePointer<Float>,
                         dh: UnsafeMutablePointer<Float>, dgates: UnsafeMutablePointer<Float>,
                         rows gradientRows: UnsafeMutablePointer<Float>, dweights: UnsafeMutablePointer<Float>,
                         dc: UnsafeMutablePointer<Float>,
                         input: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                         c: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, h: UnsafePointer<Float>,
                         weightIH: UnsafePointer<Float>,
                         plan: PackingPlan, parts: [Range<Int>], I: Int, H: Int,
                         packedHHTransposed: RowInvariantGEMM.PackedWeights) {
        let N = plan.totalRows, G = 4 * H
        dc.update(repeating: 0, count: plan.batchCount * H)
        Threading.parallelRegions(parts.count) { part in
            let first = parts[part].lowerBound, end = parts[part].upperBound
            for t in stride(from: plan.steps - 1, through: 0, by: -1) {
                let rows = min(end, plan.batchSizes[t]) - first
                if rows <= 0 { continue }
                let base = plan.offsets[t] + first
                let cPrev: UnsafePointer<Float>? = t > 0 ? c + (plan.offsets[t - 1] + first) * H : nil
                LSTMKernels.cellBackward(dGates: dgates + base * G, dc: dc + first * H, dh: dh + base * H,
                                         gates: gates + base * G, tanhC: tanhC + base * H, cPrev: cPrev,
                                         rows: rows, hidden: H)
                if t > 0 {
                    // dh_{t−1}[rows] += dgates_t · W_hh
                    RowInvariantGEMM.accumulate(m: rows, a: dgates + base * G, lda: G, weights: packedHHTransposed,
                                                c: dh + (plan.offsets[t - 1] + first) * H, ldc: H)
                }
            }
        }
        // Row (t, j) = [h_{t−1}[j] (zero at t = 0) | x_t[j] | 1]: dW_hh, dW_ih and the bias
        // gradient (column sums of dgates) are the three column blocks of dgatesᵀ · rows.
        let W = H + I + 1
        Threading.parallelRegions(parts.count) { part in
            let first = parts[part].lowerBound, end = parts[part].upperBound
            for t in 0..<plan.steps {
                let count = min(end, plan.batchSizes[t]) - first
                if count <= 0 { break }
                let base = plan.offsets[t] + first
                for j in 0..<count {
                    let row = gradientRows + (base + j) * W
                    if t > 0 { row.update(from: h + (plan.offsets[t - 1] + first + j) * H, count: H) }
                    else { row.update(repeating: 0, count: H) }
                    (row + H).update(from: input + (base + j) * I, count: I)
                    row[H + I] = 1
                }
            }
        }
        BLAS.parallelGemm(transA: true, m: G, n: W, k: N, a: dgates, b: gradientRows, beta: 0, c: dweights)
        for k in 0..<G {
            let source = dweights + k * W
            let hh = dweightHH + k * H, ih = dweightIH + k * I
            for j in 0..<H { hh[j] += source[j] }
            for j in 0..<I { ih[j] += source[H + j] }
            dbiasIH[k] += source[H + I]
            dbiasHH[k] += source[H + I]
        }
        if let dinput, dinputColumns > 0 {
            BLAS.parallelGemm(m: N, n: dinputColumns, k: G, a: dgates, b: weightIH, ldb: I, beta: 0, c: dinput)
        }
    }
}
