import Baselines
import Evaluation
@testable import Reports
import Foundation
import XCTest

/// Builds reports from seeded synthetic scores, with real metrics and curves from `Evaluation`.
enum SyntheticReport {
    /// SplitMix64: a small seeded generator.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func normal() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &self), v = Double.random(in: 0..<1, using: &self)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }

    static func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// One cutoff: a latent churn propensity, labels drawn from it, and five models that see it
    /// with decreasing clarity (the LSTM best; recency scores in days, not probabilities).
    static func evaluation(cutoff: String, seed: UInt64, customers n: Int = 1500, lstmSignal: Double = 1.6,
                           singleClass: Bool = false) throws -> CutoffEvaluation {
        var g = Generator(state: seed)
        let latent = (0..<n).map { _ in g.normal() }
        let labels = latent.map { z in singleClass ? true : Double.random(in: 0..<1, using: &g) < sigmoid(1.2 + 1.8 * z) }
        func model(_ signal: Double, _ noise: Double, offset: Double = 1.2) -> [Double] {
            latent.map { sigmoid(offset + signal * $0 + noise * g.normal()) }
        }
        let scored = [
            ModelScores(name: "lstm", probabilities: model(lstmSignal, 0.5)),
            ModelScores(name: "aggregate_logistic", probabilities: model(1.0, 1.0, offset: 0.9)),
            ModelScores(name: "rfm_logistic", probabilities: model(0.9, 1.0)),
            ModelScores(name: "bg_nbd", probabilities: model(0.6, 1.2, offset: 0.4)),
            ModelScores(name: "recency", scores: latent.map { (40 + 60 * $0 + 50 * g.normal()).rounded() }, probabilities: nil),
        ]
        let comparison = try ModelComparison.evaluate(models: scored, labels: labels, reference: "lstm",
                                                      bootstrap: Bootstrap(resamples: 200, seed: seed))
        var curves: [String: ModelCurves] = [:]
        var warnings: [String] = []
        if labels.contains(true) && labels.contains(false) {
            for m in scored { curves[m.name] = try ModelCurves(m, labels: labels) }
        }
        for (name, metrics) in comparison.models.sorted(by: { $0.key < $1.key }) {
            for w in metrics.warnings { warnings.append("\(name): \(w)") }
        }
        let positives = labels.filter { $0 }.count
        return CutoffEvaluation(cutoff: cutoff, horizonDays: 181, churnDefinition: "inactivity", customers: n,
                                churnRate: Double(positives) / Double(n), models: comparison.models,
                                differences: comparison.differences, curves: curves, warnings: warnings)
    }

    static func history(epochs: Int) -> [EpochRecord] {
        (1...max(epochs, 1)).prefix(epochs).map { e in
            let t = Double(e)
            return EpochRecord(epoch: e, trainLoss: 0.42 + 0.25 * exp(-t / 3), validationLoss: 0.46 + 0.2 * exp(-t / 3) + 0.004 * max(0, t - 9),
                               validationAUC: 0.83 - 0.12 * exp(-t / 2.5) - 0.002 * max(0, t - 9), learningRate: 3e-3,
                               seconds: 12.5, sequencesPerSecond: 1800)
        }
    }

    static func report(cutoffs: Int = 4, epochs: Int = 14, files: [String] = ["data/events-<b>&\"2024\".csv.gz", "data/events-2.csv"],
                       singleClass: Bool = false) throws -> EvaluationReport {
        // Quarterly cutoffs going back from 1998-01-01, newest first.
        let dates = (0..<cutoffs).map { k -> String in
            let months = 1998 * 12 - 3 * k
            return String(format: "%04d-%02d-01T00:00:00Z", months / 12, months % 12 + 1)
        }
        var evaluations: [CutoffEvaluation] = []
        for k in 0..<cutoffs {
            evaluations.append(try evaluation(cutoff: dates[k], seed: UInt64(7 + k),
                                              lstmSignal: 1.6 - 0.1 * Double(k), singleClass: singleClass && k == 0))
        }
        let data = EvaluationReport.DataSection(
            files: files, rowsRead: 69_659, badRows: 3,
            badRowSamples: ["events.csv:17: bad timestamp: C<01>,2024-13-01,&buy", "events.csv:90: missing customer id: ,1997-02-03,buy",
                            "events.csv:1204: too many fields: a,b,c,d"],
            customersInLog: 23_570, events: 69_656, firstEvent: "1997-01-01T00:00:00Z", lastEvent: "1998-06-30T00:00:00Z")
        return EvaluationReport(toolVersion: "0.1.0", modelPath: "models/churn<&>.model", modelCreatedAt: "2026-11-24T08:00:00Z",
                                evaluations: evaluations, history: history(epochs: epochs), data: data)
    }
}

final class ReportRendererTests: XCTestCase {
    func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// Every number-like NaN or infinity token ("nan", "NaN", "inf") in the text.
    func nonFiniteTokens(_ text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "(?<![A-Za-z])(nan|inf|infinity)(?![A-Za-z])", options: [.caseInsensitive])
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { (text as NSString).substring(with: $0.range) }
    }

    func assertWellFormed(_ html: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"), file: file, line: line)
        XCTAssertEqual(count("<svg", in: html), count("</svg>", in: html), "unbalanced <svg>", file: file, line: line)
        for tag in ["section", "table", "figure", "tr", "ul", "p"] {
            XCTAssertEqual(count("<\(tag)>", in: html) + count("<\(tag) ", in: html), count("</\(tag)>", in: html),
                           "unbalanced <\(tag)>", file: file, line: line)
        }
        XCTAssertFalse(html.lowercased().contains("<script"), file: file, line: line)
        XCTAssertFalse(html.lowercased().contains("javascript:"), file: file, line: line)
        let urls = html.components(separatedBy: "http").count - 1
        XCTAssertEqual(urls, count("http://www.w3.org/2000/svg", in: html), "only the SVG namespace may be a URL", file: file, line: line)
        XCTAssertEqual(nonFiniteTokens(html), [], file: file, line: line)
    }

    func testFullReportHTML() throws {
        let report = try SyntheticReport.report()
        let html = ReportRenderer.html(report)
        assertWellFormed(html)
        XCTAssertTrue(html.contains(ReportRenderer.escape(report.verdict)))
        XCTAssertTrue(report.verdict.contains("95% interval"), report.verdict)
        for m in report.main.models.keys {
            XCTAssertTrue(html.contains(ReportRenderer.escape(EvaluationReport.displayName(m))), m)
        }
        // The verdict precedes the metrics table, which precedes the charts.
        let verdict = html.range(of: "class=\"verdict\"")!, metrics = html.range(of: "<h2>Metrics</h2>")!
        let charts = html.range(of: "<h2>Charts</h2>")!, data = html.range(of: "<h2>Data</h2>")!
        XCTAssertTrue(verdict.lowerBound < metrics.lowerBound && metrics.lowerBound < charts.lowerBound && charts.lowerBound < data.lowerBound)
        for title in ["ROC curves", "Precision–recall curves", "Calibration", "Cumulative gains", "LSTM score distribution by class",
                      "Loss per epoch", "Validation ROC AUC per epoch", "Backtest", "ROC AUC over cutoffs", "Warnings"] {
            XCTAssertTrue(html.contains(title), title)
        }
        // The recency rule has no probabilities: its log loss, Brier and ECE cells are dashes.
        XCTAssertTrue(html.contains("—"))
        // Real numbers: the LSTM's AUC appears with three decimals.
        XCTAssertTrue(html.contains(ReportRenderer.fixed(report.main.models["lstm"]!.rocAUC, 3)))
        XCTAssertGreaterThanOrEqual(count("class=\"best\"", in: html), 6)
    }

    func testTextIsEscaped() throws {
        let report = try SyntheticReport.report()
        let html = ReportRenderer.html(report)
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertTrue(html.contains("data/events-&lt;b&gt;&amp;&quot;2024&quot;.csv.gz"))
        XCTAssertTrue(html.contains("churn&lt;&amp;&gt;.model"))
        XCTAssertTrue(html.contains("C&lt;01&gt;,2024-13-01,&amp;buy"))
        let md = ReportRenderer.markdown(report)
        XCTAssertTrue(md.contains("`data/events-<b>&\"2024\".csv.gz`"), "file names are code spans in Markdown")
    }

    func testMarkdown() throws {
        let report = try SyntheticReport.report()
        let md = ReportRenderer.markdown(report)
        XCTAssertTrue(md.contains("| Model | ROC AUC (95% CI) | PR AUC | Log loss | Brier | ECE | Top-decile lift | LSTM − model ROC AUC (95% CI) | LSTM − model log loss (95% CI) |"))
        XCTAssertTrue(md.contains(MarkdownReport.text(report.verdict)))
        XCTAssertTrue(md.contains("## Backtest"))
        XCTAssertTrue(md.contains("## Data"))
        XCTAssertTrue(md.contains("## Warnings"))
        XCTAssertTrue(md.contains("Customers evaluated: 1,500"))
        XCTAssertEqual(nonFiniteTokens(md), [])
        // One table row per model, with as many cells as the header.
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| LSTM |") || $0.hasPrefix("| recency rule |") }
        XCTAssertEqual(rows.count, 2)
        for row in rows { XCTAssertEqual(row.filter { $0 == "|" }.count, 10, String(row)) }
        XCTAssertFalse(md.contains("<script"))
    }

    func testSingleClassRendersDashes() throws {
        let report = try SyntheticReport.report(cutoffs: 1, singleClass: true)
        XCTAssertTrue(report.main.models["lstm"]!.rocAUC.isNaN)
        let html = ReportRenderer.html(report)
        assertWellFormed(html)
        XCTAssertTrue(html.contains("No verdict"))
        XCTAssertTrue(html.contains("single class"))
        XCTAssertTrue(html.contains("<td>—</td>"))
        let md = ReportRenderer.markdown(report)
        XCTAssertEqual(nonFiniteTokens(md), [])
        XCTAssertTrue(md.contains("| — |"))
    }

    func testNaNMetricsAndEmptyCurvesDoNotCrash() throws {
        var report = try SyntheticReport.report(cutoffs: 2)
        report.evaluations[0].models["bg_nbd"]?.rocAUC = .nan
        report.evaluations[0].models["bg_nbd"]?.rocAUCCI95 = [.nan, .nan]
        report.evaluations[0].models["lstm"]?.ece = .infinity
        report.evaluations[0].differences["bg_nbd"] = AUCDifference(rocAUCDiff: .nan, rocAUCDiffCI95: [])
        report.evaluations[0].curves["rfm_logistic"]?.roc = []
        report.evaluations[1].models["recency"] = nil
        report.history[2].validationAUC = .nan
        report.history[3].validationLoss = .nan
        let html = ReportRenderer.html(report)
        assertWellFormed(html)
        XCTAssertEqual(nonFiniteTokens(ReportRenderer.markdown(report)), [])
        // metrics.json: NaN and ±∞ are null, and the document still parses as JSON.
        let json = String(decoding: try report.metricsJSON(), as: UTF8.self)
        XCTAssertEqual(nonFiniteTokens(json), [])
        XCTAssertFalse(json.contains("Infinity"))
        let parsed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let models = try XCTUnwrap(parsed["models"] as? [String: Any])
        XCTAssertTrue((models["lstm"] as? [String: Any])?["ece"] is NSNull, "ECE = +∞ must be null")
        XCTAssertTrue((models["bg_nbd"] as? [String: Any])?["roc_auc"] is NSNull, "ROC AUC = NaN must be null")
    }

    func testEmptyHistoryAndSingleCutoffOmitSections() throws {
        let report = try SyntheticReport.report(cutoffs: 1, epochs: 0)
        XCTAssertTrue(report.history.isEmpty)
        let html = ReportRenderer.html(report)
        assertWellFormed(html)
        XCTAssertFalse(html.contains("<h2>Training</h2>"))
        XCTAssertFalse(html.contains("<h2>Backtest</h2>"))
        XCTAssertTrue(html.contains("<h2>Charts</h2>"))
        let md = ReportRenderer.markdown(report)
        XCTAssertFalse(md.contains("## Training"))
        XCTAssertFalse(md.contains("## Backtest"))
    }

    func testNoEvaluations() {
        let data = EvaluationReport.DataSection(files: [], rowsRead: 0, badRows: 0, badRowSamples: [], customersInLog: 0,
                                                events: 0, firstEvent: "", lastEvent: "")
        let report = EvaluationReport(toolVersion: "0", modelPath: "m", modelCreatedAt: "", evaluations: [], history: [], data: data)
        assertWellFormed(ReportRenderer.html(report))
        XCTAssertTrue(ReportRenderer.markdown(report).contains("No verdict"))
    }

    func testNumberFormatting() {
        XCTAssertEqual(ReportRenderer.fixed(.nan, 3), "—")
        XCTAssertEqual(ReportRenderer.fixed(-0.0001, 3), "0.000")
        XCTAssertEqual(ReportRenderer.signed(0.0451, 3), "+0.045")
        XCTAssertEqual(ReportRenderer.signed(-0.0451, 3), "-0.045")
        XCTAssertEqual(ReportRenderer.percent(0.7723), "77.2%")
        XCTAssertEqual(ReportRenderer.count(23570), "23,570")
        XCTAssertEqual(ReportRenderer.count(999), "999")
        XCTAssertEqual(ReportRenderer.days(181), "181 days")
        let ticks = SVGChart.niceTicks(0.42...0.67, count: 5)
        XCTAssertEqual(ticks.map { ($0 * 100).rounded() / 100 }, [0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70])
    }

    func testBacktestSectionsAndDeduplicatedWarnings() throws {
        let report = try SyntheticReport.report(cutoffs: 3)
        let html = ReportRenderer.html(report)
        XCTAssertTrue(html.contains("LSTM − best other model"))
        XCTAssertTrue(html.contains("LSTM metrics per cutoff"))
        // Oldest cutoff first along the chart's axis, newest first in the table.
        let table = html.range(of: "<table class=\"metrics backtest\">")!
        let newest = html.range(of: ">1998-01-01</th>", range: table.upperBound..<html.endIndex)!
        let oldest = html.range(of: ">1997-07-01</th>", range: table.upperBound..<html.endIndex)!
        XCTAssertLessThan(newest.lowerBound, oldest.lowerBound)
        // The recency warning appears at every cutoff but is listed once.
        let warnings = ReportRenderer.warnings(report)
        XCTAssertEqual(warnings.filter { $0.contains("recency: scores are not probabilities") }.count, 1)
        XCTAssertTrue(warnings.contains { $0.hasSuffix("(every cutoff)") })
        var partial = report
        partial.evaluations[1].warnings.append("only here")
        XCTAssertTrue(ReportRenderer.warnings(partial).contains("only here (cutoff 1997-10-01)"))
        let md = ReportRenderer.markdown(report)
        XCTAssertTrue(md.contains("LSTM − best other model (95% CI)"))
        XCTAssertTrue(md.contains("### LSTM metrics per cutoff"))
    }

    func testTiesAreNotHighlightedAndBestIsPerColumn() throws {
        let report = try SyntheticReport.report(cutoffs: 1, singleClass: true)
        let html = ReportRenderer.html(report)
        // Every model has lift 1.000 on a single class: nothing to point out.
        XCTAssertFalse(html.contains("<td class=\"best\">1.000</td>"))
        let e = try SyntheticReport.report(cutoffs: 1).main
        let models = ReportRenderer.orderedModels(e)
        XCTAssertEqual(models, ModelRegistry.order.filter { e.models[$0] != nil }, "registry order")
        XCTAssertEqual(models.first, "lstm")
        let logLoss = ReportRenderer.metricColumns[2]
        let best = e.models.values.map(\.logLoss).filter(\.isFinite).min()!
        XCTAssertEqual(ReportRenderer.bestFormatted(logLoss, e, models), logLoss.format(best))
    }

    func testUnknownModelNamesAreEscapedAndOrderedLast() throws {
        var report = try SyntheticReport.report(cutoffs: 2)
        report.evaluations[0].models["<img src=x>"] = report.evaluations[0].models["rfm_logistic"]
        report.evaluations[0].curves["<img src=x>"] = report.evaluations[0].curves["rfm_logistic"]
        report.evaluations[0].differences["<img src=x>"] = report.evaluations[0].differences["rfm_logistic"]
        XCTAssertEqual(ReportRenderer.orderedModels(report.main).last, "<img src=x>")
        let html = ReportRenderer.html(report)
        assertWellFormed(html)
        XCTAssertFalse(html.contains("<img"))
        XCTAssertTrue(html.contains("&lt;img src=x&gt;"))
        let md = ReportRenderer.markdown(report)
        XCTAssertTrue(md.contains("\\<img src=x\\>"), "backslash-escaped in Markdown")
        XCTAssertFalse(md.replacingOccurrences(of: "\\<", with: "").contains("<img"))
    }

    func testChartDropsNonFiniteAndClampsPoints() {
        var chart = SVGChart(x: .unit("x"), y: .unit("y"), ariaLabel: "a <chart>")
        chart.line([(0, 0), (.nan, 0.5), (0.5, .infinity), (2, -1)], style: .init(color: "#000"), label: "series & more")
        chart.rect(x0: 0, x1: .nan, y0: 0, y1: 1, color: "#000")
        let svg = chart.render()
        XCTAssertEqual(nonFiniteTokens(svg), [])
        XCTAssertTrue(svg.contains("series &amp; more"))
        XCTAssertTrue(svg.contains("a &lt;chart&gt;"))
        XCTAssertEqual(count("<rect", in: svg), 1, "only the plot frame; the NaN bar is dropped")
        // (2, -1) is clamped to the plot's bottom-right corner.
        XCTAssertTrue(svg.contains("\(SVGChart.n(chart.px(1))),\(SVGChart.n(chart.py(0)))"))
    }

    /// Writes the sample report for a look in a browser when REPORT_SAMPLE_DIR is set.
    func testWriteSampleReport() throws {
        guard let dir = ProcessInfo.processInfo.environment["REPORT_SAMPLE_DIR"] else { return }
        let report = try SyntheticReport.report(cutoffs: 5)
        try ReportRenderer.html(report).write(toFile: dir + "/report.html", atomically: true, encoding: .utf8)
        try ReportRenderer.markdown(report).write(toFile: dir + "/report.md", atomically: true, encoding: .utf8)
        let long = try SyntheticReport.report(cutoffs: 12, epochs: 45)
        try ReportRenderer.html(long).write(toFile: dir + "/long.html", atomically: true, encoding: .utf8)
        let small = try SyntheticReport.report(cutoffs: 1, epochs: 0, singleClass: true)
        try ReportRenderer.html(small).write(toFile: dir + "/single-class.html", atomically: true, encoding: .utf8)
    }
}
