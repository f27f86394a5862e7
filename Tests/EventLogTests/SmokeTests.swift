import Features
import Snapshots
import XCTest
@testable import EventLog
final class EventLogSmokeTests: XCTestCase { func testModuleLoads() { XCTAssertTrue(true) } }
