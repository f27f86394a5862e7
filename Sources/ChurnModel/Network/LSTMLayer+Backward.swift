import ChurnSupport
import TensorKit

// Shapes: N = packed rows, B = sequences, I = layer input, H = hidden, G = 4H, W = H + I + 1.

extension LSTMLayer {
    /// Backward through time; accumulates (`+=`) into the weight and bias gradients.
    ///
    /// The weight and bias gradients come from one product over all steps,
    /// `dgatesᵀ · [h_{t−1} | x_t | 1]` (`TransposedGEMM`: the same bits on every instruction set
    /// and thread count), which reads the `(N, G)` gate gradients once rather than once per weight.
    /// - Parameters:
    ///   - dinput: out `(N, dinputColumns)`: the first `dinputColumns` columns of the gradient of
    ///     the layer input (nil when not needed; layer 0 of training needs only the embedding's).
    ///   - dparameters: the layer's gradients, accumulated into (when `parameterGradients`).
    ///   - parameterGradients: whether to compute the weight and bias gradients (attributions
    ///     need only the input gradient).
    ///   - dh: in `(N, H)` gradient arriving at each output from above; clobbered (the recurrent
    ///     gradient is accumulated into it).
    ///   - dgates: scratch `(N, G)`; dc: scratch `(B, H)`.
    ///   - rows: scratch `(N, W)`; dweights: scratch `(G, W)`.
    ///   - input, gates, c, tanhC, h: as kept by `forward`.
    ///   - packedHHTransposed: `W_hhᵀ` packed for the per-step products `dgates · W_hh`.
    ///   - packedIHTransposed: the first `dinputColumns` columns of `W_ihᵀ`, packed for the input
    ///     gradient `dgates · W_ih` (nil when `dinput` is).
    static func backward(dinput: UnsafeMutablePointer<Float>?, dinputColumns: Int,
                         dparameters: LayerParameters, parameterGradients: Bool = true,
                         dh: UnsafeMutablePointer<Float>, dgates: UnsafeMutablePointer<Float>,
                         rows gradientRows: UnsafeMutablePointer<Float>, dweights: UnsafeMutablePointer<Float>,
                         dc: UnsafeMutablePointer<Float>,
                         input: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                         c: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, h: UnsafePointer<Float>,
                         plan: PackingPlan, parts: [Range<Int>], I: Int, H: Int,
                         packedHHTransposed: RowInvariantGEMM.PackedWeights,
                         packedIHTransposed: RowInvariantGEMM.PackedWeights?) {
        // dh (N, H), input (N, I), gates (N, G), c, tanhC, h (N, H), weightIH (G, I)
        //   -> dinput (N, dinputColumns); dweightIH (G, I), dweightHH (G, H), dbiasIH, dbiasHH (G)
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
        if parameterGradients {
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
            TransposedGEMM.product(m: G, n: W, k: N, a: dgates, lda: G, b: gradientRows, ldb: W, c: dweights, ldc: W)
            for k in 0..<G {
                let source = dweights + k * W
                let hh = dparameters.weightHH + k * H, ih = dparameters.weightIH + k * I
                for j in 0..<H { hh[j] += source[j] }
                for j in 0..<I { ih[j] += source[H + j] }
                dparameters.biasIH[k] += source[H + I]
                dparameters.biasHH[k] += source[H + I]
            }
        }
        if let dinput, let packedIHTransposed, dinputColumns > 0 {
            // dinput = dgates · W_ih[:, ..<dinputColumns], by rows: each row's bits are its own.
            Threading.parallelRegions(parts.count) { part in
                let first = parts[part].lowerBound, end = parts[part].upperBound
                for t in 0..<plan.steps {
                    let rows = min(end, plan.batchSizes[t]) - first
                    if rows <= 0 { break }
                    let base = plan.offsets[t] + first
                    RowInvariantGEMM.accumulate(m: rows, a: dgates + base * G, lda: G, weights: packedIHTransposed,
                                                c: dinput + base * dinputColumns, ldc: dinputColumns, overwrite: true)
                }
            }
        }
    }
}
