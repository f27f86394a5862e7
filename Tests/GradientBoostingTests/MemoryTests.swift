import GradientBoosting
import Foundation
import XCTest

/// Handles are freed when their owners go away, on error paths too: repeating training, loading
/// (good and refused models) and prediction does not grow the resident memory.
final class MemoryTests: XCTestCase {
    /// The resident set size in bytes (Linux `/proc/self/statm`), nil elsewhere.
    func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testRepeatedUseDoesNotGrowMemory() throws {
        guard residentBytes() != nil else { throw XCTSkip("no /proc/self/statm") }
        let train = TestTable(rows: 2000, seed: 91), rows = TestTable(rows: 5000, seed: 92)
        let parameters = BoosterParameters(maxDepth: 3, maxRounds: 3, earlyStoppingRounds: nil, threads: 1)
        let model = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                      parameters: parameters).serialized()
        let refusedByXGBoost = Array(String(decoding: model, as: UTF8.self)
            .replacingOccurrences(of: "\"scale_pos_weight\":\"1\"", with: "\"scale_pos_weight\":\"x\"").utf8)
        func cycle() throws {
            _ = try Booster.train(features: train.features, labels: train.labels, featureCount: 4,
                                  validation: (rows.features, rows.labels), parameters: parameters)
            let booster = try Booster(serialized: model, threads: 1)
            _ = try booster.margins(features: rows.features, rowCount: rows.rowCount)
            _ = try booster.featureContributions(features: rows.features, rowCount: rows.rowCount)
            XCTAssertThrowsError(try Booster(serialized: refusedByXGBoost, threads: 1))
            XCTAssertThrowsError(try booster.margins(features: Array(rows.features.dropLast()), rowCount: rows.rowCount))
        }
        for _ in 0..<40 { try cycle() }
        let before = try XCTUnwrap(residentBytes())
        for _ in 0..<200 { try cycle() }
        let growth = try XCTUnwrap(residentBytes()) - before
        print("resident memory grew by \(growth / 1024) KiB over 200 cycles")
        // One leaked 5000-row matrix per cycle alone would be 200 × 80 KB = 16 MB.
        XCTAssertLessThan(growth, 8 << 20)
    }
}
