import Foundation
import XCTest
@testable import TensorKit

final class InstructionSetTests: XCTestCase {
    /// CPUID's answer agrees with the kernel's flags in /proc/cpuinfo.
    func testDetectionAgreesWithTheKernelsCPUFlags() throws {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo flags line on this system")
        }
        let flags = Set(line.split(separator: " ").map(String.init))
        let expected: InstructionSet = flags.contains("avx512f") ? .avx512
            : flags.isSuperset(of: ["avx2", "fma"]) ? .avx2 : .portable
        XCTAssertEqual(InstructionSet.detected, expected)
        XCTAssertEqual(InstructionSet.supported.last, expected)
        XCTAssertEqual(InstructionSet.supported.first, .portable)
    }

    /// Every path this CPU runs executes its loop and reports a finite, positive rate (the rate
    /// itself is the benchmark's business: `churn-bench peak`).
    func testEverySupportedPathRunsItsMultiplyAddLoop() {
        for isa in InstructionSet.supported {
            let rate = isa.measuredPeakGFLOPS(seconds: 0.02, rounds: 2)
            XCTAssertTrue(rate.isFinite && rate > 0, "\(isa): \(rate)")
        }
    }
}
