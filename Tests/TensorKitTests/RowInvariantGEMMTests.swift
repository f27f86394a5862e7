import ChurnSupport
import XCTest
@testable import TensorKit

/// The batch-invariant inference kernel: correct against a plain triple loop, the same bits for
/// a row whatever shares its block, and skipping zero inputs changes nothing.
final class RowInvariantGEMMTests: XCTestCase {
    /// `m × k` inputs where most columns are zero on most rows (like per-step features that are
    /// only set on the cutoff step), and a few rows dense.
    func sparseInputs(m: Int, k: Int, using rng: inout SeededGenerator) -> [Float] {
        var a = [Float](repeating: 0, count: m * k)
        for r in 0..<m {
            let dense = rng.nextInt(below: 7) == 0
            for c in 0..<k where dense || c < 5 || rng.nextInt(below: 10) == 0 {
                a[r * k + c] = Float(rng.nextGaussian())
            }
        }
        return a
    }

    /// Runs `body` with scratch for the column lists of an `(m, k)` input, or nil without `skip`.
    func withColumnLists<R>(_ skip: Bool, m: Int, k: Int, _ body: (UnsafeMutablePointer<Int32>?) -> R) -> R {
        guard skip else { return body(nil) }
        var lists = [Int32](repeating: -1, count: RowInvariantGEMM.columnListCapacity(m: m, k: k))
        return lists.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    func run(_ a: [Float], m: Int, weights: RowInvariantGEMM.PackedWeights, bias: [Float], skip: Bool) -> [Float] {
        var c = (0..<m).flatMap { _ in bias }
        a.withUnsafeBufferPointer { ap in
            c.withUnsafeMutableBufferPointer { cp in
                withColumnLists(skip, m: m, k: weights.k) { lists in
                    RowInvariantGEMM.accumulate(m: m, a: ap.baseAddress!, lda: weights.k, weights: weights,
                                                c: cp.baseAddress!, ldc: weights.n, skippingZeroInputsWith: lists)
                }
            }
        }
        return c
    }

    func testSkippingZeroInputsIsExactAndRowInvariant() {
        var rng = SeededGenerator(seed: 21)
        // Row counts leave every remainder mod 6 (the two-row tail pass) and none.
        for (m, n, k) in [(1, 8, 3), (13, 40, 63), (37, 128, 17), (6, 16, 1), (8, 24, 5), (16, 32, 9), (11, 16, 20), (29, 48, 7)] {
            let w = (0..<n * k).map { _ in Float(rng.nextGaussian()) }
            let bias = (0..<n).map { _ in Float(rng.nextGaussian()) }
            let packed = w.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: k) }
            let a = sparseInputs(m: m, k: k, using: &rng)
            let dense = run(a, m: m, weights: packed, bias: bias, skip: false)
            let skipped = run(a, m: m, weights: packed, bias: bias, skip: true)
            XCTAssertEqual(dense, skipped, "m=\(m) n=\(n) k=\(k)")
            for r in 0..<m {
                var expected = [Double](repeating: 0, count: n)
                for j in 0..<n {
                    expected[j] = Double(bias[j]) + (0..<k).reduce(0.0) { $0 + Double(a[r * k + $1]) * Double(w[j * k + $1]) }
                    XCTAssertEqual(Double(skipped[r * n + j]), expected[j], accuracy: 1e-4 * max(1, abs(expected[j])))
                }
                // Alone, the row gets exactly the bits it got in the block.
                let alone = run(Array(a[r * k ..< (r + 1) * k]), m: 1, weights: packed, bias: bias, skip: true)
                XCTAssertEqual(alone, Array(skipped[r * n ..< (r + 1) * n]), "row \(r) alone, m=\(m)")
            }
        }
    }

    /// Inference's tabulated embedding: a product over `[table-indexed columns, rest]` equals,
    /// bit for bit, the rest's product started from the tabulated rows of the first columns.
    func testStartingFromTabulatedRowsEqualsSummingThoseColumnsInPlace() {
        var rng = SeededGenerator(seed: 8)
        for (m, n, e, f, v) in [(13, 128, 16, 47, 9), (5, 40, 3, 6, 4), (1, 16, 8, 0, 2), (22, 24, 5, 9, 30)] {
            let k = e + f
            let table = (0..<v * e).map { _ in Float(rng.nextGaussian()) }          // (v, e)
            let ids = (0..<m).map { _ in Int32(rng.nextInt(below: v)) }
            let rest = sparseInputs(m: m, k: f, using: &rng)
            var full = [Float](repeating: 0, count: m * k)
            for r in 0..<m {
                for c in 0..<e { full[r * k + c] = table[Int(ids[r]) * e + c] }
                for c in 0..<f { full[r * k + e + c] = rest[r * f + c] }
            }
            let w = (0..<n * k).map { _ in Float(rng.nextGaussian()) }
            let bias = (0..<n).map { _ in Float(rng.nextGaussian()) }
            let packed = w.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: k) }
            for skip in [false, true] {
                let expected = run(full, m: m, weights: packed, bias: bias, skip: skip)
                // Tabulate: rows of table · W[:, :e]ᵀ from zero; then W[:, e:] from those rows.
                let head = w.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: e, ldw: k) }
                let tail = w.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress! + e, n: n, k: f, ldw: k) }
                var gates = [Float](repeating: 0, count: v * n)
                table.withUnsafeBufferPointer { tp in
                    gates.withUnsafeMutableBufferPointer { gp in
                        RowInvariantGEMM.accumulate(m: v, a: tp.baseAddress!, lda: e, weights: head, c: gp.baseAddress!, ldc: n)
                    }
                }
                var c = (0..<m).flatMap { _ in bias }
                rest.withUnsafeBufferPointer { ap in
                    gates.withUnsafeBufferPointer { gp in
                        ids.withUnsafeBufferPointer { ip in
                            c.withUnsafeMutableBufferPointer { cp in
                                self.withColumnLists(skip, m: m, k: f) { lists in
                                    RowInvariantGEMM.accumulate(m: m, a: ap.baseAddress ?? gp.baseAddress!, lda: f, weights: tail,
                                                                c: cp.baseAddress!, ldc: n, skippingZeroInputsWith: lists,
                                                                initial: .init(table: gp.baseAddress!, ldt: n, index: ip.baseAddress!))
                                }
                            }
                        }
                    }
                }
                XCTAssertEqual(c, expected, "m=\(m) n=\(n) e=\(e) f=\(f) skip=\(skip)")
            }
        }
    }

    /// `overwrite` writes the sums without reading `c` (NaN there must not leak): the same bits
    /// as accumulating the same sums into zeros.
    func testOverwriteIgnoresWhatCHeld() {
        var rng = SeededGenerator(seed: 11)
        for (m, n, k) in [(7, 40, 9), (4, 16, 3), (1, 20, 1)] {
            let w = (0..<n * k).map { _ in Float(rng.nextGaussian()) }, bias = (0..<n).map { _ in Float(rng.nextGaussian()) }
            let a = sparseInputs(m: m, k: k, using: &rng), zeros = [Int32](repeating: 0, count: m)
            let packed = w.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: k) }
            func product(start: Float, overwrite: Bool) -> [Float] {
                var c = [Float](repeating: start, count: m * n)
                a.withUnsafeBufferPointer { ap in
                    bias.withUnsafeBufferPointer { bp in
                        zeros.withUnsafeBufferPointer { zp in
                            c.withUnsafeMutableBufferPointer { cp in
                                self.withColumnLists(true, m: m, k: k) { lists in
                                    RowInvariantGEMM.accumulate(m: m, a: ap.baseAddress!, lda: k, weights: packed, c: cp.baseAddress!, ldc: n,
                                                                skippingZeroInputsWith: lists,
                                                                initial: .init(table: bp.baseAddress!, ldt: 0, index: zp.baseAddress!),
                                                                overwrite: overwrite)
                                }
                            }
                        }
                    }
                }
                return c
            }
            let overwritten = product(start: .nan, overwrite: true)
            XCTAssertEqual(overwritten, product(start: 0, overwrite: false), "m=\(m) n=\(n) k=\(k)")
            XCTAssertFalse(overwritten.contains { $0.isNaN })
        }
    }

    /// Every instruction-set path this CPU runs gives the same bits as the portable one (the same
    /// chain of fused multiply-adds per output), for every tail of rows and of outputs — n below
    /// eight, between eight and sixteen, an odd number of sixteen-wide slices (AVX-512 pairs
    /// them) — with and without skipped zeros, table rows and overwrite.
    func testEveryInstructionSetPathGivesTheSameBits() {
        var rng = SeededGenerator(seed: 17)
        for (m, n, k) in [(1, 3, 5), (6, 13, 17), (9, 24, 31), (13, 48, 7), (4, 40, 64), (17, 96, 33), (3, 128, 1)] {
            let w = (0..<n * k).map { _ in Float(rng.nextGaussian()) }
            let packed = w.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: k) }
            let a = sparseInputs(m: m, k: k, using: &rng)
            let start = (0..<m * n).map { _ in Float(rng.nextGaussian()) }
            let table = (0..<3 * n).map { _ in Float(rng.nextGaussian()) }
            let index = (0..<m).map { _ in Int32(rng.nextInt(below: 3)) }
            for skip in [false, true] {
                for tabulated in [false, true] {
                    for overwrite in [false, true] {
                        func product(_ isa: InstructionSet) -> [Float] {
                            var c = start
                            a.withUnsafeBufferPointer { ap in
                                table.withUnsafeBufferPointer { tp in
                                    index.withUnsafeBufferPointer { ip in
                                        c.withUnsafeMutableBufferPointer { cp in
                                            self.withColumnLists(skip, m: m, k: k) { lists in
                                                RowInvariantGEMM.accumulate(
                                                    m: m, a: ap.baseAddress!, lda: k, weights: packed, c: cp.baseAddress!, ldc: n,
                                                    skippingZeroInputsWith: lists,
                                                    initial: tabulated ? .init(table: tp.baseAddress!, ldt: n, index: ip.baseAddress!) : nil,
                                                    overwrite: overwrite, isa: isa)
                                            }
                                        }
                                    }
                                }
                            }
                            return c
                        }
                        let portable = product(.portable)
                        // The portable path against a float64 triple loop: it is a correct product.
                        for r in 0..<m {
                            for j in 0..<n {
                                var expected = overwrite ? 0 : Double(start[r * n + j])
                                if tabulated { expected += Double(table[Int(index[r]) * n + j]) }
                                for kk in 0..<k { expected += Double(a[r * k + kk]) * Double(w[j * k + kk]) }
                                XCTAssertEqual(Double(portable[r * n + j]), expected, accuracy: 1e-4 * max(1, abs(expected)),
                                               "m=\(m) n=\(n) k=\(k) row \(r) output \(j)")
                            }
                        }
                        for isa in InstructionSet.supported where isa != .portable {
                            let bits = product(isa)
                            XCTAssertEqual(bits.map(\.bitPattern), portable.map(\.bitPattern),
                                           "\(isa) vs portable: m=\(m) n=\(n) k=\(k) skip=\(skip) table=\(tabulated) overwrite=\(overwrite)")
                        }
                    }
                }
            }
        }
    }

    /// `[A | B]` packed from its two blocks (as `[W_ih | W_hh]`) equals the concatenation packed whole.
    func testPackingColumnBlocksEqualsPackingTheConcatenation() {
        var rng = SeededGenerator(seed: 3)
        for (n, ka, kb) in [(40, 7, 9), (16, 32, 64), (5, 1, 3)] {
            let a = (0..<n * ka).map { _ in Float(rng.nextGaussian()) }, b = (0..<n * kb).map { _ in Float(rng.nextGaussian()) }
            var whole: [Float] = []
            for r in 0..<n {
                whole += a[(r * ka)..<((r + 1) * ka)]
                whole += b[(r * kb)..<((r + 1) * kb)]
            }
            let direct = whole.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: ka + kb) }
            let blocks = RowInvariantGEMM.PackedWeights(n: n, k: ka + kb)
            a.withUnsafeBufferPointer { blocks.pack(weight: $0.baseAddress!, ldw: ka, columns: ka, at: 0) }
            b.withUnsafeBufferPointer { blocks.pack(weight: $0.baseAddress!, ldw: kb, columns: kb, at: ka) }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: direct.buffer.pointer, count: direct.buffer.count)),
                           Array(UnsafeBufferPointer(start: blocks.buffer.pointer, count: blocks.buffer.count)), "n=\(n)")
        }
    }

    func testPackingTheTransposeEqualsPackingTheTransposedMatrix() {
        var rng = SeededGenerator(seed: 5)
        for (n, k) in [(20, 7), (16, 64), (3, 33)] {
            // matrix (k, n) row-major; its transpose (n, k) is the weight.
            let matrix = (0..<k * n).map { _ in Float(rng.nextGaussian()) }
            var transposed = [Float](repeating: 0, count: n * k)
            for row in 0..<k { for col in 0..<n { transposed[col * k + row] = matrix[row * n + col] } }
            let direct = transposed.withUnsafeBufferPointer { RowInvariantGEMM.PackedWeights(weight: $0.baseAddress!, n: n, k: k) }
            let viaTranspose = RowInvariantGEMM.PackedWeights(n: n, k: k)
            matrix.withUnsafeBufferPointer { viaTranspose.pack(transposeOf: $0.baseAddress!) }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: direct.buffer.pointer, count: direct.buffer.count)),
                           Array(UnsafeBufferPointer(start: viaTranspose.buffer.pointer, count: viaTranspose.buffer.count)), "n=\(n) k=\(k)")
        }
    }
}
