import CKernels
import TensorKit
/// Fused elementwise kernels of one LSTM time step, over `rows` rows of the packed batch.
///
/// Shapes: R = rows (active sequences at this step), H = hidden size. Gate blocks within a row
/// of `gates` are ordered i, f, g, o as in PyTorch's `nn.LSTM`. The kernels are C
/// (`CKernels/lstm_cell.c`), one variant per instruction set, run on `InstructionSet.active`
/// unless a set is given: every set computes the same bits. `referenceCellForward` and
/// `referenceCellBackward` are the plain scalar definitions that the tests compare them with.
public enum LSTMKernels {
    /// Turns gate pre-activations into activations in place and advances the cell.
    ///
    /// `gates (R, 4H)` holds the pre-activations `b + x·W_ihᵀ + h·W_hhᵀ` on entry and, when
    /// `tanhC` is given (training), `σ(i), σ(f), tanh(g), σ(o)` on exit (kept for the backward
    /// pass; inference leaves them). `cPrev (R, H)` may be nil (zero state).
    /// Writes `c (R, H)`, `tanhC (R, H)` (kept for backward; nil for inference) and `h (R, H)`.
    public static func cellForward(gates: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                                   c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>?,
                                   h: UnsafeMutablePointer<Float>, rows: Int, hidden H: Int,
                                   isa: InstructionSet = .active) {
        precondition(isa <= .detected, "\(isa.rawValue) is not supported by this CPU")
        churn_lstm_cell_forward(isa.cValue, gates, cPrev, c, tanhC, h, rows, H)
    }

    /// Backward of `cellForward` for one step: gate pre-activation gradients from `dh` and `dc`.
    ///
    /// On entry `dc (R, H)` holds the cell gradient arriving from the next step (zero at the
    /// last step of a sequence); on exit it holds the gradient for the previous step's cell,
    /// `dc·f`. Writes `dGates (R, 4H)`.
    /// - Parameters:
    ///   - dh: `(R, H)` total gradient of this step's hidden output.
    ///   - gates, tanhC: as stored by `cellForward`; `cPrev` nil at the first step.
    public static func cellBackward(dGates: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                                    dh: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                                    tanhC: UnsafePointer<Float>, cPrev: UnsafePointer<Float>?,
                                    rows: Int, hidden H: Int, isa: InstructionSet = .active) {
        precondition(isa <= .detected, "\(isa.rawValue) is not supported by this CPU")
        churn_lstm_cell_backward(isa.cValue, dGates, dc, dh, gates, tanhC, cPrev, rows, H)
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
