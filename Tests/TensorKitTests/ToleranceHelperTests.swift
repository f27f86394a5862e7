import Foundation
import XCTest
import _TestSupport

/// The shared tolerance helpers must fail on NaN: otherwise a parity suite passes on NaN outputs.
final class ToleranceHelperTests: XCTestCase {
    func testSwiftMaxDropsNaNButTheHelperDoesNot() {
        // The pitfall the helpers exist for: a running `max(worst, d)` forgets a NaN `d`.
        XCTAssertEqual(Swift.max(1, Float.nan), 1)
        XCTAssert(maximumPropagatingNaN(1, Float.nan).isNaN)
        XCTAssert(maximumPropagatingNaN(Double.nan, 1).isNaN)
        XCTAssertEqual(maximumPropagatingNaN(1, 2.5), 2.5)
        XCTAssertEqual(maximumPropagatingNaN(-0.5, -1), -0.5)
    }

    func testMaxAbsDifferenceOfNaNIsWithinNoTolerance() {
        let cases: [([Float], [Float])] = [([.nan], [0]), ([0], [.nan]), ([.nan], [.nan]), ([3, .nan], [0, 0]),
                                           ([.nan, 3], [0, 0]), ([1, 2, .nan, 4], [1, 2, 3, 4]), ([.infinity], [.infinity])]
        for (actual, expected) in cases {
            let d = maxAbsDifference(actual, expected)
            XCTAssert(d.isNaN, "\(actual) vs \(expected): \(d)")
            for tolerance in [0, 1e-5, 1, Double.greatestFiniteMagnitude, .infinity] {
                XCTAssertFalse(d <= tolerance, "\(actual) vs \(expected) passed tolerance \(tolerance)")
            }
        }
        XCTAssert(maxAbsDifference([Double.nan], [1.0]).isNaN)
    }

    func testMaxAbsDifferenceOfFiniteInfiniteAndMismatchedInputs() {
        XCTAssertEqual(maxAbsDifference([Float](), []), 0)
        XCTAssertEqual(maxAbsDifference([1, 2, 3] as [Float], [1, 2.5, 2]), 1)
        XCTAssertEqual(maxAbsDifference([-1, 4] as [Double], [1, 4]), 2)
        XCTAssertEqual(maxAbsDifference([Float.infinity], [0]), .infinity)
        XCTAssertEqual(maxAbsDifference([1, 2] as [Float], [1]), .infinity, "counts differ")
        XCTAssertEqual(maxAbsDifference([] as [Float], [0]), .infinity, "counts differ")
        let worst = worstDifference([1, 5, 2] as [Float], [1, 1, 1])
        XCTAssertEqual(worst.index, 1)
        XCTAssertEqual(worst.magnitude, 4)
        XCTAssertEqual(worstDifference([0, .nan, 9] as [Float], [0, 0, 0]).index, 1, "stops at the first NaN")
    }

    func testClosenessFailureDecidesPassAndFail() {
        XCTAssertNil(closenessFailure([1, 2] as [Float], [1, 2.000001], tolerance: 1e-5, "close"))
        XCTAssertNil(closenessFailure([Float](), [], tolerance: 0, "empty"))
        XCTAssertNil(closenessFailure([1] as [Float], [1.5], tolerance: 0.5, "at the tolerance"))
        let nan = closenessFailure([1, .nan] as [Float], [1, 1], tolerance: 1e9, "logits")
        XCTAssertNotNil(nan)
        XCTAssert(nan?.contains("logits: NaN difference at [1]") == true, nan ?? "")
        let far = closenessFailure([1, 2] as [Float], [1, 3], tolerance: 0.5, "h_n")
        XCTAssert(far?.contains("h_n: max |diff| 1.0 at [1]") == true, far ?? "")
        let sizes = closenessFailure([1, 2] as [Float], [1], tolerance: 1, "c_n")
        XCTAssert(sizes?.contains("sizes differ (2 vs 1)") == true, sizes ?? "")
        XCTAssertNotNil(closenessFailure([Double.nan], [Double.nan], tolerance: .infinity, "NaN = NaN"))
    }

    #if os(Linux)
    /// Failures recorded while `captured` is non-nil are collected instead of failing the test.
    private var captured: [String]?

    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int,
                                expected: Bool) {
        if captured != nil {
            captured!.append(description)
        } else {
            super.recordFailure(withDescription: description, inFile: filePath, atLine: lineNumber, expected: expected)
        }
    }

    private func failures(_ body: () -> Void) -> [String] {
        captured = []
        body()
        defer { captured = nil }
        return captured!
    }

    func testAssertCloseFailsOnNaN() {
        XCTAssertEqual(failures { assertClose([1, 2] as [Float], [1, 2], tolerance: 1e-5, "equal") }, [])
        let nan = failures { assertClose([0.5, .nan, 0.25] as [Float], [0.5, 0.5, 0.25], tolerance: 1e-5, "logits") }
        XCTAssertEqual(nan.count, 1)
        XCTAssert(nan.first?.contains("NaN") == true, "\(nan)")
        XCTAssertEqual(failures { assertClose([Float.nan], [.nan], tolerance: .infinity, "both NaN") }.count, 1)
        XCTAssertEqual(failures { assertClose([1] as [Float], [1, 2], tolerance: 1, "sizes") }.count, 1)
        XCTAssertEqual(failures { assertClose([1] as [Float], [1.1], tolerance: 0.01, "far") }.count, 1)
    }

    func testDifferenceLogKeepsAndReportsNaN() {
        var log = DifferenceLog()
        log.record("auc", 0.5, 0.75)
        log.record("auc", .nan, 0.5)
        log.record("auc", 1, 1)
        log.record("brier", 0.25, 0.125)
        XCTAssert(log.maximum(of: "auc")?.isNaN == true)
        XCTAssertEqual(log.maximum(of: "brier"), 0.125)
        XCTAssertNil(log.maximum(of: "ece"))
        XCTAssertEqual(log.quantitiesWithNaN, ["auc"])
        let reported = failures { log.report("metrics") }
        XCTAssertEqual(reported.count, 1)
        XCTAssert(reported.first?.contains("auc has a NaN difference") == true, "\(reported)")
        var clean = DifferenceLog()
        clean.record("auc", 0.5, 0.5)
        XCTAssertEqual(failures { clean.report("metrics") }, [])
    }
    #endif
}
