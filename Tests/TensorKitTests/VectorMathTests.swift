import ChurnSupport
import Foundation
import XCTest
import _TestSupport
@testable import TensorKit

/// The cell's vector transcendentals on every instruction set this CPU runs.
final class VectorMathTests: XCTestCase {
    typealias Function = (name: String, apply: ([Float], InstructionSet) -> [Float])
    let functions: [Function] = [("exp", { VectorMath.exp($0, isa: $1) }), ("sigmoid", { VectorMath.sigmoid($0, isa: $1) }),
                                 ("tanh", { VectorMath.tanh($0, isa: $1) })]

    /// Sweeps [−100, 100] densely and compares with the C library.
    func testTranscendentalsMatchTheCLibrary() {
        var x = [Float]()
        var v: Float = -100
        while v < 100 { x.append(v); v += 0.0013 }
        for isa in InstructionSet.supported {
            let e = VectorMath.exp(x, isa: isa), s = VectorMath.sigmoid(x, isa: isa), t = VectorMath.tanh(x, isa: isa)
            var worstExp: Float = 0, worstSigmoid: Float = 0, worstTanh: Float = 0
            for k in x.indices {
                let xk = x[k]
                if xk > -87 && xk < 88 {
                    let ref = Foundation.exp(Double(xk))
                    worstExp = maximumPropagatingNaN(worstExp, Float(abs(Double(e[k]) - ref) / ref))
                }
                worstSigmoid = maximumPropagatingNaN(worstSigmoid, abs(s[k] - Activation.sigmoid(xk)))
                worstTanh = maximumPropagatingNaN(worstTanh, abs(t[k] - Foundation.tanh(xk)))
            }
            XCTAssertLessThan(worstExp, 3e-7, isa.rawValue)
            XCTAssertLessThan(worstSigmoid, 2e-7, isa.rawValue)
            XCTAssertLessThan(worstTanh, 3e-7, isa.rawValue)
        }
    }

    /// Every set gives the portable path's bits, for lengths with and without a vector tail.
    func testEveryInstructionSetGivesTheSameBits() {
        var rng = SeededGenerator(seed: 3)
        for count in [1, 7, 8, 15, 16, 17, 33, 1000] {
            var x = (0..<count).map { _ in (rng.nextFloat() * 2 - 1) * 120 }
            x[0] = count > 3 ? .nan : x[0]
            for f in functions {
                let reference = f.apply(x, .portable).map(\.bitPattern)
                for isa in InstructionSet.supported {
                    XCTAssertEqual(f.apply(x, isa).map(\.bitPattern), reference, "\(f.name) on \(isa.rawValue), \(count) inputs")
                }
            }
        }
    }

    func testExtremesStayFinite() {
        let v: [Float] = [-1e30, -1000, -88, 0, 88, 1000, 1e30, -0.0]
        for isa in InstructionSet.supported {
            XCTAssert(VectorMath.exp(v, isa: isa).allSatisfy(\.isFinite), isa.rawValue)
            let s = VectorMath.sigmoid(v, isa: isa), t = VectorMath.tanh(v, isa: isa)
            XCTAssertEqual(s[0], 0, accuracy: 1e-30); XCTAssertEqual(s[6], 1)
            XCTAssertEqual(t[0], -1); XCTAssertEqual(t[6], 1); XCTAssertEqual(t[3], 0)
        }
    }

    // Special inputs: 0 NaN, 1 −∞, 2 +∞, 3 +0, 4 −0, 5 the smallest subnormal, 6 a negative
    // subnormal, 7 a positive subnormal.
    let special: [Float] = [.nan, -.infinity, .infinity, 0, -0.0, .leastNonzeroMagnitude,
                            -Float.leastNormalMagnitude / 4, Float.leastNormalMagnitude / 3]

    func testExpOfSpecialInputs() {
        for isa in InstructionSet.supported {
            let e = VectorMath.exp(special, isa: isa)
            XCTAssert(e[0].isNaN, "exp(NaN) = \(e[0]) on \(isa.rawValue)")
            // The documented clamp to [−87.3, 88]: exp(−∞) is e^−87.3 ≈ 1.2e−38, the bottom of the
            // normal range, rather than 0 (an absolute error below FLT_MIN); exp(+∞) is e^88 ≈ 1.65e38,
            // finite, rather than +∞.
            XCTAssertEqual(e[1], VectorMath.exp([-87.3], isa: isa)[0])
            XCTAssert(e[1] > 0 && e[1].isNormal && e[1] < 1.3e-38, "exp(−∞) = \(e[1])")
            XCTAssertEqual(e[2], VectorMath.exp([88], isa: isa)[0])
            XCTAssert(e[2].isFinite && e[2] > 1.6e38, "exp(+∞) = \(e[2])")
            // e^x = 1 + x + …: exactly 1 for ±0 and every subnormal.
            for k in 3..<8 { XCTAssertEqual(e[k], 1, "exp(\(special[k])) on \(isa.rawValue)") }
        }
    }

    func testSigmoidOfSpecialInputs() {
        for isa in InstructionSet.supported {
            let s = VectorMath.sigmoid(special, isa: isa)
            XCTAssert(s[0].isNaN, "sigmoid(NaN) = \(s[0]) on \(isa.rawValue)")
            // σ(−∞) is 1 / (1 + e^88) ≈ 6e−39 (a subnormal) rather than 0: inside the kernel's
            // absolute-error bound, and never negative.
            XCTAssert(s[1] >= 0 && s[1] < 1e-38, "sigmoid(−∞) = \(s[1])")
            XCTAssertEqual(s[2], 1, "sigmoid(+∞)")
            for k in 3..<8 { XCTAssertEqual(s[k], 0.5, "sigmoid(\(special[k])) on \(isa.rawValue)") }
        }
        // The scalar reference is exact at the ends.
        XCTAssertEqual(Activation.sigmoid(-.infinity), 0)
        XCTAssertEqual(Activation.sigmoid(.infinity), 1)
        XCTAssert(Activation.sigmoid(.nan).isNaN)
        XCTAssertEqual(Activation.sigmoid(-0.0), 0.5)
    }

    func testTanhOfSpecialInputs() {
        for isa in InstructionSet.supported {
            let t = VectorMath.tanh(special, isa: isa)
            XCTAssert(t[0].isNaN, "tanh(NaN) = \(t[0]) on \(isa.rawValue)")
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
        }
        XCTAssertEqual(Activation.tanh(-0.0).sign, .minus, "the scalar reference keeps the sign of zero")
    }

    /// A special value in one lane leaves the other lanes' results bitwise unchanged.
    func testSpecialLanesDoNotLeakIntoOthers() {
        let finite: [Float] = [-3, -0.5, 0.25, 1, 2.5, -7, 10, 0.001, 4, -2, 0.75, -9, 3, 0.5, -1, 6, 2]
        for isa in InstructionSet.supported {
            for lane in finite.indices {
                for value: Float in [.nan, .infinity, -.infinity, .leastNonzeroMagnitude] {
                    var mixed = finite
                    mixed[lane] = value
                    for f in functions {
                        let clean = f.apply(finite, isa), dirty = f.apply(mixed, isa)
                        for k in finite.indices where k != lane {
                            XCTAssertEqual(dirty[k].bitPattern, clean[k].bitPattern,
                                           "\(f.name) on \(isa.rawValue): \(value) in lane \(lane) changed lane \(k)")
                        }
                    }
                }
            }
        }
    }
}
