@testable import ChurnModel
import ChurnSupport
import XCTest
import _TestSupport

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
        for (name, a, b) in [("gates", g1, g2), ("c", c1, c2), ("tanh c", t1, t2), ("h", h1, h2)] {
            assertClose(a, b, tolerance: 1e-6, "\(name) R=\(R) H=\(H)")
        }
        var dg1 = [Float](repeating: 0, count: R * 4 * H), dg2 = dg1, dc1 = dcIn, dc2 = dcIn
        LSTMKernels.cellBackward(dGates: &dg1, dc: &dc1, dh: dh, gates: g2, tanhC: t2, cPrev: cPrev, rows: R, hidden: H)
        LSTMKernels.referenceCellBackward(dGates: &dg2, dc: &dc2, dh: dh, gates: g2, tanhC: t2, cPrev: cPrev, rows: R, hidden: H)
        assertClose(dg1, dg2, tolerance: 1e-6, "dgates R=\(R) H=\(H)")
        assertClose(dc1, dc2, tolerance: 1e-6, "dc R=\(R) H=\(H)")
    }
}
