import EventLog
import Features
import Foundation
import TensorKit
import XCTest
@testable import Pipelines

/// The executables with customer attributes: a `plan` column of the log (read as of the cutoff)
/// and a customer table; what the model file keeps, what scoring needs, and the errors.
final class AttributeEndToEndTests: ToolTestCase {
    static let training = ["--hidden-size", "8", "--embedding-size", "4", "--max-events", "32", "--epochs", "2",
                           "--batch-size", "32", "--horizon", "30d", "--attribute-min-count", "5"]

    /// A log of 300 customers over 200 days with a `plan` column, and a table of their channels;
    /// customers from `ads` stop sooner. Deterministic.
    static func makeData() -> (log: String, customers: String) {
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        let start = Timestamp.parse("2024-01-01")!
        var log = "customer_id,timestamp,event,plan\n", table = "customer_id,channel,seats\n"
        let channels = ["ads", "organic", "referral"], plans = ["basic", "pro"]
        for c in 0..<300 {
            let channel = channels[c % 3]
            var plan = plans[c % 2]
            if c != 7 { table += "c\(c),\(channel),\(1 + c % 9)\n" }   // c7 is not in the table
            let life = channel == "ads" ? 40 + next() * 80 : 90 + next() * 200
            var day = next() * 20
            while day < min(life, 200) {
                if next() < 0.05 { plan = plan == "basic" ? "pro" : "basic" }
                let t = Timestamp.format(start + Int64(day * Double(Timestamp.microsecondsPerDay)))
                log += "c\(c),\(t),\(next() < 0.8 ? "login" : "view"),\(next() < 0.9 ? plan : "")\n"
                day += 0.5 + next() * 4
            }
        }
        return (log, table)
    }

    /// Writes `makeData()` into `runner`'s directory (once) and returns its paths.
    static func writeData(in runner: ToolRunner) throws -> (log: String, customers: String) {
        let log = runner.path("events.csv"), customers = runner.path("customers.csv")
        if FileManager.default.fileExists(atPath: log) { return (log, customers) }
        let data = makeData()
        try data.log.write(toFile: log, atomically: true, encoding: .utf8)
        try data.customers.write(toFile: customers, atomically: true, encoding: .utf8)
        return (log, customers)
    }

    /// The data and a model trained on it with the `plan` column and the table, made once per
    /// runner; `check` sees the training run when it happens.
    static func trainedModel(in runner: ToolRunner, check: (ToolRunner.Result) -> Void = { _ in }) throws
        -> (log: String, customers: String, model: String) {
        let (log, customers) = try writeData(in: runner)
        let model = runner.path("model.safetensors")
        if FileManager.default.fileExists(atPath: model) { return (log, customers, model) }
        let train = try runner.run("churn-train", ["--events", log, "--model", model, "--attribute-column", "plan",
                                                   "--customers", customers] + training)
        XCTAssertEqual(train.status, 0, train.stderr)
        check(train)
        return (log, customers, model)
    }

    func prepared() throws -> (log: String, customers: String, model: String) {
        try Self.trainedModel(in: runner) { train in
            XCTAssertTrue(train.stderr.contains("attributes are static"), "the static-table warning: \(train.stderr)")
            XCTAssertTrue(train.stderr.contains("1 of 300 customers of the event log are not in"), train.stderr)
            XCTAssertTrue(train.stderr.contains("attributes: plan (log, categorical"), train.stderr)
        }
    }

    func testTheModelFileListsTheAttributesForEveryModel() throws {
        let (_, _, path) = try prepared()
        let model = try ForecastModel.read(from: URL(fileURLWithPath: path))
        let attributes = model.features.attributes.attributes
        XCTAssertEqual(attributes.map(\.name), ["plan", "channel", "seats"])
        XCTAssertEqual(attributes.map(\.source), [.eventLog, .customerTable, .customerTable])
        XCTAssertEqual(attributes.map(\.kind), [.categorical, .categorical, .numeric])
        XCTAssertEqual(Set(attributes[0].categories), ["basic", "pro"])
        XCTAssertEqual(Set(attributes[1].categories), ["ads", "organic", "referral"])
        XCTAssertTrue(model.features.numericFeatureNames.contains("attribute_channel=ads"))
        XCTAssertEqual(model.boosted?.spec.attributes, model.features.attributes)
        XCTAssertTrue(model.boosted?.spec.featureNames.contains("attribute_seats_missing") ?? false)
        let regressions = String(decoding: try JSONEncoder().encode(try XCTUnwrap(model.baselines?.section())), as: UTF8.self)
        XCTAssertTrue(regressions.contains("attribute_channel=referral"), "the logistic baselines take the attributes")
    }

    func testScoringReadsTheAttributesAsTheModelDoes() throws {
        let (log, customers, model) = try prepared()
        let asOf = ["--as-of", "2024-05-01"]
        let scored = try runner.run("churn-predict", ["--model", model, "--events", log, "--customers", customers] + asOf)
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let rows = scored.stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, Set(rows.map { $0.split(separator: ",")[0] }).count)
        XCTAssertTrue(rows.contains { $0.hasPrefix("c7,") }, "a customer missing from the table is still scored")

        // Without the table: a usage error naming the attribute.
        let noTable = try runner.run("churn-predict", ["--model", model, "--events", log] + asOf)
        XCTAssertEqual(noTable.status, 64)
        XCTAssertTrue(noTable.stderr.contains("'channel'") && noTable.stderr.contains("--customers"), noTable.stderr)
        // A log without the plan column: bad data naming it.
        let bare = runner.path("bare.csv")
        try Self.makeData().log.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(3).joined(separator: ",") }
            .joined(separator: "\n").write(toFile: bare, atomically: true, encoding: .utf8)
        let noColumn = try runner.run("churn-predict", ["--model", model, "--events", bare, "--customers", customers] + asOf)
        XCTAssertEqual(noColumn.status, 65)
        XCTAssertTrue(noColumn.stderr.contains("missing column 'plan'"), noColumn.stderr)
        // Kinds are the model's, not flags.
        let kinds = try runner.run("churn-predict", ["--model", model, "--events", log, "--customers", customers, "--numeric", "seats"] + asOf)
        XCTAssertEqual(kinds.status, 64, kinds.stderr)

        // The attributes reach the forecast: other channels, other probabilities …
        let swapped = runner.path("swapped.csv")
        try String(contentsOfFile: customers, encoding: .utf8).replacingOccurrences(of: ",ads,", with: ",referral,")
            .write(toFile: swapped, atomically: true, encoding: .utf8)
        let other = try runner.run("churn-predict", ["--model", model, "--events", log, "--customers", swapped] + asOf)
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertNotEqual(other.stdout, scored.stdout)
        // … but plan values written after the as-of instant change nothing.
        let later = runner.path("later.csv")
        var text = try String(contentsOfFile: log, encoding: .utf8)
        for c in 0..<300 { text += "c\(c),2024-05-01T00:00:00Z,login,enterprise\nc\(c),2024-05-20,view,basic\n" }
        try text.write(toFile: later, atomically: true, encoding: .utf8)
        let same = try runner.run("churn-predict", ["--model", model, "--events", later, "--customers", customers] + asOf)
        XCTAssertEqual(same.status, 0, same.stderr)
        XCTAssertEqual(same.stdout, scored.stdout)
    }

    func testEvaluateAndTheFeatureDumpWork() throws {
        let (log, customers, model) = try prepared()
        let report = runner.path("report")
        let evaluation = try runner.run("churn-evaluate", ["--model", model, "--events", log, "--customers", customers,
                                                           "--cutoff", "2024-05-01", "--report", report, "--bootstrap", "50"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        XCTAssertTrue(evaluation.stdout.contains("aggregate_logistic"), evaluation.stdout)
        let dump = runner.path("dump.safetensors")
        let predict = try runner.run("churn-predict", ["--model", model, "--events", log, "--customers", customers,
                                                       "--as-of", "2024-05-01", "--output", runner.path("p.csv"), "--dump-features", dump])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let file = try TensorKitFile.read(dump)
        XCTAssertEqual(file.cutoffs.count, file.customers)
        XCTAssertTrue(file.cutoffs.allSatisfy { $0 == Timestamp.parse("2024-05-01")! })
    }

    func testBadTablesAndFlagsAreRefused() throws {
        let (log, _, _) = try prepared()
        let conflicting = runner.path("conflict.csv")
        try "customer_id,channel\nc1,ads\nc2,organic\nc1,referral\n".write(toFile: conflicting, atomically: true, encoding: .utf8)
        let model = runner.path("never.safetensors")
        let conflict = try runner.run("churn-train", ["--events", log, "--model", model, "--customers", conflicting] + Self.training)
        XCTAssertEqual(conflict.status, 65)
        XCTAssertTrue(conflict.stderr.contains("conflict.csv:4") && conflict.stderr.contains("'c1'"), conflict.stderr)
        let noID = runner.path("noid.csv")
        try "id,channel\nc1,ads\n".write(toFile: noID, atomically: true, encoding: .utf8)
        let missing = try runner.run("churn-train", ["--events", log, "--model", model, "--customers", noID] + Self.training)
        XCTAssertEqual(missing.status, 65)
        XCTAssertTrue(missing.stderr.contains("missing column 'customer_id'"), missing.stderr)
        let mixed = runner.path("mixed.csv")
        try (Self.makeData().log.replacingOccurrences(of: ",pro\n", with: ",2\n")).write(toFile: mixed, atomically: true, encoding: .utf8)
        let both = try runner.run("churn-train", ["--events", mixed, "--model", model, "--attribute-column", "plan"] + Self.training)
        XCTAssertEqual(both.status, 65)
        XCTAssertTrue(both.stderr.contains("holds both numbers") && both.stderr.contains("mixed.csv:"), both.stderr)
        for flags in [["--attribute-column", "plan", "--attribute-column", "plan"], ["--attribute-column", "event"],
                      ["--attribute-column", "plan", "--numeric", "plan", "--categorical", "plan"], ["--numeric", "seats"]] {
            let run = try runner.run("churn-train", ["--events", log, "--model", model] + flags + Self.training)
            XCTAssertEqual(run.status, 64, "\(flags): \(run.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
    }
}

/// The parts of a feature dump these tests read.
private struct TensorKitFile {
    var customers: Int
    var cutoffs: [Int64]

    static func read(_ path: String) throws -> TensorKitFile {
        let file = try SafeTensors.read(from: URL(fileURLWithPath: path))
        let ids = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(file.metadata["customers"]).utf8))
        return TensorKitFile(customers: ids.count, cutoffs: try XCTUnwrap(file.tensors["cutoffs"]).int64s())
    }
}
