import XCTest
@testable import ChurnSimulation
final class ChurnSimulationSmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
