import ChurnSupport
import GradientBoosting
import Foundation
import XCTest

/// Damaged model bytes throw `BoostingError` with category `.badData`; nothing crashes or hangs.
final class CorruptModelTests: XCTestCase {
    /// A small trained model's JSON bytes, and rows to predict.
    static let table = TestTable(rows: 300, seed: 81)
    static let model: [UInt8] = {
        let parameters = BoosterParameters(maxDepth: 3, learningRate: 0.3, maxRounds: 8, earlyStoppingRounds: nil, threads: 1)
        return try! Booster.train(features: table.features, labels: table.labels, featureCount: 4,
                                  parameters: parameters).serialized()
    }()

    /// Asserts `bytes` are refused as bad data whose message mentions `reason`.
    func assertRefused(_ bytes: [UInt8], _ what: String, mentioning reason: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Booster(serialized: bytes, threads: 1), what, file: file, line: line) { error in
            guard let error = error as? BoostingError else {
                return XCTFail("\(what): \(error) is not a BoostingError", file: file, line: line)
            }
            XCTAssertEqual(error.category, .badData, "\(what): \(error)", file: file, line: line)
            if let reason { XCTAssert("\(error)".contains(reason), "\(what): \(error)", file: file, line: line) }
        }
    }

    /// The model with `text` replaced by `replacement` (which must occur).
    func edited(_ text: String, _ replacement: String, file: StaticString = #filePath, line: UInt = #line) -> [UInt8] {
        let json = String(decoding: Self.model, as: UTF8.self)
        XCTAssert(json.contains(text), "the model has no \(text)", file: file, line: line)
        return Array(json.replacingOccurrences(of: text, with: replacement).utf8)
    }

    func testTheIntactModelLoads() throws {
        let booster = try Booster(serialized: Self.model, threads: 1)
        XCTAssertEqual(try booster.roundCount, 8)
        XCTAssertEqual(try booster.margins(features: Self.table.features, rowCount: Self.table.rowCount).count, 300)
    }

    func testTruncatedAndGarbageBytesAreRefused() {
        let model = Self.model
        assertRefused([], "empty", mentioning: "empty")
        assertRefused(Array(model.prefix(model.count / 2)), "cut in half", mentioning: "not valid JSON")
        assertRefused(Array(model.dropLast()), "last byte missing", mentioning: "not valid JSON")
        assertRefused(Array(model.dropFirst()), "first byte missing")
        var random = SeededGenerator(seed: 9)
        assertRefused((0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }, "random bytes")
        assertRefused([UInt8(ascii: "{")] + (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }, "{ then random bytes")
        assertRefused(Array("binf".utf8) + [UInt8](repeating: 0xff, count: 200), "the legacy binary header")
        assertRefused(Array(String(repeating: "[", count: 100_000).utf8), "deeply nested")
        assertRefused(Array("{}".utf8), "an empty object", mentioning: "learner")
        assertRefused(Array("[1, 2, 3]".utf8), "an array")
    }

    func testFlippedBracesAreRefused() {
        let model = Self.model
        for (from, to) in [("{", "}"), ("}", "{"), ("[", "]"), ("]", "["), ("[", "{")] {
            // The first, a middle and the last occurrence, each alone.
            let positions = model.indices.filter { model[$0] == UInt8(ascii: Unicode.Scalar(from)!) }
            for position in [positions.first!, positions[positions.count / 2], positions.last!] {
                var bytes = model
                bytes[position] = UInt8(ascii: Unicode.Scalar(to)!)
                assertRefused(bytes, "\(from) → \(to) at byte \(position)")
            }
        }
    }

    func testStructurallyBrokenModelsAreRefused() {
        assertRefused(edited("\"left_children\":[1,", "\"left_children\":[99,"), "a child out of range", mentioning: "outside")
        assertRefused(edited("\"left_children\":[1,", "\"left_children\":[0,"), "a cycle to the root", mentioning: "outside")
        assertRefused(edited("\"right_children\":[2,", "\"right_children\":[1,"), "both children the same", mentioning: "node 0")
        assertRefused(edited("\"num_nodes\":\"", "\"num_nodes\":\"1"), "a node count the arrays do not have", mentioning: "entries")
        assertRefused(edited("\"num_feature\":\"4\"", "\"num_feature\":\"1\""), "fewer features than the splits use")
        assertRefused(edited("\"num_feature\":\"4\"", "\"num_feature\":\"0\""), "no features", mentioning: "0 features")
        assertRefused(edited("\"num_trees\":\"8\"", "\"num_trees\":\"9\""), "a tree count the model does not hold", mentioning: "9 trees")
        assertRefused(edited("\"num_parallel_tree\":\"1\"", "\"num_parallel_tree\":\"0\""), "no trees per round",
                      mentioning: "parallel")
        assertRefused(edited("\"num_parallel_tree\":\"1\"", "\"num_parallel_tree\":\"3\""), "rounds of 3 trees",
                      mentioning: "parallel")
        assertRefused(edited("\"num_target\":\"1\"", "\"num_target\":\"2\""), "two targets", mentioning: "targets")
        assertRefused(edited("\"num_target\":\"1\"", "\"num_target\":\"x\""), "a target count that is no number")
        assertRefused(edited("\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"2\""), "vector leaves",
                      mentioning: "size_leaf_vector")
        assertRefused(edited("binary:logistic", "reg:squarederror"), "another objective", mentioning: "reg:squarederror")
        assertRefused(edited("\"name\":\"gbtree\"", "\"name\":\"dart\""), "another booster", mentioning: "dart")
        assertRefused(edited("\"base_score\":\"", "\"base_score\":\"x"), "a base score that is no number", mentioning: "base_score")
        assertRefused(edited("\"trees\":[", "\"trees\":[7,"), "a tree that is no object")
        assertRefused(edited("\"split_conditions\":[", "\"split_conditions\":[\"a\","), "a string among the numbers")
    }

    /// Single-byte damage anywhere either is refused or leaves a model that still predicts.
    func testSingleByteDamageNeverCrashes() throws {
        let model = Self.model
        var random = SeededGenerator(seed: 17)
        var refused = 0, loaded = 0
        let replacements = Array("0123456789-.,:\"{}[]eE x".utf8)
        for position in stride(from: 0, to: model.count, by: max(1, model.count / 400)) {
            var bytes = model
            bytes[position] = replacements[random.nextInt(below: replacements.count)]
            do {
                let booster = try Booster(serialized: bytes, threads: 1)
                let margins = try booster.margins(features: Self.table.features, rowCount: Self.table.rowCount)
                XCTAssertEqual(margins.count, Self.table.rowCount)
                loaded += 1
            } catch let error as BoostingError {
                XCTAssertEqual(error.category, .badData, "byte \(position): \(error)")
                refused += 1
            }
        }
        print("single-byte damage: \(refused) refused, \(loaded) still load")
        XCTAssertGreaterThan(refused, 0)
    }
}

extension CorruptModelTests {
    /// Damage only XGBoost's own reader notices comes back as bad data with XGBoost's message.
    func testXGBoostsOwnRefusalIsBadData() {
        for (text, replacement) in [("\"scale_pos_weight\":\"1\"", "\"scale_pos_weight\":\"x\""),
                                    ("\"boost_from_average\":\"1\"", "\"boost_from_average\":\"x\"")] {
            let bytes = edited(text, replacement)
            XCTAssertThrowsError(try Booster(serialized: bytes, threads: 1), text) { error in
                print("\(text) → \(error)")
                XCTAssertEqual((error as? BoostingError)?.category, .badData, "\(error)")
                XCTAssertFalse("\(error)".contains("Stack trace"), "\(error)")
                XCTAssertFalse("\(error)".contains(".cc:"), "no source location: \(error)")
            }
        }
    }
}
