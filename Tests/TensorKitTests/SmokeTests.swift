import XCTest
@testable import TensorKit
final class TensorKitSmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
