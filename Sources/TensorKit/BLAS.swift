import ChurnSupport
import COpenBLAS

/// Single-precision matrix products through OpenBLAS `cblas_sgemm`, on raw row-major buffers.
///
/// Shapes follow BLAS: `C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C`, where
/// `op(X)` is `X` or its transpose. Leading dimensions default to packed rows.
public enum BLAS {
    /// Pins OpenBLAS to one thread before the first GEMM (its default is every core).
    ///
    /// All parallelism is ours (row blocks of large GEMMs, sequence blocks of the time loops), so
    /// no idle BLAS pool spins against our threads on a small machine.
    @usableFromInline static let configureThreads: Void = { openblas_set_num_threads(1) }()

    /// Runs `body` with OpenBLAS using its own pool of `threads` threads (for measuring the
    /// library's native sgemm rate), then pins it back to one thread.
    public static func withNativeThreads<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        _ = configureThreads
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        return try body()
    }

    /// `C = alpha · op(A) · op(B) + beta · C` with row-major storage.
    /// - Parameters:
    ///   - transA: use `A` transposed; `A` is stored (K, M) then, (M, K) otherwise.
    ///   - transB: use `B` transposed; `B` is stored (N, K) then, (K, N) otherwise.
    ///   - beta: 0 overwrites `C`, 1 accumulates into it.
    /// - Complexity: 2·M·N·K floating-point operations.
    @inlinable
    public static func gemm(transA: Bool = false, transB: Bool = false,
                            m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
                            b: UnsafePointer<Float>, ldb: Int? = nil,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        _ = configureThreads
        if m == 0 || n == 0 { return }
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        let ldc = ldc ?? n
        if k == 0 {
            // BLAS leaves C untouched for K = 0 only when beta = 1; make beta = 0 mean zero.
            if beta != 1 { for row in 0..<m { for col in 0..<n { c[row * ldc + col] *= beta } } }
            return
        }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }

    /// `gemm` split into row blocks of C across `Threading.threadCount` threads, each a
    /// single-threaded BLAS call; products below about a million multiply-adds run inline.
    @inlinable
    public static func parallelGemm(transA: Bool = false, transB: Bool = false,
                                    m: Int, n: Int, k: Int,
                                    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
                                    b: UnsafePointer<Float>, ldb: Int? = nil,
                                    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil) {
        let lda = lda ?? (transA ? m : k)
        let ldb = ldb ?? (transB ? k : n)
        let ldc = ldc ?? n
        let threads = min(Threading.threadCount, max(1, m * n * k / 1_000_000), max(1, m / 16))
        if threads <= 1 {
            gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        // Blocks of rows rounded to 16 keep the kernels' register tiles whole.
        let block = (m / threads + 15) / 16 * 16
        Threading.parallelRegions(threads) { part in
            let first = part * block
            let rows = part == threads - 1 ? m - first : min(block, m - first)
            if rows <= 0 { return }
            // Row block of op(A): rows of A, or columns when A is transposed.
            let aBlock = transA ? a + first : a + first * lda
            gemm(transA: transA, transB: transB, m: rows, n: n, k: k, alpha: alpha, a: aBlock, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c + first * ldc, ldc: ldc)
        }
    }

    /// The same product computed with plain loops in Double: the reference the tests trust.
    public static func referenceGemm(transA: Bool = false, transB: Bool = false,
                                     m: Int, n: Int, k: Int,
                                     alpha: Float = 1, a: [Float], b: [Float],
                                     beta: Float = 0, c: inout [Float]) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    sum += Double(av) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])
                c[i * n + j] = Float(Double(alpha) * sum + old)
            }
        }
    }
}
