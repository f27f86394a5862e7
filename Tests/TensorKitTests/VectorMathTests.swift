import ChurnSupport
import Foundation
import XCTest
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
                    worstExp = max(worstExp, Float(abs(Double(e[k]) - ref) / ref))
                }
                worstSigmoid = max(worstSigmoid, abs(s[k] - Activation.sigmoid(xk)))
                worstTanh = max(worstTanh, abs(t[k] - Foundation.tanh(xk)))
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
}
