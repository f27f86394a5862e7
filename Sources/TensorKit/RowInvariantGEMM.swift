/// A matrix product whose every output row depends only on the same input row: batch-invariant.
///
/// OpenBLAS picks kernels and blockings by matrix shape, so the float result for one row of
/// `A · Wᵀ` can change in its last bits with the number of rows around it. Inference must not:
/// a customer's probability may not depend on which customers share its batch (shards of
/// churn-predict reproduce the unsharded output exactly). This kernel accumulates each output
/// over k in one fixed order, with the same instructions whatever the row's neighbours, on
/// weights transposed once into `PackedWeights`.
public enum RowInvariantGEMM {
    /// `Wᵀ` of a `(N, K)` row-major weight in slices of sixteen outputs: slice s holds
    /// `Wᵀ[:, 16s ..< 16s+16]` as `(K, 16)` contiguous floats (N padded to a multiple of 16 with
    /// zeros), so a kernel pass over k reads one contiguous block instead of lines 4 KB apart
    /// that would all fall into the same L1 set.
    public final class PackedWeights: @unchecked Sendable {
        public let n: Int, k: Int, paddedN: Int
        public let buffer: FloatBuffer

        /// Packs `weight (n, k)`, rows `ldw` apart (default `k`: contiguous; a larger `ldw` packs
        /// a block of columns of a wider matrix).
        public convenience init(weight: UnsafePointer<Float>, n: Int, k: Int, ldw: Int? = nil) {
            self.init(n: n, k: k)
            pack(weight: weight, ldw: ldw ?? k, columns: k, at: 0)
        }

        /// Room for a `(n, k)` weight, zero until packed.
        public init(n: Int, k: Int) {
            self.n = n
            self.k = k
            paddedN = (n + 15) / 16 * 16
            buffer = FloatBuffer(count: k * paddedN)
        }

        /// Packs `weight (n, columns)` row-major, rows `ldw` apart, as columns
        /// `offset ..< offset + columns` of the packed `(n, k)` weight: concatenating weights
        /// that multiply concatenated inputs (`[W_ih | W_hh]` for `[x | h]`).
        public func pack(weight: UnsafePointer<Float>, ldw: Int, columns: Int, at offset: Int) {
            precondition(offset >= 0 && offset + columns <= k)
            let p = buffer.pointer
            for row in 0..<n {
                let slice = p + (row / 16) * (k * 16) + row % 16
                for col in 0..<columns { slice[(offset + col) * 16] = weight[row * ldw + col] }
            }
        }

        /// Packs the transpose of `matrix (k, n)` row-major, i.e. the weight `matrixᵀ (n, k)`,
        /// so that `accumulate` computes `a · matrix`.
        public func pack(transposeOf matrix: UnsafePointer<Float>) {
            let p = buffer.pointer
            for col in 0..<k {
                let source = matrix + col * n
                for row in 0..<n { p[(row / 16) * (k * 16) + col * 16 + row % 16] = source[row] }
            }
        }
    }

    /// Rows of a table that start the sums of `accumulate` in place of zero: row r of the
    /// product starts from `table + Int(index[r]) * ldt` (n floats). A product over the first
    /// columns of a wider input, tabulated per distinct value of those columns (an embedding:
    /// one row per event type), continues there exactly as if those columns had been summed first.
    public struct InitialRows {
        public var table: UnsafePointer<Float>
        public var ldt: Int
        public var index: UnsafePointer<Int32>
        @inlinable
        public init(table: UnsafePointer<Float>, ldt: Int, index: UnsafePointer<Int32>) {
            self.table = table; self.ldt = ldt; self.index = index
        }
    }

    /// The number of `Int32`s of scratch that `accumulate` needs to skip the zero inputs of
    /// an `(m, k)` input: per block of four rows, a count and a list of up to k columns.
    @inlinable
    public static func columnListCapacity(m: Int, k: Int) -> Int { (m + 3) / 4 * (k + 1) }

    /// `c (m, n) += a (m, k) · Wᵀ` with `a` rows `lda` apart and `c` rows `ldc` apart; with
    /// `initial`, `c += initial row + a · Wᵀ`, the row's sum continuing from the table row;
    /// with `overwrite`, `c =` instead of `c +=` (c is not read).
    ///
    /// With `columnLists`, columns of `a` that are zero in a whole block of four rows are
    /// skipped, which pays for sparse inputs (per-step features that are 0 on most steps) and
    /// not for dense ones. The lists are built in the caller's scratch, so the kernel allocates
    /// nothing.
    ///
    /// Rows run four at a time, sixteen outputs (two `SIMD8`) per pass over k: eight
    /// accumulators, two weight loads and four broadcasts per k. Every row sees the same
    /// sequence of operations as it would alone (a tail row runs the same loop body).
    /// - Parameters:
    ///   - columnLists: scratch of `columnListCapacity(m:k:)` values, or nil to run over every
    ///     column.
    /// - Complexity: 2·m·n·k floating-point operations.
    @inlinable
    public static func accumulate(m: Int, a: UnsafePointer<Float>, lda: Int, weights w: PackedWeights,
                                  c: UnsafeMutablePointer<Float>, ldc: Int,
                                  skippingZeroInputsWith columnLists: UnsafeMutablePointer<Int32>? = nil,
                                  initial: InitialRows? = nil, overwrite: Bool = false) {
        let k = w.k, n = w.n, np = w.paddedN
        let wt = UnsafePointer(w.buffer.pointer)
        // With column lists, each block of four rows lists its nonzero input columns once (the
        // counts first, then one list of up to k columns per block), so that the column slices
        // below do not rescan the zeros.
        let blocks = columnLists == nil ? 0 : (m + 3) / 4
        for b in 0..<blocks {
            let a0 = a + b * 4 * lda, rows = min(4, m - b * 4)
            let list = columnLists! + blocks + b * k
            var count: Int32 = 0
            for kk in 0..<k {
                var any: UInt32 = 0
                for r in 0..<rows { any |= a0[r * lda + kk].bitPattern }
                if any != 0 { list[Int(count)] = Int32(kk); count += 1 }
            }
            columnLists![b] = count
        }
        // Column slices outermost: a slice of Wᵀ (k × 16 floats) stays in L1 across all row
        // blocks. Each output still accumulates over k in the same order, whatever m is.
        var j = 0
        while j < np {
            let width = min(16, n - j)
            var row = 0
            while row < m {
                let rows = min(4, m - row)
                // Tail rows read row 0 again (their sums are discarded), so one loop body serves all.
                let a0 = a + row * lda
                let a1 = rows > 1 ? a0 + lda : a0, a2 = rows > 2 ? a0 + 2 * lda : a0
                let a3 = rows > 3 ? a0 + 3 * lda : a0
                var s00 = Float8(), s01 = Float8(), s10 = Float8(), s11 = Float8(), s20 = Float8(), s21 = Float8()
                var s30 = Float8(), s31 = Float8()
                if let initial {
                    // Tail rows start from row 0's table row, as they read row 0's inputs.
                    func start(_ r: Int) -> (Float8, Float8) {
                        let t = initial.table + Int(initial.index[row + (r < rows ? r : 0)]) * initial.ldt + j
                        return (VectorMath.load(t, count: min(8, width)),
                                width > 8 ? VectorMath.load(t + 8, count: width - 8) : Float8())
                    }
                    (s00, s01) = start(0); (s10, s11) = start(1); (s20, s21) = start(2); (s30, s31) = start(3)
                }
                let slice = wt + (j / 16) * (k * 16)
                // VectorMath.madd: one fused multiply-add per lane where the target has FMA, the
                // same chain for every row either way.
                @inline(__always) func step(_ kk: Int) {
                    let wp = slice + kk * 16
                    let w0 = UnsafeRawPointer(wp).load(as: Float8.self), w1 = UnsafeRawPointer(wp + 8).load(as: Float8.self)
                    var x = Float8(repeating: a0[kk]); s00 = VectorMath.madd(x, w0, s00); s01 = VectorMath.madd(x, w1, s01)
                    x = Float8(repeating: a1[kk]); s10 = VectorMath.madd(x, w0, s10); s11 = VectorMath.madd(x, w1, s11)
                    x = Float8(repeating: a2[kk]); s20 = VectorMath.madd(x, w0, s20); s21 = VectorMath.madd(x, w1, s21)
                    x = Float8(repeating: a3[kk]); s30 = VectorMath.madd(x, w0, s30); s31 = VectorMath.madd(x, w1, s31)
                }
                if let columnLists {
                    // Inputs that are zero in every row of the block add exactly zero: skipping
                    // them leaves each row's result unchanged (up to the sign of a zero).
                    let list = columnLists + blocks + (row / 4) * k
                    for index in 0..<Int(columnLists[row / 4]) { step(Int(list[index])) }
                } else {
                    for kk in 0..<k { step(kk) }
                }
                func put(_ r: Int, _ lo: Float8, _ hi: Float8) {
                    let out = c + (row + r) * ldc + j
                    if overwrite {
                        VectorMath.store(lo, out, count: min(8, width))
                        if width > 8 { VectorMath.store(hi, out + 8, count: width - 8) }
                    } else {
                        VectorMath.store(VectorMath.load(out, count: min(8, width)) + lo, out, count: min(8, width))
                        if width > 8 { VectorMath.store(VectorMath.load(out + 8, count: width - 8) + hi, out + 8, count: width - 8) }
                    }
                }
                put(0, s00, s01)
                if rows > 1 { put(1, s10, s11) }
                if rows > 2 { put(2, s20, s21) }
                if rows > 3 { put(3, s30, s31) }
                row += rows
            }
            j += 16
        }
    }
}
