import CKernels

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

        /// Packs the transpose of `matrix (k, n)` row-major, rows `ldm` apart (default `n`; a
        /// larger `ldm` packs the first n columns of a wider matrix), i.e. the weight
        /// `matrixᵀ (n, k)`, so that `accumulate` computes `a · matrix`.
        public func pack(transposeOf matrix: UnsafePointer<Float>, ldm: Int? = nil) {
            let p = buffer.pointer, ldm = ldm ?? n
            precondition(ldm >= n)
            for col in 0..<k {
                let source = matrix + col * ldm
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
    /// The product runs in `CKernels` on the instruction set `isa` (by default the active one:
    /// the widest the CPU runs, or the one `CHURN_ISA` pins). Every path computes each output as
    /// the same chain of fused multiply-adds over k in the same order, so the paths agree to the
    /// last bit, and every row sees the same operations as it would alone.
    /// - Parameters:
    ///   - columnLists: scratch of `columnListCapacity(m:k:)` values, or nil to run over every
    ///     column.
    /// - Complexity: 2·m·n·k floating-point operations.
    public static func accumulate(m: Int, a: UnsafePointer<Float>, lda: Int, weights w: PackedWeights,
                                  c: UnsafeMutablePointer<Float>, ldc: Int,
                                  skippingZeroInputsWith columnLists: UnsafeMutablePointer<Int32>? = nil,
                                  initial: InitialRows? = nil, overwrite: Bool = false,
                                  isa: InstructionSet = .active) {
        precondition(isa <= InstructionSet.detected, "\(isa.rawValue) is not supported by this CPU")
        let k = w.k
        // With column lists, each block of four rows lists its nonzero input columns once (the
        // counts first, then one list of up to k columns per block): inputs that are zero in
        // every row of the block add exactly zero, so skipping them leaves each row's result
        // unchanged (up to the sign of a zero).
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
        var args = churn_gemm_args(
            m: Int32(m), k: Int32(k), n: Int32(w.n), padded_n: Int32(w.paddedN),
            a: a, lda: lda, w: UnsafePointer(w.buffer.pointer), c: c, ldc: ldc,
            counts: columnLists.map { UnsafePointer($0) }, lists: columnLists.map { UnsafePointer($0 + blocks) },
            table: initial?.table, ldt: initial?.ldt ?? 0, index: initial?.index,
            overwrite: overwrite ? 1 : 0)
        churn_row_invariant_gemm(isa.cValue, &args)
    }
}
