import ChurnSupport
import CKernels

/// `c = aᵀ · b` summed over a long k: the weight gradients of a layer, `dgatesᵀ · inputs` over
/// every packed row of a batch.
///
/// OpenBLAS's kernels on these shapes (a few hundred outputs by about a hundred, k in the
/// thousands) run at a fraction of the machine's multiply-add rate and pick their blocking by
/// shape and CPU. This kernel (`CKernels/gemm_tn.c`, one variant per instruction set) sums each
/// output over k in order with fused multiply-adds, so every path, and every split of the output
/// rows across threads, gives the same bits.
public enum TransposedGEMM {
    /// `c (m, n) = aᵀ · b` for `a (k, m)` and `b (k, n)` row-major, rows `lda`, `ldb` and `ldc`
    /// apart; the rows of c are split across `Threading.threadCount` threads.
    /// - Complexity: 2·m·n·k floating-point operations.
    public static func product(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                               b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               isa: InstructionSet = .active) {
        precondition(isa <= InstructionSet.detected, "\(isa.rawValue) is not supported by this CPU")
        precondition(m >= 0 && n >= 0 && k >= 0 && lda >= m && ldb >= n && ldc >= n)
        // Blocks of whole four-row tiles, and enough work per thread to pay for waking it.
        let threads = min(Threading.threadCount, max(1, m * n * k / 1_000_000), max(1, m / 16))
        let block = (m + threads - 1) / threads
        let rowsPerPart = (block + 3) / 4 * 4
        let parts = (m + rowsPerPart - 1) / max(1, rowsPerPart)
        Threading.parallelRegions(max(1, parts)) { part in
            let first = part * rowsPerPart, rows = min(rowsPerPart, m - first)
            if rows <= 0 { return }
            var args = churn_gemm_tn_args(m: Int32(rows), n: Int32(n), k: Int32(k), a: a + first, lda: lda,
                                          b: b, ldb: ldb, c: c + first * ldc, ldc: ldc)
            churn_gemm_tn(isa.cValue, &args)
        }
    }
}
