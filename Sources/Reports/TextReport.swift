import Baselines
import Evaluation
import Foundation

/// The plain-text comparison tables `churn-evaluate` prints on standard output.
public enum TextReport {
    static func cell(_ x: Double, _ format: String = "%.4f") -> String { x.isFinite ? String(format: format, x) : "—" }

    /// The compact comparison table printed on standard output.
    public static func table(_ e: CutoffEvaluation) -> String {
        var lines = ["cutoff \(e.cutoff), horizon \(cell(e.horizonDays, "%.0f"))d, \(e.churnDefinition): "
                     + "\(e.customers) customers, churn rate \(cell(100 * e.churnRate, "%.1f"))%", ""]
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        lines.append(pad("model", 20) + pad("ROC AUC", 9) + pad("95% CI", 17) + pad("PR AUC", 8) + pad("logloss", 9)
                     + pad("Brier", 8) + pad("ECE", 8) + pad("lift@10", 9)
                     + pad("\(ReportRenderer.shortName(e.headline)) − model AUC [95% CI]", 34) + "log loss [95% CI]")
        for name in ModelRegistry.order {
            guard let m = e.models[name] else { continue }
            let ci = m.rocAUCCI95.map { "[\(cell($0[0], "%.3f")), \(cell($0[1], "%.3f"))]" } ?? ""
            var diff = "", lossDiff = ""
            if let d = e.differences[name] {
                diff = "\(cell(d.rocAUCDiff, "%+.4f"))"
                if d.rocAUCDiffCI95.count == 2 {
                    diff += " [\(cell(d.rocAUCDiffCI95[0], "%+.3f")), \(cell(d.rocAUCDiffCI95[1], "%+.3f"))]"
                }
                if let l = d.logLossDiff {
                    lossDiff = cell(l, "%+.4f")
                    if let ci = d.logLossDiffCI95, ci.count == 2 { lossDiff += " [\(cell(ci[0], "%+.4f")), \(cell(ci[1], "%+.4f"))]" }
                }
            }
            lines.append(pad(name, 20) + pad(cell(m.rocAUC), 9) + pad(ci, 17) + pad(cell(m.prAUC), 8) + pad(cell(m.logLoss), 9)
                         + pad(cell(m.brier), 8) + pad(cell(m.ece), 8) + pad(cell(m.topDecileLift, "%.2f"), 9) + pad(diff, 34) + lossDiff)
        }
        return lines.joined(separator: "\n")
    }

    public static func backtestTable(_ evaluations: [CutoffEvaluation]) -> String {
        let names = ModelRegistry.order.filter { evaluations[0].models[$0] != nil }
        var lines = ["", "backtest (ROC AUC):", "cutoff                " + names.map { $0.padding(toLength: 20, withPad: " ", startingAt: 0) }.joined()]
        for e in evaluations {
            lines.append(e.cutoff.padding(toLength: 22, withPad: " ", startingAt: 0)
                         + names.map { cell(e.models[$0]?.rocAUC ?? .nan).padding(toLength: 20, withPad: " ", startingAt: 0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
