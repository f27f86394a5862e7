/// Fused elementwise kernels of one LSTM time step, over `rows` rows of the packed batch.
///
/// Shapes: R = rows (active sequences at this step), H = hidden size. Gate blocks within a row
/// of `gates` are ordered i, f, g, o as in PyTorch's `nn.LSTM`.
public enum LSTMKernels {
    /// Turns gate pre-activations into activations in place and advances the cell.
    ///
    /// `gates (R, 4H)` holds `x·W_ihᵀ + h·W_hhᵀ + b_ih + b_hh` on entry and `σ(i), σ(f), tanh(g), σ(o)`
    /// on exit (kept for the backward pass). `cPrev (R, H)` may be nil (zero state).
    /// Writes `c (R, H)`, `tanhC (R, H)` (kept for backward) and `h (R, H)`.
    @inlinable
    public static func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                                   c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>,
                                   h: UnsafeMutablePointer<Float>, rows: Int, hidden H: Int) {
        for r in 0..<rows {
            let g = gates + r * 4 * H
            let cRow = c + r * H, tRow = tanhC + r * H, hRow = h + r * H
            let cpRow = cPrev.map { $0 + r * H }
            for j in 0..<H {
                let i = Activation.sigmoid(g[j])
                let f = Activation.sigmoid(g[H + j])
                let gg = Activation.tanh(g[2 * H + j])
                let o = Activation.sigmoid(g[3 * H + j])
                g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o
                let cNew = (cpRow.map { f * $0[j] } ?? 0) + i * gg
                let tc = Activation.tanh(cNew)
                cRow[j] = cNew
                tRow[j] = tc
                hRow[j] = o * tc
            }
        }
    }

    /// Backward of `cellForward` for one step: gate-activation gradients from `dh` and `dc`.
    ///
    /// On entry `dc (R, H)` holds the cell gradient arriving from the next step (zero at the
    /// last step of a sequence); on exit it holds the gradient for the previous step's cell,
    /// `dc·f`. Writes `dGates (R, 4H)`: gradients of the gate pre-activations.
    /// - Parameters:
    ///   - dh: `(R, H)` total gradient of this step's hidden output.
    ///   - gates, tanhC: as stored by `cellForward`; `cPrev` nil at the first step.
    @inlinable
    public static func cellBackward(dGates: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                                    dh: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                                    tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                                    rows: Int, hidden H: Int) {
        for r in 0..<rows {
            let g = gates + r * 4 * H
            let dg = dGates + r * 4 * H
            let dcRow = dc + r * H, dhRow = dh + r * H, tRow = tanhC + r * H
            let cpRow = cPrev.map { $0 + r * H }
            for j in 0..<H {
                let i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j]
                let tc = tRow[j]
                let dhj = dhRow[j]
                let dcj = dcRow[j] + dhj * o * (1 - tc * tc)
                let cp = cpRow.map { $0[j] } ?? 0
                dg[j] = dcj * gg * i * (1 - i)
                dg[H + j] = dcj * cp * f * (1 - f)
                dg[2 * H + j] = dcj * i * (1 - gg * gg)
                dg[3 * H + j] = dhj * tc * o * (1 - o)
                dcRow[j] = dcj * f
            }
        }
    }
}
