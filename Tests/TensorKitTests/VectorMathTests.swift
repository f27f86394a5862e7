import ChurnSupport
import Foundation
import XCTest
import _TestSupport
@testable import TensorKit

final class VectorMathTests: XCTestCase {
    /// Sweeps [−100, 100] densely and compares with the C library.
    func testTranscendentalsMatchTheCLibrary() {
        var worstExp: Float = 0, worstSigmoid: Float = 0, worstTanh: Float = 0
        var x: Float = -100
        while x < 100 {
            let v = Float8((0..<8).map { x + Float($0) * 0.0013 })
            let e = VectorMath.exp(v), s = VectorMath.sigmoid(v), t = VectorMath.tanh(v)
            for k in 0..<8 {
                let xk = v[k]
                if xk > -87 && xk < 88 {
                    let ref = Foundation.exp(Double(xk))
                    worstExp = maximumPropagatingNaN(worstExp, Float(abs(Double(e[k]) - ref) / ref))
                }
                worstSigmoid = maximumPropagatingNaN(worstSigmoid, abs(s[k] - Activation.sigmoid(xk)))
                worstTanh = maximumPropagatingNaN(worstTanh, abs(t[k] - Foundation.tanh(xk)))
            }
            x += 0.0107
        }
        print("exp max rel err \(worstExp), sigmoid max abs err \(worstSigmoid), tanh max abs err \(worstTanh)")
        XCTAssertLessThan(worstExp, 3e-7)
        XCTAssertLessThan(worstSigmoid, 2e-7)
        XCTAssertLessThan(worstTanh, 3e-7)
    }

    func testExtremesStayFinite() {
        let v = Float8(-1e30, -1000, -88, 0, 88, 1000, 1e30, -0.0)
        XCTAssert(VectorMath.exp(v).indices.allSatisfy { VectorMath.exp(v)[$0].isFinite })
        let s = VectorMath.sigmoid(v), t = VectorMath.tanh(v)
        XCTAssertEqual(s[0], 0, accuracy: 1e-30); XCTAssertEqual(s[6], 1)
        XCTAssertEqual(t[0], -1); XCTAssertEqual(t[6], 1); XCTAssertEqual(t[3], 0)
    }

    // Special inputs: lanes 0 NaN, 1 −∞, 2 +∞, 3 +0, 4 −0, 5 the smallest subnormal,
    // 6 a negative subnormal, 7 a positive subnormal.
    let special = Float8(.nan, -.infinity, .infinity, 0, -0.0, .leastNonzeroMagnitude,
                         -Float.leastNormalMagnitude / 4, Float.leastNormalMagnitude / 3)

    func testExpOfSpecialInputs() {
        let e = VectorMath.exp(special)
        XCTAssert(e[0].isNaN, "exp(NaN) = \(e[0])")
        // The documented clamp to [−87.3, 88]: exp(−∞) is e^−87.3 ≈ 1.2e−38, the bottom of the
        // normal range, rather than 0 (an absolute error below FLT_MIN); exp(+∞) is e^88 ≈ 1.65e38,
        // finite, rather than +∞.
        XCTAssertEqual(e[1], VectorMath.exp(Float8(repeating: -87.3))[0])
        XCTAssert(e[1] > 0 && e[1].isNormal && e[1] < 1.3e-38, "exp(−∞) = \(e[1])")
        XCTAssertEqual(e[2], VectorMath.exp(Float8(repeating: 88))[0])
        XCTAssert(e[2].isFinite && e[2] > 1.6e38, "exp(+∞) = \(e[2])")
        // e^x = 1 + x + …: exactly 1 for ±0 and every subnormal.
        for k in 3..<8 { XCTAssertEqual(e[k], 1, "exp(\(special[k]))") }
    }

    func testSigmoidOfSpecialInputs() {
        let s = VectorMath.sigmoid(special)
        XCTAssert(s[0].isNaN, "sigmoid(NaN) = \(s[0])")
        // σ(−∞) is 1 / (1 + e^88) ≈ 6e−39 (a subnormal) rather than 0: inside the kernel's
        // absolute-error bound, and never negative.
        XCTAssert(s[1] >= 0 && s[1] < 1e-38, "sigmoid(−∞) = \(s[1])")
        XCTAssertEqual(s[2], 1, "sigmoid(+∞)")
        for k in 3..<8 { XCTAssertEqual(s[k], 0.5, "sigmoid(\(special[k]))") }
        // The scalar reference is exact at the ends.
        XCTAssertEqual(Activation.sigmoid(-.infinity), 0)
        XCTAssertEqual(Activation.sigmoid(.infinity), 1)
        XCTAssert(Activation.sigmoid(.nan).isNaN)
        XCTAssertEqual(Activation.sigmoid(-0.0), 0.5)
    }

    func testTanhOfSpecialInputs() {
        let t = VectorMath.tanh(special)
        XCTAssert(t[0].isNaN, "tanh(NaN) = \(t[0])")
        XCTAssertEqual(t[1], -1, "tanh(−∞)")
        XCTAssertEqual(t[2], 1, "tanh(+∞)")
        XCTAssertEqual(t[3], 0, "tanh(+0)")
        XCTAssertEqual(t[3].sign, .plus, "tanh(+0)")
        // tanh(−0) is −0 in IEEE arithmetic; 2σ(2x) − 1 gives +0 (equal as a value). Subnormals
        // give 0 instead of x: inside the documented absolute error, not relative accuracy.
        XCTAssertEqual(t[4], 0, "tanh(−0)")
        for k in 5..<8 {
            XCTAssert(t[k].isFinite && abs(t[k] - special[k]) <= 2e-7, "tanh(\(special[k])) = \(t[k])")
            XCTAssert(t[k] == 0 || t[k].sign == special[k].sign, "tanh(\(special[k])) = \(t[k]) has the wrong sign")
        }
        XCTAssertEqual(Activation.tanh(-0.0).sign, .minus, "the scalar reference keeps the sign of zero")
    }

    /// A special value in one lane leaves the other lanes' results bitwise unchanged.
    func testSpecialLanesDoNotLeakIntoOthers() {
        let finite = Float8(-3, -0.5, 0.25, 1, 2.5, -7, 10, 0.001)
        for lane in 0..<8 {
            for value: Float in [.nan, .infinity, -.infinity, .leastNonzeroMagnitude] {
                var mixed = finite
                mixed[lane] = value
                for (name, f) in [("exp", VectorMath.exp), ("sigmoid", VectorMath.sigmoid), ("tanh", VectorMath.tanh)] as [(String, (Float8) -> Float8)] {
                    let clean = f(finite), dirty = f(mixed)
                    for k in 0..<8 where k != lane {
                        XCTAssertEqual(dirty[k].bitPattern, clean[k].bitPattern, "\(name): \(value) in lane \(lane) changed lane \(k)")
                    }
                }
            }
        }
    }
}
