import Analysis
import ChurnSupport
import Foundation

extension AnalysisReport {
    /// `report.md`: the period table, cohorts, survival and risk deciles.
    public func markdown() -> String {
        let a = analysis
        var md = "# Churn analysis\n\nChurn by \(a.churnDefinition), per \(a.period.rawValue) (UTC), from \(files.joined(separator: ", "))"
        md += badRows > 0 ? " (\(badRows) bad rows skipped)." : "." 
        md += "\n\n## Periods\n\n```\n" + table + "```\n\n"
        md += "## Cohorts (share retained k periods after the first)\n\n| cohort | customers |"
            + (0..<min(12, a.cohorts.first?.retention.count ?? 0)).map { " \($0) |" }.joined() + "\n|---|---:|"
            + (0..<min(12, a.cohorts.first?.retention.count ?? 0)).map { _ in "---:|" }.joined() + "\n"
        for c in a.cohorts {
            md += "| \(c.start) | \(c.customers) |" + c.retention.prefix(12).map { " \(Self.percent($0)) |" }.joined() + "\n"
        }
        md += "\n## Survival (Kaplan–Meier, days from the first event to churn)\n\n| segment | customers | churned | median days | S(30) | S(90) | S(180) |\n|---|---:|---:|---:|---:|---:|---:|\n"
        for s in a.survival {
            md += "| \(s.segment ?? "all") | \(s.customers) | \(s.churned) | \(s.medianDays.map { String(format: "%.0f", $0) } ?? "—") | "
                + [30.0, 90, 180].map { Self.percent(s.value(at: $0)) }.joined(separator: " | ") + " |\n"
        }
        if let deciles = riskDeciles, let asOf = riskAsOf {
            md += "\n## Risk deciles at \(asOf)\n\n| decile | customers | mean forecast | expected churners | revenue at risk | observed churn |\n|---:|---:|---:|---:|---:|---:|\n"
            for d in deciles {
                md += "| \(d.decile) | \(d.customers) | \(Self.percent(d.meanProbability)) | \(String(format: "%.1f", d.expectedChurners)) | "
                    + "\(Self.money(d.revenueAtRisk)) | \(Self.percent(d.observedChurnRate)) |\n"
            }
        }
        return md
    }

    /// `report.html`: self-contained, with SVG charts.
    public func html() -> String {
        let a = analysis
        func esc(_ s: String) -> String { ReportRenderer.escape(s) }
        var h = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Churn analysis</title>\n<style>\n"
        h += HTMLReport.css + Self.css + "</style>\n</head>\n<body>\n<main>\n"
        h += "<header><h1>Churn analysis</h1><p class=\"verdict\">Churn by \(esc(a.churnDefinition)), per \(a.period.rawValue) (UTC)"
        if let last = a.periods.last {
            h += ": in the latest period (from \(last.start)) \(last.churned) of \(last.customersStart) customers churned (\(Self.percent(last.churnRate)))"
            if let nrr = last.nrr { h += ", net revenue retention \(Self.percent(nrr))" }
        }
        h += ".</p></header>\n<section>\n<h2>Churn over time</h2>\n<div class=\"grid\">\n"
        let xs = a.periods.indices.map(Double.init)
        let labels = Dictionary(uniqueKeysWithValues: a.periods.enumerated().map { (Double($0), String($1.start.prefix(7))) })
        func timeAxis() -> SVGChart.Axis {
            var axis = SVGChart.Axis("period start", 0...Double(max(1, a.periods.count - 1)))
            axis.ticks = xs
            return axis
        }
        let rates = a.periods.compactMap(\.churnRate)
        var rate = SVGChart(x: timeAxis(), y: SVGChart.Axis("churn rate", 0...max(0.01, (rates.max() ?? 0.1) * 1.15), format: { String(format: "%.0f%%", 100 * $0) }),
                            ariaLabel: "Churn rate per period")
        rate.xTickLabels = labels
        rate.line(zip(xs, a.periods.map { $0.churnRate ?? .nan }).map { ($0, $1) }, style: .init(color: "#e8590c"), label: "churn rate", markers: true)
        if a.period != .month {
            rate.line(zip(xs, a.periods.map { $0.churnRate30Days ?? .nan }).map { ($0, $1) }, style: .init(color: "#868e96", dash: "5 4"),
                      label: "as over 30 days", markers: false)
        }
        h += "<figure>\(rate.render())<figcaption>Churned customers over customers at the start of each period.</figcaption></figure>\n"
        if a.periods.first?.nrr != nil {
            let values = a.periods.compactMap(\.nrr) + a.periods.compactMap(\.grr)
            var nrr = SVGChart(x: timeAxis(), y: SVGChart.Axis("retention", (min(0.8, values.min() ?? 0.8))...max(1.05, values.max() ?? 1),
                                                                format: { String(format: "%.0f%%", 100 * $0) }),
                               ariaLabel: "Revenue retention per period")
            nrr.xTickLabels = labels
            nrr.line(zip(xs, a.periods.map { $0.nrr ?? .nan }).map { ($0, $1) }, style: .init(color: "#4c6ef5"), label: "NRR", markers: true)
            nrr.line(zip(xs, a.periods.map { $0.grr ?? .nan }).map { ($0, $1) }, style: .init(color: "#2b8a3e", dash: "5 4"), label: "GRR", markers: true)
            nrr.line([(0, 1), (Double(max(1, a.periods.count - 1)), 1)], style: .init(color: "#adb5bd", width: 1), label: nil)
            h += "<figure>\(nrr.render())<figcaption>Net revenue retention (above 100%: expansion outweighs churn and contraction) and gross revenue retention.</figcaption></figure>\n"
        }
        if a.periods.first?.involuntary != nil {
            let top = Double(a.periods.map(\.churned).max() ?? 1)
            var bars = SVGChart(x: timeAxis(), y: SVGChart.Axis("churned customers", 0...max(1, top * 1.1)), ariaLabel: "Voluntary and involuntary churn")
            bars.xTickLabels = labels
            for (i, p) in a.periods.enumerated() {
                let x = Double(i), v = Double(p.voluntary ?? 0), inv = Double(p.involuntary ?? 0)
                bars.rect(x0: x - 0.35, x1: x + 0.35, y0: 0, y1: v, color: "#4c6ef5")
                bars.rect(x0: x - 0.35, x1: x + 0.35, y0: v, y1: v + inv, color: "#e8590c")
            }
            bars.addLegend("voluntary", style: .init(color: "#4c6ef5"), symbol: .box)
            bars.addLegend("involuntary", style: .init(color: "#e8590c"), symbol: .box)
            h += "<figure>\(bars.render())<figcaption>Churns with an involuntary event shortly before them, and the others.</figcaption></figure>\n"
        }
        h += "</div>\n</section>\n"
        // Cohort heat map.
        let width = min(13, a.cohorts.map(\.retention.count).max() ?? 0)
        h += "<section>\n<h2>Cohorts</h2>\n<p class=\"note\">Share of each first-event cohort retained k periods later.</p>\n<div class=\"scroll\"><table class=\"cohorts\">\n<thead><tr><th>cohort</th><th>customers</th>"
        h += (0..<width).map { "<th>\($0)</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for c in a.cohorts {
            h += "<tr><th scope=\"row\">\(c.start)</th><td>\(c.customers)</td>"
            for k in 0..<width {
                guard k < c.retention.count else { h += "<td></td>"; continue }
                let v = c.retention[k]
                h += "<td style=\"background: rgba(76, 110, 245, \(String(format: "%.2f", 0.08 + 0.85 * v))); color: \(v > 0.55 ? "#fff" : "#111")\">\(Self.percent(v))</td>"
            }
            h += "</tr>\n"
        }
        h += "</tbody></table></div>\n</section>\n"
        // Survival curves.
        let longest = a.survival.flatMap(\.days).max() ?? 1
        var km = SVGChart(x: SVGChart.Axis("days since the first event", 0...max(1, longest)), y: .unit("still active", percent: true),
                          ariaLabel: "Kaplan–Meier survival")
        let colors = ["#111827", "#4c6ef5", "#e8590c", "#2b8a3e", "#ae3ec9", "#f59f00", "#1098ad", "#c92a2a"]
        for (i, s) in a.survival.prefix(8).enumerated() {
            var points: [(Double, Double)] = [(0, 1)], low: [(Double, Double)] = [(0, 1)], high: [(Double, Double)] = [(0, 1)]
            var previous = 1.0, previousLow = 1.0, previousHigh = 1.0
            for (k, d) in s.days.enumerated() {
                points += [(d, previous), (d, s.survival[k])]
                low += [(d, previousLow), (d, s.lower[k])]
                high += [(d, previousHigh), (d, s.upper[k])]
                previous = s.survival[k]; previousLow = s.lower[k]; previousHigh = s.upper[k]
            }
            points.append((longest, previous))
            let color = colors[i % colors.count]
            km.line(points, style: .init(color: color), label: "\(s.segment ?? "all customers") (\(s.customers))")
            km.line(low, style: .init(color: color, width: 1, dash: "3 3", opacity: 0.6), label: nil)
            km.line(high, style: .init(color: color, width: 1, dash: "3 3", opacity: 0.6), label: nil)
        }
        h += "<section>\n<h2>Survival</h2>\n<figure>\(km.render())<figcaption>Kaplan–Meier estimate of the share not yet churned, with 95% intervals (dashed), censored at the end of the log.</figcaption></figure>\n</section>\n"
        if let deciles = riskDeciles, let asOf = riskAsOf {
            let top = deciles.map(\.expectedChurners).max() ?? 1
            var chart = SVGChart(x: SVGChart.Axis("forecast decile (1 = highest)", 0.5...Double(deciles.count) + 0.5, tickCount: deciles.count),
                                 y: SVGChart.Axis("expected churners", 0...max(1, top * 1.1)), ariaLabel: "Risk deciles")
            chart.x.ticks = deciles.map { Double($0.decile) }
            for d in deciles { chart.rect(x0: Double(d.decile) - 0.38, x1: Double(d.decile) + 0.38, y0: 0, y1: d.expectedChurners, color: "#e8590c") }
            h += "<section>\n<h2>Risk segments at \(esc(asOf))</h2>\n<figure>\(chart.render())<figcaption>Expected churners (sum of the forecasts) per decile of the forecast.</figcaption></figure>\n"
            h += "<table class=\"metrics\"><thead><tr><th>decile</th><th>customers</th><th>mean forecast</th><th>expected churners</th><th>revenue at risk</th><th>observed churn</th></tr></thead><tbody>\n"
            for d in deciles {
                h += "<tr><td>\(d.decile)</td><td>\(d.customers)</td><td>\(Self.percent(d.meanProbability))</td><td>\(String(format: "%.1f", d.expectedChurners))</td>"
                    + "<td>\(Self.money(d.revenueAtRisk))</td><td>\(Self.percent(d.observedChurnRate))</td></tr>\n"
            }
            h += "</tbody></table>\n</section>\n"
        }
        h += "<footer>Generated by churn-analyze \(esc(toolVersion)). The same numbers are in metrics.json and report.md.</footer>\n</main>\n</body>\n</html>\n"
        return h
    }

    static let css = """
        table.cohorts { border-collapse: collapse; font-size: 13px; }
        table.cohorts th, table.cohorts td { padding: 5px 8px; text-align: right; border: 1px solid #fff; white-space: nowrap; }
        table.cohorts thead th { background: #eef0f3; }

        """

    /// Writes `metrics.json`, `report.md` and `report.html` into `directory` (each atomically).
    public func write(to directory: URL) throws {
        try AtomicFile.write(try metricsJSON(), to: directory.appendingPathComponent("metrics.json"))
        try AtomicFile.write(Data(markdown().utf8), to: directory.appendingPathComponent("report.md"))
        try AtomicFile.write(Data(html().utf8), to: directory.appendingPathComponent("report.html"))
    }
}

extension SurvivalCurve {
    /// S(t): the survival just after the last churn time at or before `days`.
    public func value(at t: Double) -> Double? {
        guard customers > 0 else { return nil }
        var s = 1.0
        for (k, d) in days.enumerated() where d <= t { s = survival[k] }
        return s
    }
}
