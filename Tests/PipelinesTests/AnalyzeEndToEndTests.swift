import EventLog
import Foundation
import XCTest

/// churn-analyze end to end: the table, the report files, segments, a model's deciles, bad input.
final class AnalyzeEndToEndTests: ToolTestCase {
    func testAnalyzeWritesTheTableAndTheReport() throws {
        let (log, customers) = try AttributeEndToEndTests.writeData(in: runner)
        let report = runner.path("report")
        let run = try runner.run("churn-analyze", ["--events", log, "--period", "week", "--segment-column", "channel",
                                                   "--customers", customers, "--report", report])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("churn by activity, per week\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("survival: 300 customers"), run.stdout)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/metrics.json"))) as? [String: Any])
        XCTAssertEqual(metrics["period"] as? String, "week")
        XCTAssertEqual(metrics["churn_definition"] as? String, "activity")
        let periods = try XCTUnwrap(metrics["periods"] as? [[String: Any]])
        XCTAssertGreaterThan(periods.count, 20)
        XCTAssertNil(periods[0]["revenue_start"], "no value column: no revenue fields")
        XCTAssertNil(periods[0]["voluntary"], "no involuntary event: no voluntary fields")
        let survival = try XCTUnwrap(metrics["survival"] as? [[String: Any]])
        XCTAssertEqual(Set(survival.compactMap { $0["segment"] as? String }), ["ads", "organic", "referral", "<missing>"])
        let curves = Dictionary(uniqueKeysWithValues: survival.compactMap { s in (s["segment"] as? String).map { ($0, s) } })
        // ads customers stop sooner in the data: their median time to churn is shorter.
        let ads = try XCTUnwrap(curves["ads"]?["median_days"] as? Double), organic = try XCTUnwrap(curves["organic"]?["median_days"] as? Double)
        XCTAssertLessThan(ads, organic)
        let html = try String(contentsOfFile: report + "/report.html", encoding: .utf8)
        for section in ["Churn over time", "Cohorts", "Survival"] { XCTAssertTrue(html.contains(section), section) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: report + "/report.md"))

        // The segment from the log instead: the plan column, its latest value.
        let byPlan = try runner.run("churn-analyze", ["--events", log, "--segment-column", "plan"])
        XCTAssertEqual(byPlan.status, 0, byPlan.stderr)
    }

    func testBadInvocationsAndInput() throws {
        let log = runner.path("bad.csv")
        try "customer_id,timestamp,event,amount\na,2024-01-01,x,1\na,not-a-date,x,1\nb,2024-03-01,x,zz\n".write(toFile: log, atomically: true, encoding: .utf8)
        let run = try runner.run("churn-analyze", ["--events", log, "--value-column", "amount"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("2 skipped") && run.stderr.contains("bad.csv:3"), run.stderr)
        XCTAssertEqual(try runner.run("churn-analyze", ["--events", runner.path("missing.csv")]).status, 66)
        XCTAssertEqual(try runner.run("churn-analyze", ["--events", log, "--period", "year"]).status, 64)
        XCTAssertEqual(try runner.run("churn-analyze", ["--events", log, "--within", "7d"]).status, 64)
        XCTAssertEqual(try runner.run("churn-analyze", ["--events", log, "--as-of", "2024-01-01"]).status, 64)
        XCTAssertEqual(try runner.run("churn-analyze", ["--events", log, "--value-column", "price"]).status, 65)
        let strict = try runner.run("churn-analyze", ["--events", log, "--strict"])
        XCTAssertEqual(strict.status, 65, strict.stderr)
    }

    /// The deciles against churn-predict's forecasts and labels counted from the log itself.
    func testRiskDecilesAgreeWithThePredictionsAndTheLog() throws {
        let data = AttributeEndToEndTests.makeData()
        let (log, customers, model) = try AttributeEndToEndTests.trainedModel(in: runner)
        let report = runner.path("risk")
        let analyze = try runner.run("churn-analyze", ["--events", log, "--customers", customers, "--model", model,
                                                       "--as-of", "2024-04-10", "--report", report])
        XCTAssertEqual(analyze.status, 0, analyze.stderr)
        let predict = try runner.run("churn-predict", ["--events", log, "--customers", customers, "--model", model, "--as-of", "2024-04-10"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let forecasts = predict.stdout.split(separator: "\n").dropFirst().map { line -> (String, Double) in
            let f = line.split(separator: ",")
            return (String(f[0]), Double(f[1])!)
        }.sorted { $0.1 > $1.1 }
        // Labels from the log: no event in [2024-04-10, 2024-05-10).
        let from = Timestamp.parse("2024-04-10")!, to = Timestamp.parse("2024-05-10")!
        var activeInWindow = Set<String>()
        for line in data.log.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            let t = Timestamp.parse(String(f[1]))!
            if t >= from && t < to { activeInWindow.insert(String(f[0])) }
        }
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/metrics.json"))) as? [String: Any])
        let deciles = try XCTUnwrap(metrics["risk_deciles"] as? [[String: Any]])
        XCTAssertEqual(deciles.count, 10)
        let n = forecasts.count
        for (d, decile) in deciles.enumerated() {
            let members = forecasts[(d * n / 10)..<((d + 1) * n / 10)]
            XCTAssertEqual(decile["customers"] as? Int, members.count)
            let expected = members.reduce(0) { $0 + $1.1 }
            XCTAssertEqual(try XCTUnwrap(decile["expected_churners"] as? Double), expected, accuracy: 1e-5 * Double(members.count))
            let churned = members.filter { !activeInWindow.contains($0.0) }.count
            XCTAssertEqual(try XCTUnwrap(decile["observed_churn_rate"] as? Double), Double(churned) / Double(members.count), accuracy: 1e-12)
        }
        XCTAssertGreaterThan(try XCTUnwrap(deciles.first?["mean_probability"] as? Double), try XCTUnwrap(deciles.last?["mean_probability"] as? Double))
    }
}
