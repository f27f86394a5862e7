import CKernels

/// The LSTM cell's transcendental functions, vectorized, accurate to a few ulp.
///
/// The LSTM spends most of its elementwise time in `exp` and `tanh`; the C library evaluates
/// them one scalar at a time (glibc's `tanhf` goes through `expm1f`). The cell kernels
/// (`CKernels/lstm_cell.c`) evaluate Cephes' single-precision polynomials on the vectors of the
/// instruction set they run on; these functions apply the same code to arrays, for the tests
/// and for anyone who needs the cell's exact activations. Errors against the C library (tested
/// over [−100, 100]): `exp` below 3e-7 relative, `sigmoid` and `tanh` below 3e-7 absolute — far
/// inside the 1e-5 parity tolerance with PyTorch. Every instruction set gives the same bits.
public enum VectorMath {
    /// `e^x` per element; inputs are clamped to [−87.3, 88], so the result is finite and normal.
    public static func exp(_ x: [Float], isa: InstructionSet = .active) -> [Float] { apply(CHURN_EXP, x, isa) }

    /// `1 / (1 + e^−x)` per element.
    public static func sigmoid(_ x: [Float], isa: InstructionSet = .active) -> [Float] { apply(CHURN_SIGMOID, x, isa) }

    /// `tanh(x)` per element as `2·σ(2x) − 1`: one exponential and one division, no branches.
    /// Absolute error below 2e-7 (relative accuracy near 0 is not needed: the LSTM adds it to
    /// values of order one).
    public static func tanh(_ x: [Float], isa: InstructionSet = .active) -> [Float] { apply(CHURN_TANH, x, isa) }

    static func apply(_ kind: churn_activation, _ x: [Float], _ isa: InstructionSet) -> [Float] {
        precondition(isa <= .detected, "\(isa.rawValue) is not supported by this CPU")
        var y = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in
                if let input = xs.baseAddress, let output = ys.baseAddress {
                    churn_activation_apply(isa.cValue, kind, input, output, xs.count)
                }
            }
        }
        return y
    }
}
