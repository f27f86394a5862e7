import ChurnSupport
import XCTest
import _TestSupport
@testable import TensorKit

final class BLASTests: XCTestCase {
    /// Every transpose combination and both beta modes against the naive Double reference.
    func testGemmMatchesReferenceForAllTransposesAndAccumulation() {
        var rng = SeededGenerator(seed: 42)
        let (m, n, k) = (7, 5, 9)
        for transA in [false, true] {
            for transB in [false, true] {
                for beta: Float in [0, 1, 0.5] {
                    let a = (0..<m * k).map { _ in rng.nextFloat() - 0.5 }
                    let b = (0..<k * n).map { _ in rng.nextFloat() - 0.5 }
                    let c0 = (0..<m * n).map { _ in rng.nextFloat() }
                    var expected = c0
                    BLAS.referenceGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5,
                                       a: a, b: b, beta: beta, c: &expected)
                    var actual = c0
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            actual.withUnsafeMutableBufferPointer { pc in
                                BLAS.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1.5,
                                          a: pa.baseAddress!, b: pb.baseAddress!, beta: beta, c: pc.baseAddress!)
                            }
                        }
                    }
                    assertClose(actual, expected, tolerance: 1e-5, "transA \(transA) transB \(transB) beta \(beta)")
                }
            }
        }
    }

    func testZeroInnerDimensionClearsOutputWhenBetaIsZero() {
        var c: [Float] = [3, 4]
        let empty: [Float] = [0]
        empty.withUnsafeBufferPointer { e in
            c.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(m: 1, n: 2, k: 0, a: e.baseAddress!, b: e.baseAddress!, beta: 0, c: pc.baseAddress!)
            }
        }
        XCTAssertEqual(c, [0, 0])
    }

    func testParallelForCoversEveryIndexOnce() {
        for threads in [1, 2, 3] {
            var hits = [Int](repeating: 0, count: 10_001)
            hits.withUnsafeMutableBufferPointer { buffer in
                let p = buffer.baseAddress!
                Threading.withThreadCount(threads) {
                    Threading.parallelFor(buffer.count, minimumPerThread: 100) { range in
                        for i in range { p[i] += 1 }
                    }
                }
            }
            XCTAssertEqual(Set(hits), [1], "\(threads) threads")
        }
    }
}
