/// Fused elementwise kernels of one LSTM time step, over `rows` rows of the packed batch.
///
/// Shapes: R = rows (active sequences at this step), H = hidden size. Gate blocks within a row
/// of `gates` are ordered i, f, g, o as in PyTorch's `nn.LSTM`. The kernels run eight hidden
/// units at a time on `SIMD8<Float>` (the tail of H that is not a multiple of eight included);
/// `referenceCellForward` and `referenceCellBackward` are the plain scalar definitions that the
/// tests compare them with.
public enum LSTMKernels {
    /// Turns gate pre-activations into activations in place and advances the cell.
    ///
    /// `gates (R, 4H)` holds `x·W_ihᵀ + h·W_hhᵀ + b_ih + b_hh` on entry and `σ(i), σ(f), tanh(g), σ(o)`
    /// on exit (kept for the backward pass). `cPrev (R, H)` may be nil (zero state).
    /// Writes `c (R, H)`, `tanhC (R, H)` (kept for backward; nil to skip) and `h (R, H)`.
    @inlinable
    public static func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                                   c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>?,
                                   h: UnsafeMutablePointer<Float>, rows: Int, hidden H: Int) {
        for r in 0..<rows {
            let g = gates + r * 4 * H
            let cRow = c + r * H, hRow = h + r * H
            let cpRow = cPrev.map { $0 + r * H }
            var j = 0
            while j < H {
                let n = min(8, H - j)
                let i = VectorMath.sigmoid(VectorMath.load(g + j, count: n))
                let f = VectorMath.sigmoid(VectorMath.load(g + H + j, count: n))
                let gg = VectorMath.tanh(VectorMath.load(g + 2 * H + j, count: n))
                let o = VectorMath.sigmoid(VectorMath.load(g + 3 * H + j, count: n))
                VectorMath.store(i, g + j, count: n)
                VectorMath.store(f, g + H + j, count: n)
                VectorMath.store(gg, g + 2 * H + j, count: n)
                VectorMath.store(o, g + 3 * H + j, count: n)
                var cNew = i * gg
                if let cpRow { cNew += f * VectorMath.load(cpRow + j, count: n) }
                let tc = VectorMath.tanh(cNew)
                VectorMath.store(cNew, cRow + j, count: n)
                if let tanhC { VectorMath.store(tc, tanhC + r * H + j, count: n) }
                VectorMath.store(o * tc, hRow + j, count: n)
                j += 8
            }
        }
    }

    /// Backward of `cellForward` for one step: gate pre-activation gradients from `dh` and `dc`.
    ///
    /// On entry `dc (R, H)` holds the cell gradient arriving from the next step (zero at the
    /// last step of a sequence); on exit it holds the gradient for the previous step's cell,
    /// `dc·f`. Writes `dGates (R, 4H)`.
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
            var j = 0
            while j < H {
                let n = min(8, H - j)
                let i = VectorMath.load(g + j, count: n), f = VectorMath.load(g + H + j, count: n)
                let gg = VectorMath.load(g + 2 * H + j, count: n), o = VectorMath.load(g + 3 * H + j, count: n)
                let tc = VectorMath.load(tRow + j, count: n)
                let dhj = VectorMath.load(dhRow + j, count: n)
                let dcj = VectorMath.load(dcRow + j, count: n) + dhj * o * (1 - tc * tc)
                let cp = cpRow.map { VectorMath.load($0 + j, count: n) } ?? Float8()
                VectorMath.store(dcj * gg * i * (1 - i), dg + j, count: n)
                VectorMath.store(dcj * cp * f * (1 - f), dg + H + j, count: n)
                VectorMath.store(dcj * i * (1 - gg * gg), dg + 2 * H + j, count: n)
                VectorMath.store(dhj * tc * o * (1 - o), dg + 3 * H + j, count: n)
                VectorMath.store(dcj * f, dcRow + j, count: n)
                j += 8
            }
        }
    }

    /// The scalar definition of `cellForward`, with the C library's `exp` and `tanh`.
    public static func referenceCellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                                            c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>,
                                            h: UnsafeMutablePointer<Float>, rows: Int, hidden H: Int) {
        for r in 0..<rows {
            let g = gates + r * 4 * H
            for j in 0..<H {
                let i = Activation.sigmoid(g[j]), f = Activation.sigmoid(g[H + j])
                let gg = Activation.tanh(g[2 * H + j]), o = Activation.sigmoid(g[3 * H + j])
                g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o
                let cNew = (cPrev.map { f * $0[r * H + j] } ?? 0) + i * gg
                c[r * H + j] = cNew
                tanhC[r * H + j] = Activation.tanh(cNew)
                h[r * H + j] = o * tanhC[r * H + j]
            }
        }
    }

    /// The scalar definition of `cellBackward`.
    public static func referenceCellBackward(dGates: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                                             dh: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                                             tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                                             rows: Int, hidden H: Int) {
        for r in 0..<rows {
            let g = gates + r * 4 * H, dg = dGates + r * 4 * H
            for j in 0..<H {
                let i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j]
                let tc = tanhC[r * H + j], dhj = dh[r * H + j]
                let dcj = dc[r * H + j] + dhj * o * (1 - tc * tc)
                let cp = cPrev.map { $0[r * H + j] } ?? 0
                dg[j] = dcj * gg * i * (1 - i)
                dg[H + j] = dcj * cp * f * (1 - f)
                dg[2 * H + j] = dcj * i * (1 - gg * gg)
                dg[3 * H + j] = dhj * tc * o * (1 - o)
                dc[r * H + j] = dcj * f
            }
        }
    }
}
