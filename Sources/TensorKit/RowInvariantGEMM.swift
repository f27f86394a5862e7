/// A matrix product whose every output row depends only on the same input row: batch-invariant.
///
/// OpenBLAS picks kernels and blockings by matrix shape, so the float result for one row of
/// `A · Wᵀ` can change in its last bits with the number of rows around it. Inference must not:
/// a customer's probability may not depend on which customers share its batch (shards of
/// churn-predict reproduce the unsharded output exactly). This kernel accumulates each output
/// over k in one fixed order, with the same instructions whatever the row's neighbours, on
/// weights transposed once into `PackedWeights`.
public enum RowInvariantGEMM {
    /// `Wᵀ` of a `(N, K)` row-major weight, stored `(K, Np)` with Np = N rounded up to 16.
    public final class PackedWeights: @unchecked Sendable {
        public let n: Int, k: Int, paddedN: Int
        public let buffer: FloatBuffer

        public init(weight: UnsafePointer<Float>, n: Int, k: Int) {
            self.n = n
            self.k = k
            paddedN = (n + 15) / 16 * 16
            buffer = FloatBuffer(count: k * paddedN)
            let p = buffer.pointer
            for row in 0..<n {
                for col in 0..<k { p[col * paddedN + row] = weight[row * k + col] }
            }
        }
    }

    /// `c (m, n) += a (m, k) · Wᵀ` with `a` rows `lda` apart and `c` rows `ldc` apart.
    ///
    /// Rows run four at a time, sixteen outputs (two `SIMD8`) per pass over k; every row sees
    /// the same sequence of multiplies and adds as it would alone.
    /// - Complexity: 2·m·n·k floating-point operations.
    @inlinable
    public static func accumulate(m: Int, a: UnsafePointer<Float>, lda: Int, weights w: PackedWeights,
                                  c: UnsafeMutablePointer<Float>, ldc: Int) {
        let k = w.k, n = w.n, np = w.paddedN
        let wt = UnsafePointer(w.buffer.pointer)
        var row = 0
        while row < m {
            let rows = min(4, m - row)
            var j = 0
            while j < np {
                let a0 = a + row * lda
                var s00 = Float8(), s01 = Float8(), s10 = Float8(), s11 = Float8()
                var s20 = Float8(), s21 = Float8(), s30 = Float8(), s31 = Float8()
                if rows == 4 {
                    let a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
                    for kk in 0..<k {
                        let w0 = VectorMath.load(wt + kk * np + j), w1 = VectorMath.load(wt + kk * np + j + 8)
                        let x0 = Float8(repeating: a0[kk]), x1 = Float8(repeating: a1[kk])
                        let x2 = Float8(repeating: a2[kk]), x3 = Float8(repeating: a3[kk])
                        s00 += x0 * w0; s01 += x0 * w1
                        s10 += x1 * w0; s11 += x1 * w1
                        s20 += x2 * w0; s21 += x2 * w1
                        s30 += x3 * w0; s31 += x3 * w1
                    }
                } else {
                    for kk in 0..<k {
                        let w0 = VectorMath.load(wt + kk * np + j), w1 = VectorMath.load(wt + kk * np + j + 8)
                        let x0 = Float8(repeating: a0[kk])
                        s00 += x0 * w0; s01 += x0 * w1
                        if rows > 1 { let x1 = Float8(repeating: a0[lda + kk]); s10 += x1 * w0; s11 += x1 * w1 }
                        if rows > 2 { let x2 = Float8(repeating: a0[2 * lda + kk]); s20 += x2 * w0; s21 += x2 * w1 }
                    }
                }
                let width = min(16, n - j)
                func put(_ r: Int, _ lo: Float8, _ hi: Float8) {
                    let out = c + (row + r) * ldc + j
                    VectorMath.store(VectorMath.load(out, count: min(8, width)) + lo, out, count: min(8, width))
                    if width > 8 { VectorMath.store(VectorMath.load(out + 8, count: width - 8) + hi, out + 8, count: width - 8) }
                }
                put(0, s00, s01)
                if rows > 1 { put(1, s10, s11) }
                if rows > 2 { put(2, s20, s21) }
                if rows > 3 { put(3, s30, s31) }
                j += 16
            }
            row += rows
        }
    }
}
