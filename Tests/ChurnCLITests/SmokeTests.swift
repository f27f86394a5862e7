import XCTest
@testable import ChurnCLI
final class ChurnCLISmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
