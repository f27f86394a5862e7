@testable import ChurnModel
import ChurnSupport
import XCTest

/// The cell kernels against their scalar references.
final class LSTMKernelsTests: XCTestCase {
    /// The SIMD cell kernels against their scalar definitions: hidden sizes with full chunks and a
    /// tail, full chunks only, and a tail only.
    func testCellKernelsMatchScalarReference() {
        for (R, H) in [(5, 13), (3, 16), (2, 3)] { checkCellKernels(R: R, H: H) }
    }

    func checkCellKernels(R: Int, H: Int) {
        var rng = SeededGenerator(seed: 7)
        func random(_ n: Int, _ scale: Float = 3) -> [Float] { (0..<n).map { _ in (rng.nextFloat() * 2 - 1) * scale } }
        let pre = random(R * 4 * H), cPrev = random(R * H, 1), dh = random(R * H, 1), dcIn = random(R * H, 1)
        var g1 = pre, g2 = pre
        var c1 = [Float](repeating: 0, count: R * H), c2 = c1, t1 = c1, t2 = c1, h1 = c1, h2 = c1
        LSTMKernels.cellForward(gates: &g1, cPrev: cPrev, c: &c1, tanhC: &t1, h: &h1, rows: R, hidden: H)
        LSTMKernels.referenceCellForward(gates: &g2, cPrev: cPrev, c: &c2, tanhC: &t2, h: &h2, rows: R, hidden: H)
        for (a, b) in [(g1, g2), (c1, c2), (t1, t2), (h1, h2)] {
            XCTAssertLessThan(zip(a, b).map { abs($0 - $1) }.max()!, 1e-6)
        }
        var dg1 = [Float](repeating: 0, count: R * 4 * H), dg2 = dg1, dc1 = dcIn, dc2 = dcIn
        LSTMKernels.cellBackward(dGates: &dg1, dc: &dc1, dh: dh, gates: g2, tanhC: t2, cPrev: cPrev, rows: R, hidden: H)
        LSTMKernels.referenceCellBackward(dGates: &dg2, dc: &dc2, dh: dh, gates: g2, tanhC: t2, cPrev: cPrev, rows: R, hidden: H)
        XCTAssertLessThan(zip(dg1, dg2).map { abs($0 - $1) }.max()!, 1e-6)
        XCTAssertLessThan(zip(dc1, dc2).map { abs($0 - $1) }.max()!, 1e-6)
    }
}
