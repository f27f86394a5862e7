@testable import ChurnModel
import ChurnSupport
import TensorKit
import XCTest
import _TestSupport

/// The cell kernels against their scalar references, on every instruction set this CPU runs.
final class LSTMKernelsTests: XCTestCase {
    /// Hidden sizes with full chunks of 8 and 16 lanes and a tail, full chunks only, a tail only.
    let shapes = [(5, 13), (3, 16), (2, 3), (2, 40), (1, 70)]

    func testCellKernelsMatchScalarReference() {
        for isa in InstructionSet.supported {
            for (R, H) in shapes {
                let a = run(R: R, H: H, isa: isa, kernel: true), b = run(R: R, H: H, isa: isa, kernel: false)
                for (name, x, y) in zip3(a, b) { assertClose(x, y, tolerance: 1e-6, "\(name) R=\(R) H=\(H) on \(isa.rawValue)") }
            }
        }
    }

    /// Every set gives the portable path's bits, with and without a previous cell.
    func testEveryInstructionSetGivesTheSameBits() {
        for (R, H) in shapes {
            for withPrevious in [true, false] {
                let reference = run(R: R, H: H, isa: .portable, kernel: true, withPrevious: withPrevious)
                for isa in InstructionSet.supported {
                    let result = run(R: R, H: H, isa: isa, kernel: true, withPrevious: withPrevious)
                    for (name, x, y) in zip3(result, reference) {
                        XCTAssertEqual(x.map(\.bitPattern), y.map(\.bitPattern), "\(name) R=\(R) H=\(H) on \(isa.rawValue)")
                    }
                }
            }
        }
    }

    private func zip3(_ a: [(String, [Float])], _ b: [(String, [Float])]) -> [(String, [Float], [Float])] {
        zip(a, b).map { ($0.0, $0.1, $1.1) }
    }

    /// One forward and one backward step on seeded random inputs, by the kernels or the references.
    private func run(R: Int, H: Int, isa: InstructionSet, kernel: Bool, withPrevious: Bool = true) -> [(String, [Float])] {
        var rng = SeededGenerator(seed: 7)
        func random(_ n: Int, _ scale: Float = 3) -> [Float] { (0..<n).map { _ in (rng.nextFloat() * 2 - 1) * scale } }
        var gates = random(R * 4 * H)
        let cPrev = random(R * H, 1), dh = random(R * H, 1)
        var dc = random(R * H, 1)
        var c = [Float](repeating: 0, count: R * H), tanhC = c, h = c
        var dGates = [Float](repeating: 0, count: R * 4 * H)
        cPrev.withUnsafeBufferPointer { previous in
            let p = withPrevious ? previous.baseAddress : nil
            if kernel {
                LSTMKernels.cellForward(gates: &gates, cPrev: p, c: &c, tanhC: &tanhC, h: &h, rows: R, hidden: H, isa: isa)
                LSTMKernels.cellBackward(dGates: &dGates, dc: &dc, dh: dh, gates: gates, tanhC: tanhC, cPrev: p,
                                         rows: R, hidden: H, isa: isa)
            } else {
                LSTMKernels.referenceCellForward(gates: &gates, cPrev: p, c: &c, tanhC: &tanhC, h: &h, rows: R, hidden: H)
                LSTMKernels.referenceCellBackward(dGates: &dGates, dc: &dc, dh: dh, gates: gates, tanhC: tanhC, cPrev: p,
                                                  rows: R, hidden: H)
            }
        }
        return [("gates", gates), ("c", c), ("tanh c", tanhC), ("h", h), ("dgates", dGates), ("dc", dc)]
    }
}
