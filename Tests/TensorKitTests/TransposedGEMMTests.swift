import ChurnSupport
import Foundation
import XCTest
@testable import TensorKit

/// The weight-gradient product `aᵀ · b`: correct against float64, and the same bits on every
/// instruction set and every thread count.
final class TransposedGEMMTests: XCTestCase {
    /// Shapes with tails of four-row tiles and of 8-, 16- and 32-wide column tiles, a k shorter
    /// than one cache block and several blocks with a tail, and leading dimensions wider than
    /// the matrices.
    let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (4, 16, 130), (13, 40, 300), (128, 63, 257), (36, 97, 129)]

    func run(m: Int, n: Int, k: Int, a: [Float], b: [Float], isa: InstructionSet, threads: Int) -> [Float] {
        let lda = m + 2, ldb = n + 3, ldc = n + 1
        var c = [Float](repeating: .nan, count: m * ldc)
        Threading.withThreadCount(threads) {
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        TransposedGEMM.product(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                               c: cp.baseAddress!, ldc: ldc, isa: isa)
                    }
                }
            }
        }
        // The padding columns of c are untouched.
        for i in 0..<m { XCTAssert(c[i * ldc + n].isNaN, "padding of row \(i) overwritten") }
        return (0..<m).flatMap { i in c[(i * ldc)..<(i * ldc + n)] }
    }

    func testEveryPathAndThreadCountGivesTheSameBitsAndTheRightSums() {
        var rng = SeededGenerator(seed: 21)
        for (m, n, k) in shapes {
            let a = (0..<(k * (m + 2))).map { _ in Float(rng.nextGaussian()) }
            let b = (0..<(k * (n + 3))).map { _ in Float(rng.nextGaussian()) }
            let reference = run(m: m, n: n, k: k, a: a, b: b, isa: .portable, threads: 1)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for kk in 0..<k { sum += Double(a[kk * (m + 2) + i]) * Double(b[kk * (n + 3) + j]) }
                    let got = reference[i * n + j]
                    XCTAssert(abs(Double(got) - sum) <= 1e-5 * Double(k).squareRoot() * 4, "(\(i), \(j)) of \(m)×\(n)×\(k): \(got) vs \(sum)")
                }
            }
            for isa in InstructionSet.supported {
                for threads in [1, 2, 3] {
                    let c = run(m: m, n: n, k: k, a: a, b: b, isa: isa, threads: threads)
                    XCTAssertEqual(c.map(\.bitPattern), reference.map(\.bitPattern), "\(m)×\(n)×\(k) on \(isa.rawValue), \(threads) threads")
                }
            }
        }
    }

    /// k = 0 is a zero product, not whatever c held.
    func testAnEmptySumIsZero() {
        for isa in InstructionSet.supported {
            XCTAssertEqual(run(m: 5, n: 3, k: 0, a: [0], b: [0], isa: isa, threads: 1), [Float](repeating: 0, count: 15))
        }
    }
}
