import EventLog
import Features
import Reports
import Foundation
import Snapshots
import XCTest
@testable import Pipelines

/// Reason codes: the sum property for every scorer, TreeSHAP and integrated gradients summing to
/// the change of their logits, the groups and descriptions, and churn-predict's CSV and JSON
/// layouts (with --shard).
final class ExplanationTests: ToolTestCase {
    /// The log and the model of `AttributeEndToEndTests` (a log attribute and a table), trained once.
    func prepared() throws -> (log: String, customers: String, model: String) {
        try AttributeEndToEndTests.trainedModel(in: runner)
    }

    /// The model, the store and its snapshot rows at 2024-04-10, as churn-predict builds them.
    func loaded() throws -> (ForecastModel, EventStore, [SnapshotRow]) {
        let (log, customers, path) = try prepared()
        let model = try ForecastModel.read(from: URL(fileURLWithPath: path))
        var (store, _) = try CSVEventReader.load(paths: [log], options: LoadOptions(attributeColumns: ["plan"]))
        store = try store.adding(CustomerTable.load(path: customers)).store
        let asOf = Timestamp.parse("2024-04-10")!
        let rows = SnapshotBuilder.make(store: store, cutoff: asOf, options: SnapshotOptions(horizon: .days(30)), labels: .none).rows
        return (model, store, rows)
    }

    func testReasonsAddUpToTheForecastForEveryScorer() throws {
        let (model, store, rows) = try loaded()
        let scorer = try Scorer(model: model, store: store)
        for choice in model.scorers {
            let explainer = try Explainer(model: model, store: store, choice: choice, steps: 16)
            XCTAssertEqual(explainer.baseProbability, 1 / (1 + exp(-explainer.baseLogit)), accuracy: 1e-12)
            var checked = 0, worstError = 0.0
            try scorer.score(rows: rows, batchSize: 64) { batch in
                let forecasts = scorer.probabilities(batch, choice: choice)
                let explanations = try explainer.explain(batch, probabilities: forecasts, describe: 3)
                for (i, e) in explanations.enumerated() {
                    XCTAssertEqual(e.probability, forecasts[i])
                    let sum = e.reasons.reduce(e.base) { $0 + $1.contribution }
                    XCTAssertEqual(sum, e.probability, accuracy: 1e-9, "\(choice): base + reasons = the forecast")
                    XCTAssertTrue(e.reasons.allSatisfy { $0.contribution.isFinite && $0.logit.isFinite })
                    XCTAssertEqual(e.reasons.map(\.contribution), e.reasons.map(\.contribution).sorted(by: >), "largest first")
                    XCTAssertEqual(Set(e.reasons.map(\.group.key)).count, e.reasons.count, "one reason per group")
                    // In logit units the attributions add up to the change of the scorer's logit.
                    let logit = log(e.probability / (1 - e.probability))
                    let change = e.reasons.reduce(0) { $0 + $1.logit }
                    let tolerance = choice == .xgboost ? 1e-4 : 0.05
                    XCTAssertEqual(change, logit - explainer.baseLogit, accuracy: tolerance, "\(choice): logit attributions")
                    if choice == .xgboost { XCTAssertEqual(e.integrationError, 0) }
                    worstError = max(worstError, abs(e.integrationError))
                    XCTAssertEqual(e.reasons.filter { !$0.description.isEmpty }.count, min(3, e.reasons.count), "three described")
                    checked += 1
                }
            }
            XCTAssertEqual(checked, rows.count)
            if choice != .xgboost { XCTAssertLessThan(worstError, 0.05, "\(choice): integration error with 16 points") }
        }
    }

    func testGroupsCoverEveryInputOnce() throws {
        let (model, _, _) = try loaded()
        let groups = model.features.cutoffStepGroups
        XCTAssertEqual(groups.count, model.features.featureCount)
        for (name, group) in zip(model.features.numericFeatureNames, groups) {
            switch group {
            case .attribute(let a)?: XCTAssertTrue(name.hasPrefix("attribute_\(a)"), name)
            case .eventType(let t)?: XCTAssertTrue(name.hasPrefix("type_\(t)_"), name)
            case .tenure?: XCTAssertEqual(name, "log1p_tenure_days")
            case .recency?: XCTAssertEqual(name, "log1p_hours_since_previous_step")
            case nil: XCTAssertTrue(["is_first_event", "log1p_hours_until_cutoff"].contains(name), name)
            default: break
            }
        }
        let tabular = try XCTUnwrap(model.boosted?.spec)
        for (name, gs) in zip(tabular.featureNames, tabular.columnGroups) {
            if name.hasPrefix("attribute_channel") { XCTAssertEqual(gs, [.attribute("channel")], name) }
            if name.hasPrefix("count_login_") && !name.contains("_minus_") { XCTAssertEqual(gs, [.eventType("login")], name) }
            if name == "tenure_days" { XCTAssertEqual(gs, [.tenure]) }
            if name.hasPrefix("count_") && name.contains("_minus_") { XCTAssertEqual(gs.count, 2, name) }
        }
    }

    func testDescriptionsUseTheCustomersOwnValues() throws {
        let text = """
        customer_id,timestamp,event,amount,plan
        a,2024-01-01,login,0,basic
        a,2024-02-10,payment_failed,20,
        a,2024-02-25,payment_failed,20,
        a,2024-02-27 12:00:00,login,0,

        """
        var reader = CSVEventReader(options: LoadOptions(columns: ColumnMapping(values: ["amount"]), attributeColumns: ["plan"]))
        try reader.add(source: MemoryByteSource(text), name: "log.csv")
        let store = try reader.finish().store
        let cutoff = Timestamp.parse("2024-03-01")!
        let row = SnapshotRow(customer: 0, historyEnd: store.historyEnd(of: 0, before: cutoff), cutoff: cutoff, label: nil)
        let attributes = try AttributeSpec.fit(store: store, rows: [row], minCount: 1)
        let describer = ReasonDescriber(store: store, attributes: attributes)
        let texts = describer.describe([.eventType("payment_failed"), .eventType("login"), .eventType("upgrade"), .otherEventTypes,
                                        .value("amount"), .attribute("plan"), .tenure, .recency, .activity],
                                       row: row, known: ["payment_failed", "login", "upgrade"])
        XCTAssertEqual(texts, [
            "2 payment_failed in the last 30 days (2 in all), the last 5 days ago",
            "1 login in the last 30 days (2 in all), the last 3 days ago",
            "no upgrade ever",
            "0 events of other types in the last 30 days (0 in all)",
            "amount 40 in the last 30 days, 40 in all",
            "plan = basic",
            "customer for 60 days",
            "last event 3 days ago",
            "3 events in the last 30 days (1 in the 30 before, 4 in all)",
        ])
        XCTAssertEqual(ReasonDescriber.age(3 * Timestamp.microsecondsPerHour), "3 hours")
        XCTAssertEqual(ReasonDescriber.age(Timestamp.microsecondsPerDay), "1 day")
        XCTAssertEqual(ReasonDescriber.age(41 * Timestamp.microsecondsPerDay), "41 days")
        XCTAssertEqual(ReasonDescriber.number(12.345), "12.35")
    }

    /// RFC 4180 fields of one CSV line (quotes, doubled quotes, commas inside quotes).
    func fields(_ line: Substring) -> [String] {
        var out: [String] = [], field = "", quoted = false, chars = Array(line), i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" { if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false } } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(field); field = "" } else { field.append(c) }
            i += 1
        }
        out.append(field)
        return out
    }

    func testChurnPredictWritesReasonsInBothFormatsAndEveryShard() throws {
        let (log, customers, model) = try prepared()
        let common = ["--model", model, "--events", log, "--customers", customers, "--as-of", "2024-04-10", "--explain", "2"]
        let csv = try runner.run("churn-predict", common)
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertTrue(csv.stderr.contains("reasons: base value"), csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(String(lines[0]), "customer_id,churn_probability,reason_1,reason_1_event,reason_1_contribution,"
                       + "reason_2,reason_2_event,reason_2_contribution")
        for line in lines.dropFirst() {
            let f = fields(line)
            XCTAssertEqual(f.count, 8, String(line))
            XCTAssertFalse(f[2].isEmpty, String(line))
            let c1 = try XCTUnwrap(Double(f[4])), c2 = try XCTUnwrap(Double(f[7]))
            XCTAssertGreaterThanOrEqual(c1, c2, "largest contribution first: \(line)")
            if !f[3].isEmpty { XCTAssertTrue(f[2].contains(f[3]), "the description names its event: \(line)") }
        }
        let jsonl = try runner.run("churn-predict", common + ["--format", "jsonl", "--scorer", "lstm"])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        for line in jsonl.stdout.split(separator: "\n") {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(Set(object.keys), ["customer_id", "churn_probability", "reasons"])
            let reasons = try XCTUnwrap(object["reasons"] as? [[String: Any]])
            XCTAssertEqual(reasons.count, 2)
            for r in reasons {
                XCTAssertEqual(Set(r.keys), ["event", "description", "contribution", "group"])
                XCTAssertTrue(r["event"] is String || r["event"] is NSNull)
            }
        }
        // Shards: the same customers and forecasts, the same reasons.
        var union: [String: [String]] = [:]
        for shard in 0..<2 {
            let part = try runner.run("churn-predict", common + ["--shard", "\(shard)/2"])
            XCTAssertEqual(part.status, 0, part.stderr)
            for line in part.stdout.split(separator: "\n").dropFirst() { union[fields(line)[0]] = fields(line) }
        }
        XCTAssertEqual(union.count, lines.count - 1)
        for line in lines.dropFirst() {
            let whole = fields(line), sharded = try XCTUnwrap(union[whole[0]])
            XCTAssertEqual(sharded[1], whole[1], "the forecast")
            XCTAssertEqual([sharded[2], sharded[5]], [whole[2], whole[5]], "the reasons")
            XCTAssertEqual(Double(sharded[4])!, Double(whole[4])!, accuracy: 2e-6)
        }
        let bad = try runner.run("churn-predict", common.dropLast(2) + ["--explain", "0"])
        XCTAssertEqual(bad.status, 64)
    }

    func testTheSummaryOfExplanationsIsComputedAsDocumented() {
        func e(_ p: Double, _ reasons: [(ReasonGroup, Double)]) -> Explanation {
            Explanation(probability: p, base: 0.1,
                        reasons: reasons.map { Reason(group: $0.0, contribution: $0.1, logit: $0.1, description: "") }
                            .sorted { $0.contribution > $1.contribution },
                        integrationError: 0)
        }
        var explanations: [Explanation] = []
        // 20 customers: the two riskiest have payment_failed and tenure as their largest positive reasons.
        explanations.append(e(0.9, [(.eventType("payment_failed"), 0.5), (.tenure, 0.3)]))
        explanations.append(e(0.8, [(.tenure, 0.4), (.eventType("payment_failed"), 0.3)]))
        for k in 0..<18 { explanations.append(e(0.1 + Double(k) * 0.01, [(.eventType("login"), -0.02), (.tenure, Double(k) * 0.001)])) }
        let summary = ReasonSummary(explanations, model: "ensemble", base: 0.1)
        XCTAssertEqual(summary.customers, 20)
        XCTAssertEqual(summary.decileCustomers, 2)
        let tenure = summary.importance.first { $0.reason == "tenure" }!
        let tenureTotal = 0.3 + 0.4 + (0..<18).reduce(0.0) { $0 + Double($1) * 0.001 }
        XCTAssertEqual(tenure.meanAbsoluteContribution, tenureTotal / 20, accuracy: 1e-12)
        XCTAssertNil(tenure.event)
        let login = summary.importance.first { $0.reason == "event:login" }!
        XCTAssertEqual(login.meanAbsoluteContribution, 18 * 0.02 / 20, accuracy: 1e-12)
        XCTAssertEqual(login.meanContribution, -18 * 0.02 / 20, accuracy: 1e-12)
        XCTAssertEqual(login.event, "login")
        XCTAssertEqual(summary.importance.map(\.meanAbsoluteContribution), summary.importance.map(\.meanAbsoluteContribution).sorted(by: >))
        XCTAssertEqual(summary.topOfHighestRiskDecile.map(\.reason).sorted(), ["event:payment_failed", "tenure"])
        XCTAssertEqual(summary.topOfHighestRiskDecile.map(\.share), [0.5, 0.5])
        XCTAssertEqual(summary.topOfHighestRiskDecile.first { $0.reason == "tenure" }!.meanContribution, 0.4, accuracy: 1e-12)
    }

    func testEvaluateReportsTheReasons() throws {
        let (log, customers, model) = try prepared()
        let report = runner.path("report")
        let run = try runner.run("churn-evaluate", ["--model", model, "--events", log, "--customers", customers,
                                                    "--cutoff", "2024-04-10", "--report", report, "--bootstrap", "20"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report + "/metrics.json"))) as? [String: Any])
        let reasons = try XCTUnwrap(metrics["reasons"] as? [String: Any])
        XCTAssertEqual(reasons["model"] as? String, "ensemble")
        let importance = try XCTUnwrap(reasons["importance"] as? [[String: Any]])
        XCTAssertFalse(importance.isEmpty)
        XCTAssertTrue(importance.allSatisfy { $0.keys.contains("event") }, "event is always present (null when none)")
        XCTAssertEqual(reasons["customers"] as? Int, metrics["customers"] as? Int)
        let html = try String(contentsOfFile: report + "/report.html", encoding: .utf8)
        XCTAssertTrue(html.contains("Why customers are at risk"))
        let markdown = try String(contentsOfFile: report + "/report.md", encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Why customers are at risk"))
        let skipped = try runner.run("churn-evaluate", ["--model", model, "--events", log, "--customers", customers, "--cutoff", "2024-04-10",
                                                        "--report", runner.path("plain"), "--bootstrap", "20", "--no-reasons"])
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        let plain = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: runner.path("plain") + "/metrics.json"))) as? [String: Any])
        XCTAssertNil(plain["reasons"])
    }
}
