import XCTest
@testable import ChurnModel

/// The logistic head's pair of passes and its loss, on numbers small enough to check by hand.
final class LogisticHeadTests: XCTestCase {
    func testForwardBackwardAndLoss() {
        let head = LogisticHead()
        XCTAssertEqual(LogisticHead.parameterShapes(hiddenSize: 2).map(\.name), ["head.weight", "head.bias"])
        XCTAssertEqual(LogisticHead.parameterShapes(hiddenSize: 2).map(\.shape), [[1, 2], [1]])
        var weight: [Float] = [0.5, -2], bias: [Float] = [0.25]
        var dweight: [Float] = [1, 1], dbias: [Float] = [1]
        let hLast: [Float] = [1, 2, -4, 0.5], dout: [Float] = [2, -1]
        var out = [Float](repeating: 0, count: 2), dhLast = [Float](repeating: 0, count: 4)
        weight.withUnsafeMutableBufferPointer { w in
            bias.withUnsafeMutableBufferPointer { b in
                dweight.withUnsafeMutableBufferPointer { dw in
                    dbias.withUnsafeMutableBufferPointer { db in
                        let parameters = [w.baseAddress!, b.baseAddress!], dparameters = [dw.baseAddress!, db.baseAddress!]
                        head.forward(out: &out, hLast: hLast, parameters: parameters, B: 2, H: 2)
                        head.backward(dhLast: &dhLast, dparameters: dparameters, dout: dout, hLast: hLast,
                                      parameters: parameters, B: 2, H: 2)
                    }
                }
            }
        }
        XCTAssertEqual(out, [0.5 - 4 + 0.25, -2 - 1 + 0.25])
        XCTAssertEqual(dhLast, [1, -4, -0.5, 2], "dz · weight")
        XCTAssertEqual(dweight, [1 + 2 - (-4), 1 + 4 - 0.5], "accumulated: Σ dz · h_last")
        XCTAssertEqual(dbias, [1 + 2 - 1], "accumulated: Σ dz")
        // The stable form stays finite where exp(−z) overflows.
        let loss = head.loss(outputs: [-200, 3], labels: [1, 0], positiveWeight: 1)
        XCTAssertEqual(loss, (200 + (3 + log1p(exp(-3.0)))) / 2, accuracy: 1e-9)
        XCTAssertEqual(head.lossGradient(outputs: [0], labels: [1], positiveWeight: 1), [-0.5])
    }
}
