import XCTest
@testable import ChurnSimulation
