import Baselines
import Evaluation
import Foundation

/// Renders an `EvaluationReport` as `report.md` and as a self-contained `report.html`.
///
/// The HTML holds inline CSS and inline SVG charts only: no JavaScript, no network, no external
/// fonts. Both formats share the table layout and number formatting of this file: undefined
/// values (NaN) appear as "—", rates as percentages, metrics with three or four decimals.
public enum ReportRenderer {
    /// `report.md`: verdict, metrics table, backtest table, data summary and warnings.
    public static func markdown(_ r: EvaluationReport) -> String {
        MarkdownReport(report: r).render()
    }

    /// `report.html`: everything in `markdown(_:)` plus ROC, PR, calibration, gains, score
    /// distribution, training and backtest charts.
    public static func html(_ r: EvaluationReport) -> String {
        HTMLReport(report: r).render()
    }

    // MARK: - Shared content

    /// The verdict sentence, or a plain statement when there is nothing to compare.
    static func verdict(_ r: EvaluationReport) -> String {
        r.evaluations.isEmpty ? "No verdict: the report holds no evaluation." : r.verdict
    }

    /// Model names of one evaluation in report order: `ModelRegistry.order` first, any
    /// other models after them by name.
    static func orderedModels(_ e: CutoffEvaluation) -> [String] {
        orderedModels(Set(e.models.keys))
    }

    static func orderedModels(_ names: Set<String>) -> [String] {
        ModelRegistry.order.filter(names.contains)
            + names.subtracting(ModelRegistry.order).sorted()
    }

    /// A column of the metrics table.
    struct MetricColumn {
        var title: String
        var value: (MetricSet) -> Double
        var higherIsBetter: Bool
        var format: (Double) -> String
    }

    static let metricColumns: [MetricColumn] = [
        MetricColumn(title: "ROC AUC", value: \.rocAUC, higherIsBetter: true, format: { fixed($0, 3) }),
        MetricColumn(title: "PR AUC", value: \.prAUC, higherIsBetter: true, format: { fixed($0, 3) }),
        MetricColumn(title: "Log loss", value: \.logLoss, higherIsBetter: false, format: { fixed($0, 4) }),
        MetricColumn(title: "Brier", value: \.brier, higherIsBetter: false, format: { fixed($0, 4) }),
        MetricColumn(title: "ECE", value: \.ece, higherIsBetter: false, format: { fixed($0, 4) }),
        MetricColumn(title: "Top-decile lift", value: \.topDecileLift, higherIsBetter: true, format: { fixed($0, 3) }),
    ]

    /// The formatted best value of a column among `models` (ties share it), or nil if none is finite.
    static func bestFormatted(_ column: MetricColumn, _ e: CutoffEvaluation, _ models: [String]) -> String? {
        let values = models.compactMap { e.models[$0].map(column.value) }.filter(\.isFinite)
        guard let best = column.higherIsBetter ? values.max() : values.min() else { return nil }
        // When every model shows the same value there is nothing to point out.
        if values.count > 1 && values.allSatisfy({ column.format($0) == column.format(best) }) { return nil }
        return column.format(best)
    }

    /// "0.801–0.823" for a two-element interval, nil otherwise.
    static func interval(_ ci: [Double]?) -> String? {
        guard let ci, ci.count == 2, ci.allSatisfy(\.isFinite) else { return nil }
        return "\(fixed(ci[0], 3))–\(fixed(ci[1], 3))"
    }

    /// The headline's name in column titles and readings: `Ensemble`, `LSTM`, `XGBoost`.
    static func shortName(_ model: String) -> String {
        switch model {
        case ModelRegistry.ensemble: return "Ensemble"
        default: return EvaluationReport.displayName(model)
        }
    }

    /// Whether the headline's paired AUC difference against a model is clearly positive, clearly negative, or neither.
    enum Reading: String { case ahead, behind, neutral }

    /// The paired difference AUC(headline) − AUC(model) with its interval and a short reading.
    static func difference(_ d: AUCDifference?, headline: String) -> (value: String, reading: String, kind: Reading) {
        guard let d, d.rocAUCDiff.isFinite else { return ("—", "", .neutral) }
        let ci = d.rocAUCDiffCI95
        guard ci.count == 2, ci.allSatisfy(\.isFinite) else { return (signed(d.rocAUCDiff, 3), "", .neutral) }
        let value = "\(signed(d.rocAUCDiff, 3)) (\(signed(ci[0], 3)) to \(signed(ci[1], 3)))"
        if ci[0] > 0 { return (value, "\(shortName(headline)) ahead", .ahead) }
        if ci[1] < 0 { return (value, "\(shortName(headline)) behind", .behind) }
        return (value, "no clear difference", .neutral)
    }

    /// The paired difference log loss(headline) − log loss(model) with its interval and a short
    /// reading (negative is better for the headline); "—" when either gives no probabilities.
    static func logLossDifference(_ d: AUCDifference?, headline: String) -> (value: String, reading: String, kind: Reading) {
        guard let d, let diff = d.logLossDiff, diff.isFinite else { return ("—", "", .neutral) }
        guard let ci = d.logLossDiffCI95, ci.count == 2, ci.allSatisfy(\.isFinite) else { return (signed(diff, 4), "", .neutral) }
        let value = "\(signed(diff, 4)) (\(signed(ci[0], 4)) to \(signed(ci[1], 4)))"
        if ci[1] < 0 { return (value, "\(shortName(headline)) ahead", .ahead) }
        if ci[0] > 0 { return (value, "\(shortName(headline)) behind", .behind) }
        return (value, "no clear difference", .neutral)
    }

    /// The other model with the highest finite ROC AUC at one cutoff, with its paired difference.
    static func bestOther(_ e: CutoffEvaluation) -> (name: String, difference: AUCDifference?)? {
        let others = orderedModels(e).filter { $0 != e.headline && (e.models[$0]?.rocAUC.isFinite ?? false) }
        guard let best = others.max(by: { e.models[$0]!.rocAUC < e.models[$1]!.rocAUC }) else { return nil }
        return (best, e.differences[best])
    }

    /// Warnings of every evaluation, each text once, followed by the cutoffs it applies to when
    /// the report has several.
    static func warnings(_ r: EvaluationReport) -> [String] {
        var order: [String] = []
        var cutoffs: [String: [String]] = [:]
        for e in r.evaluations {
            for w in e.warnings {
                if cutoffs[w] == nil { order.append(w) }
                if cutoffs[w]?.contains(e.cutoff) != true { cutoffs[w, default: []].append(e.cutoff) }
            }
        }
        let all = Set(r.evaluations.map(\.cutoff))
        return order.map { w in
            let at = cutoffs[w] ?? []
            if all.count <= 1 { return w }
            if Set(at) == all { return "\(w) (every cutoff)" }
            return "\(w) (cutoff\(at.count == 1 ? "" : "s") \(at.map(shortDate).joined(separator: ", ")))"
        }
    }

    /// Evaluations sorted by cutoff, oldest first (ISO 8601 timestamps sort as strings).
    static func chronological(_ r: EvaluationReport) -> [CutoffEvaluation] {
        r.evaluations.sorted { $0.cutoff < $1.cutoff }
    }

    /// The date part of an ISO 8601 timestamp when its time is midnight UTC.
    static func shortDate(_ timestamp: String) -> String {
        if timestamp.hasSuffix("T00:00:00Z"), let t = timestamp.firstIndex(of: "T") { return String(timestamp[..<t]) }
        return timestamp
    }

    // MARK: - Numbers

    /// `digits` decimals, or "—" for NaN and infinities.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "—" }
        let s = String(format: "%.\(digits)f", v)
        return s.hasPrefix("-") && s.dropFirst().allSatisfy { $0 == "0" || $0 == "." } ? String(s.dropFirst()) : s
    }

    /// `digits` decimals with an explicit sign ("+0.045"), or "—".
    static func signed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "—" }
        let s = fixed(v, digits)
        return s.hasPrefix("-") ? s : "+" + s
    }

    /// A rate as a percentage with one decimal ("77.2%"), or "—".
    static func percent(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        let p = v * 100
        // Small non-zero rates keep two significant digits rather than showing "0.0%".
        if p != 0 && abs(p) < 0.1 { return String(format: "%.2g", p) + "%" }
        return fixed(p, 1) + "%"
    }

    /// An integer with thousands separators ("23,570").
    static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A number of days without a needless ".0" ("181 days").
    static func days(_ v: Double) -> String {
        guard v.isFinite else { return "—" }
        let text = v == v.rounded() ? String(Int(v)) : fixed(v, 2)
        return text + (v == 1 ? " day" : " days")
    }

    // MARK: - Escaping

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
