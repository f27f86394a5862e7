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

    /// `--isa`/`CHURN_ISA` names: auto is the detected set, a set the CPU lacks and an unknown
    /// name are refused with the reason.
    func testPinningAPathByName() throws {
        XCTAssertEqual(try InstructionSet.pinned(nil), InstructionSet.detected)
        XCTAssertEqual(try InstructionSet.pinned("auto"), InstructionSet.detected)
        for isa in InstructionSet.supported { XCTAssertEqual(try InstructionSet.pinned(isa.rawValue), isa) }
        XCTAssertThrowsError(try InstructionSet.pinned("sse9")) { XCTAssertEqual($0 as? InstructionSetError, .unknown("sse9")) }
        for isa in InstructionSet.allCases where isa > InstructionSet.detected {
            XCTAssertThrowsError(try InstructionSet.pinned(isa.rawValue)) {
                XCTAssertEqual($0 as? InstructionSetError, .unsupported(isa, detected: InstructionSet.detected))
            }
        }
    }

    /// `select` changes the set every kernel call runs on; a refused name changes nothing.
    func testSelectingASetForTheProcess() throws {
        let before = InstructionSet.active
        defer { InstructionSet.select(before) }
        for isa in InstructionSet.supported {
            XCTAssertEqual(try InstructionSet.select(named: isa.rawValue), isa)
            XCTAssertEqual(InstructionSet.active, isa)
        }
        XCTAssertThrowsError(try InstructionSet.select(named: "sse9"))
        XCTAssertEqual(InstructionSet.active, InstructionSet.detected)
        XCTAssertEqual(try InstructionSet.select(named: "auto"), InstructionSet.detected)
    }
}
