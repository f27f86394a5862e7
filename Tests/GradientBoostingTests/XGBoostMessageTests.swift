@testable import GradientBoosting
import XCTest

final class XGBoostMessageTests: XCTestCase {
    func testMessagesLoseTimeLocationAndStackTrace() {
        XCTAssertEqual(XGBoost.cleaned("[20:37:48] /build/xgboost-1.7.4/src/learner.cc:123: Check failed: x\n\nStack trace:\n  [bt] (0) f"),
                       "Check failed: x")
        XCTAssertEqual(XGBoost.cleaned("Invalid Parameter format for num_target"), "Invalid Parameter format for num_target")
        XCTAssertEqual(XGBoost.cleaned("  \n"), "(no message)")
    }
}
