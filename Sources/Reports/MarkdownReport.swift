import Baselines
import Evaluation
import Foundation

/// Builds `report.md`: the numbers of `report.html` without the charts.
struct MarkdownReport {
    let report: EvaluationReport

    func render() -> String {
        var md = "# Churn model evaluation\n\n"
        md += "**\(Self.text(ReportRenderer.verdict(report)))**\n\n"
        if let e = report.evaluations.first {
            md += "Cutoff \(Self.text(ReportRenderer.shortDate(e.cutoff))), horizon \(ReportRenderer.days(e.horizonDays)), "
            md += "churn definition \(Self.text(e.churnDefinition)): \(ReportRenderer.count(e.customers)) customers evaluated, "
            md += "churn rate \(ReportRenderer.percent(e.churnRate)).\n\n"
            md += metrics(e)
            if let reasons = e.reasons { md += Self.reasons(reasons) }
        }
        if report.evaluations.count > 1 { md += backtest() }
        md += training()
        md += data()
        let warnings = ReportRenderer.warnings(report)
        if !warnings.isEmpty {
            md += "## Warnings\n\n" + warnings.map { "- \(Self.text($0))\n" }.joined() + "\n"
        }
        md += "Charts (ROC, precision–recall, calibration, gains, score distributions, training curves) are in `report.html`.\n"
        return md
    }

    static func reasons(_ r: ReasonSummary) -> String {
        var md = "## Why customers are at risk\n\n"
        md += "Reason codes of the \(text(EvaluationReport.displayName(r.model))) forecast: base value \(ReportRenderer.percent(r.base)) "
        md += "plus signed contributions in probability points.\n\n| reason | mean abs. contribution | mean contribution |\n|---|---:|---:|\n"
        for i in r.importance.prefix(15) {
            md += "| \(cell(ReasonSummary.label(i.reason))) | \(String(format: "%.2f", 100 * i.meanAbsoluteContribution)) pts | \(String(format: "%+.2f", 100 * i.meanContribution)) |\n"
        }
        md += "\nThe largest reason raising the forecast of the \(ReportRenderer.count(r.decileCustomers)) highest-risk customers:\n\n"
        md += "| reason | customers | share | mean contribution |\n|---|---:|---:|---:|\n"
        for t in r.topOfHighestRiskDecile.prefix(12) {
            md += "| \(cell(ReasonSummary.label(t.reason))) | \(t.customers) | \(ReportRenderer.percent(t.share)) | \(String(format: "%+.1f", 100 * t.meanContribution)) pts |\n"
        }
        return md + "\n"
    }

    func metrics(_ e: CutoffEvaluation) -> String {
        let models = ReportRenderer.orderedModels(e)
        let columns = ReportRenderer.metricColumns
        var md = "## Metrics\n\n"
        let headline = ReportRenderer.shortName(e.headline)
        md += "| Model | ROC AUC (95% CI) | " + columns.dropFirst().map(\.title).joined(separator: " | ")
            + " | \(headline) − model ROC AUC (95% CI) | \(headline) − model log loss (95% CI) |\n"
        md += "|:--|" + String(repeating: "--:|", count: columns.count + 2) + "\n"
        let best = columns.map { ReportRenderer.bestFormatted($0, e, models) }
        for m in models {
            guard let set = e.models[m] else { continue }
            var cells = [Self.cell(EvaluationReport.displayName(m))]
            for (c, column) in columns.enumerated() {
                var text = column.format(column.value(set))
                if column.title == "ROC AUC", let ci = ReportRenderer.interval(set.rocAUCCI95) { text += " (\(ci))" }
                let isBest = best[c] != nil && column.format(column.value(set)) == best[c]
                cells.append(isBest ? "**\(text)**" : text)
            }
            if m == e.headline {
                cells += ["headline", "headline"]
            } else {
                let d = ReportRenderer.difference(e.differences[m], headline: e.headline)
                cells.append(d.reading.isEmpty ? d.value : "\(d.value): \(d.reading)")
                let l = ReportRenderer.logLossDifference(e.differences[m], headline: e.headline)
                cells.append(l.reading.isEmpty ? l.value : "\(l.value): \(l.reading)")
            }
            md += "| " + cells.joined(separator: " | ") + " |\n"
        }
        md += "\nBold: the best value per column. A positive difference means the \(headline) (the headline forecast) ranks churners better; "
        md += "“\(headline) ahead” means its whole 95% paired bootstrap interval is on its side of zero (above for ROC AUC, below for log loss). Lower is better for log loss, Brier and ECE; "
        md += "“—” marks a value that is undefined (e.g. no probabilities for the recency rule).\n\n"
        return md
    }

    func backtest() -> String {
        let evaluations = ReportRenderer.chronological(report).reversed()
        let models = ReportRenderer.orderedModels(Set(evaluations.flatMap { $0.models.keys }))
        let headlineModel = report.main.headline, headline = ReportRenderer.shortName(headlineModel)
        var md = "## Backtest: ROC AUC per cutoff\n\n"
        md += "| Cutoff | Customers | Churn rate | " + models.map { Self.cell(EvaluationReport.displayName($0)) }.joined(separator: " | ")
            + " | \(headline) − best other model (95% CI) |\n"
        md += "|:--|--:|--:|" + String(repeating: "--:|", count: models.count + 1) + "\n"
        for e in evaluations {
            let best = ReportRenderer.bestFormatted(ReportRenderer.metricColumns[0], e, models)
            let cells = models.map { m -> String in
                let text = ReportRenderer.fixed(e.models[m]?.rocAUC ?? .nan, 3)
                return best != nil && text == best ? "**\(text)**" : text
            }
            var diff = "—"
            if let (name, d) = ReportRenderer.bestOther(e), e.models[e.headline] != nil {
                let text = ReportRenderer.difference(d, headline: e.headline)
                diff = "\(text.value) vs \(Self.cell(EvaluationReport.displayName(name)))" + (text.reading.isEmpty ? "" : ": \(text.reading)")
            }
            md += "| \(Self.cell(ReportRenderer.shortDate(e.cutoff))) | \(ReportRenderer.count(e.customers)) | \(ReportRenderer.percent(e.churnRate)) | "
                + cells.joined(separator: " | ") + " | \(diff) |\n"
        }
        md += "\nNewest cutoff first; bold: the best ROC AUC at each cutoff.\n\n"
        md += "### \(headline) metrics per cutoff\n\n"
        md += "| Cutoff | " + ReportRenderer.metricColumns.map(\.title).joined(separator: " | ") + " |\n"
        md += "|:--|" + String(repeating: "--:|", count: ReportRenderer.metricColumns.count) + "\n"
        for e in evaluations {
            let cells = ReportRenderer.metricColumns.map { c in e.models[headlineModel].map { c.format(c.value($0)) } ?? "—" }
            md += "| \(Self.cell(ReportRenderer.shortDate(e.cutoff))) | " + cells.joined(separator: " | ") + " |\n"
        }
        return md + "\n"
    }

    func training() -> String {
        let history = report.history.sorted { $0.epoch < $1.epoch }
        guard let last = history.last else { return "" }
        var md = "## Training\n\n"
        if let best = history.filter({ $0.validationLoss.isFinite }).min(by: { $0.validationLoss < $1.validationLoss }) {
            md += "\(history.count) epoch\(history.count == 1 ? "" : "s"); best validation loss \(ReportRenderer.fixed(best.validationLoss, 4)) "
            md += "at epoch \(best.epoch) (validation ROC AUC \(ReportRenderer.fixed(best.validationAUC, 3))); "
        } else {
            md += "\(history.count) epoch\(history.count == 1 ? "" : "s"); "
        }
        md += "last epoch \(last.epoch): training loss \(ReportRenderer.fixed(last.trainLoss, 4)), validation loss \(ReportRenderer.fixed(last.validationLoss, 4)), "
        md += "validation ROC AUC \(ReportRenderer.fixed(last.validationAUC, 3)).\n\n"
        return md
    }

    func data() -> String {
        let d = report.data
        var md = "## Data\n\n"
        md += "- Files: " + (d.files.isEmpty ? "—" : d.files.map(Self.code).joined(separator: ", ")) + "\n"
        md += "- Rows read: \(ReportRenderer.count(d.rowsRead))\n"
        md += "- Bad rows: \(ReportRenderer.count(d.badRows))"
        if d.rowsRead > 0 && d.badRows > 0 { md += " (\(ReportRenderer.percent(Double(d.badRows) / Double(d.rowsRead))))" }
        md += "\n"
        for sample in d.badRowSamples { md += "  - \(Self.code(sample))\n" }
        md += "- Customers in log: \(ReportRenderer.count(d.customersInLog))\n"
        md += "- Events: \(ReportRenderer.count(d.events))\n"
        md += "- Time range: \(Self.text(d.firstEvent)) to \(Self.text(d.lastEvent))\n"
        if let e = report.evaluations.first {
            md += "- Cutoff: \(Self.text(e.cutoff))\n"
            md += "- Horizon: \(ReportRenderer.days(e.horizonDays))\n"
            md += "- Churn definition: \(Self.text(e.churnDefinition))\n"
            md += "- Customers evaluated: \(ReportRenderer.count(e.customers))\n"
            md += "- Churn rate: \(ReportRenderer.percent(e.churnRate))\n"
        }
        md += "- Model: \(Self.code(report.modelPath)), created \(Self.text(report.modelCreatedAt)), tool version \(Self.text(report.toolVersion))\n\n"
        return md
    }

    // MARK: - Escaping

    /// Plain text with Markdown's and HTML's special characters backslash-escaped.
    static func text(_ s: String) -> String {
        var out = ""
        for c in s {
            if "\\`*_[]<>|&#".contains(c) { out.append("\\") }
            if c == "\n" { out.append(" "); continue }
            out.append(c)
        }
        return out
    }

    /// Text for a table cell.
    static func cell(_ s: String) -> String { text(s) }

    /// An inline code span that holds any text literally (the fence is longer than any backtick run).
    static func code(_ s: String) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ")
        var longest = 0, run = 0
        for c in flat { run = c == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = flat.hasPrefix("`") || flat.hasSuffix("`") ? " " : ""
        return fence + pad + flat + pad + fence
    }
}
