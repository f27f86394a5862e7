import XCTest
@testable import ChurnModel
final class ChurnModelSmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
