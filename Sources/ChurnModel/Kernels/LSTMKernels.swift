import TensorKit
/// Fused elementwise kernels of one LSTM time step, over `rows` rows of the packed batch.
///
/// Shapes: R = rows (active sequences at this step), H = hidden size. Gate blocks within a row
/// of `gates` are ordered i, f, g, o as in PyTorch's `nn.LSTM`. The kernels run eight hidden
/// units at a time on `SIMD8<Float>` (the tail of H that is not a multiple of eight included);
/// `referenceCellForward` and `referenceCellBackward` are the plain scalar definitions that the
/// tests compare them with.
public enum LSTMKernels {
    /// The gate math of eight hidden units: activations from pre-activations and the new cell.
    @inlinable @inline(__always)
    static func gates8(_ gi: Float8, _ gf: Float8, _ gg: Float8, _ go: Float8, _ cp: Float8)
        -> (i: Float8, f: Float8, g: Float8, o: Float8, c: Float8, tanhC: Float8, h: Float8) {
        let i = VectorMath.sigmoid(gi), f = VectorMath.sigmoid(gf)
        let g = VectorMath.tanh(gg), o = VectorMath.sigmoid(go)
        let c = VectorMath.madd(f, cp, i * g)
        let tc = VectorMath.tanh(c)
        return (i, f, g, o, c, tc, o * tc)
    }

    /// Turns gate pre-activations into activations in place and advances the cell.
    ///
    /// `gates (R, 4H)` holds the pre-activations `b + x·W_ihᵀ + h·W_hhᵀ` on entry and, when
    /// `tanhC` is given (training), `σ(i), σ(f), tanh(g), σ(o)` on exit (kept for the backward
    /// pass; inference leaves them). `cPrev (R, H)` may be nil (zero state).
    /// Writes `c (R, H)`, `tanhC (R, H)` (kept for backward; nil for inference) and `h (R, H)`.
    @inlinable
    public static func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                                   c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>?,
                                   h: UnsafeMutablePointer<Float>, rows: Int, hidden H: Int) {
        let full = H & ~7
        for r in 0..<rows {
            let g = gates + r * 4 * H
            let cRow = c + r * H, hRow = h + r * H
            // Full eight-lane chunks: plain vector loads and stores, nothing else in the loop.
            var j = 0
            while j < full {
                let cp = cPrev.map { VectorMath.load($0 + r * H + j) } ?? Float8()
                let v = gates8(VectorMath.load(g + j), VectorMath.load(g + H + j),
                               VectorMath.load(g + 2 * H + j), VectorMath.load(g + 3 * H + j), cp)
                if let tanhC {
                    VectorMath.store(v.i, g + j); VectorMath.store(v.f, g + H + j)
                    VectorMath.store(v.g, g + 2 * H + j); VectorMath.store(v.o, g + 3 * H + j)
                    VectorMath.store(v.tanhC, tanhC + r * H + j)
                }
                VectorMath.store(v.c, cRow + j)
                VectorMath.store(v.h, hRow + j)
                j += 8
            }
            if full < H { cellForwardTail(g: g, cPrev: cPrev.map { $0 + r * H }, c: cRow, tanhC: tanhC.map { $0 + r * H },
                                          h: hRow, from: full, hidden: H) }
        }
    }

    /// The last `H mod 8` units of one row, with the same lane math as the full chunks.
    @usableFromInline @inline(never)
    static func cellForwardTail(g: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
                                tanhC: UnsafeMutablePointer<Float>?, h: UnsafeMutablePointer<Float>, from j: Int, hidden H: Int) {
        let n = H - j
        let cp = cPrev.map { VectorMath.load($0 + j, count: n) } ?? Float8()
        let v = gates8(VectorMath.load(g + j, count: n), VectorMath.load(g + H + j, count: n),
                       VectorMath.load(g + 2 * H + j, count: n), VectorMath.load(g + 3 * H + j, count: n), cp)
        if let tanhC {
            VectorMath.store(v.i, g + j, count: n); VectorMath.store(v.f, g + H + j, count: n)
            VectorMath.store(v.g, g + 2 * H + j, count: n); VectorMath.store(v.o, g + 3 * H + j, count: n)
            VectorMath.store(v.tanhC, tanhC + j, count: n)
        }
        VectorMath.store(v.c, c + j, count: n)
        VectorMath.store(v.h, h + j, count: n)
    }

    /// Gate pre-activation gradients of eight units, and the cell gradient for the previous step.
    @inlinable @inline(__always)
    static func gradients8(i: Float8, f: Float8, g: Float8, o: Float8, tanhC tc: Float8, dh: Float8, dc: Float8, cp: Float8)
        -> (di: Float8, df: Float8, dg: Float8, do: Float8, dcPrev: Float8) {
        let dcj = dc + dh * o * (1 - tc * tc)
        return (dcj * g * i * (1 - i), dcj * cp * f * (1 - f), dcj * i * (1 - g * g), dh * tc * o * (1 - o), dcj * f)
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
        let full = H & ~7
        for r in 0..<rows {
            let g = gates + r * 4 * H, dg = dGates + r * 4 * H
            let dcRow = dc + r * H, dhRow = dh + r * H, tRow = tanhC + r * H
            // Full eight-lane chunks with plain loads and stores (the masked loads of a mixed
            // loop kept LLVM from keeping it in registers, as in `cellForward`).
            var j = 0
            while j < full {
                let cp = cPrev.map { VectorMath.load($0 + r * H + j) } ?? Float8()
                let v = gradients8(i: VectorMath.load(g + j), f: VectorMath.load(g + H + j),
                                   g: VectorMath.load(g + 2 * H + j), o: VectorMath.load(g + 3 * H + j),
                                   tanhC: VectorMath.load(tRow + j), dh: VectorMath.load(dhRow + j),
                                   dc: VectorMath.load(dcRow + j), cp: cp)
                VectorMath.store(v.di, dg + j); VectorMath.store(v.df, dg + H + j)
                VectorMath.store(v.dg, dg + 2 * H + j); VectorMath.store(v.do, dg + 3 * H + j)
                VectorMath.store(v.dcPrev, dcRow + j)
                j += 8
            }
            if full < H {
                cellBackwardTail(dg: dg, dc: dcRow, dh: dhRow, g: g, tanhC: tRow, cPrev: cPrev.map { $0 + r * H },
                                 from: full, hidden: H)
            }
        }
    }

    /// The last `H mod 8` units of one row of `cellBackward`, with the same lane math.
    @usableFromInline @inline(never)
    static func cellBackwardTail(dg: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>, dh: UnsafePointer<Float>,
                                 g: UnsafePointer<Float>, tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                                 from j: Int, hidden H: Int) {
        let n = H - j
        let cp = cPrev.map { VectorMath.load($0 + j, count: n) } ?? Float8()
        let v = gradients8(i: VectorMath.load(g + j, count: n), f: VectorMath.load(g + H + j, count: n),
                           g: VectorMath.load(g + 2 * H + j, count: n), o: VectorMath.load(g + 3 * H + j, count: n),
                           tanhC: VectorMath.load(tanhC + j, count: n), dh: VectorMath.load(dh + j, count: n),
                           dc: VectorMath.load(dc + j, count: n), cp: cp)
        VectorMath.store(v.di, dg + j, count: n); VectorMath.store(v.df, dg + H + j, count: n)
        VectorMath.store(v.dg, dg + 2 * H + j, count: n); VectorMath.store(v.do, dg + 3 * H + j, count: n)
        VectorMath.store(v.dcPrev, dc + j, count: n)
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
