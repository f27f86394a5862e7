import Analysis
import ChurnSupport
import Foundation

/// A forecast decile of `churn-analyze --model`: customers, expected churners, revenue at risk.
public struct RiskDecile: Codable, Sendable, Equatable {
    /// 1 = the highest forecasts.
    public var decile: Int
    public var customers: Int
    public var meanProbability: Double
    /// Σ p.
    public var expectedChurners: Double
    /// Σ p · rev(c, last period) (nil without a value column).
    public var revenueAtRisk: Double?
    /// The churn rate observed in the label window, when the log covers it.
    public var observedChurnRate: Double?

    public init(decile: Int, customers: Int, meanProbability: Double, expectedChurners: Double, revenueAtRisk: Double?,
                observedChurnRate: Double?) {
        self.decile = decile
        self.customers = customers
        self.meanProbability = meanProbability
        self.expectedChurners = expectedChurners
        self.revenueAtRisk = revenueAtRisk
        self.observedChurnRate = observedChurnRate
    }

    enum CodingKeys: String, CodingKey {
        case decile, customers, meanProbability = "mean_probability", expectedChurners = "expected_churners"
        case revenueAtRisk = "revenue_at_risk", observedChurnRate = "observed_churn_rate"
    }
}

/// `churn-analyze`'s document: the measures, the risk deciles, and how the log was read.
public struct AnalysisReport: Codable, Sendable {
    public var analysis: ChurnAnalysis
    public var riskAsOf: String?
    public var riskDeciles: [RiskDecile]?
    public var files: [String]
    public var badRows: Int
    public var toolVersion: String

    public init(analysis: ChurnAnalysis, riskAsOf: String? = nil, riskDeciles: [RiskDecile]? = nil, files: [String], badRows: Int,
                toolVersion: String) {
        self.analysis = analysis
        self.riskAsOf = riskAsOf
        self.riskDeciles = riskDeciles
        self.files = files
        self.badRows = badRows
        self.toolVersion = toolVersion
    }

    /// `metrics.json`: `period`, `churn_definition`, `periods`, `cohorts`, `survival`, and with a
    /// model `risk_deciles`.
    public func metricsJSON() throws -> Data {
        struct Document: Encodable {
            var period: String
            var churnDefinition: String
            var periods: [PeriodChurn]
            var cohorts: [Cohort]
            var segmentCohorts: [String: [Cohort]]?
            var survival: [SurvivalCurve]
            var riskAsOf: String?
            var riskDeciles: [RiskDecile]?
            var badRows: Int
            enum CodingKeys: String, CodingKey {
                case period, churnDefinition = "churn_definition", periods, cohorts, segmentCohorts = "segment_cohorts", survival
                case riskAsOf = "risk_as_of", riskDeciles = "risk_deciles", badRows = "bad_rows"
            }
        }
        let a = analysis
        return try JSONOutput.encode(Document(period: a.period.rawValue, churnDefinition: a.churnDefinition, periods: a.periods,
                                              cohorts: a.cohorts, segmentCohorts: a.segmentCohorts, survival: a.survival,
                                              riskAsOf: riskAsOf, riskDeciles: riskDeciles, badRows: badRows), pretty: true)
    }

    static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "—" }
    static func money(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "—" }

    /// The readable table of standard output: one line per period.
    public var table: String {
        let a = analysis
        var header = ["period", "customers", "churned", "churn rate", "30-day rate"]
        let involuntary = a.periods.first?.involuntary != nil, revenue = a.periods.first?.revenueStart != nil
        if involuntary { header += ["voluntary", "involuntary"] }
        if revenue { header += ["revenue", "churned", "contraction", "expansion", "GRR", "NRR"] }
        var rows = [header]
        for p in a.periods {
            var row = [p.start, "\(p.customersStart)", "\(p.churned)", Self.percent(p.churnRate), Self.percent(p.churnRate30Days)]
            if involuntary { row += ["\(p.voluntary ?? 0)", "\(p.involuntary ?? 0)"] }
            if revenue {
                row += [Self.money(p.revenueStart), Self.money(p.revenueChurned), Self.money(p.revenueContraction),
                        Self.money(p.revenueExpansion), Self.percent(p.grr), Self.percent(p.nrr)]
            }
            rows.append(row)
        }
        let widths = header.indices.map { j in rows.map { $0[j].count }.max() ?? 0 }
        var text = "churn by \(a.churnDefinition), per \(a.period.rawValue)\n"
        for (i, row) in rows.enumerated() {
            text += row.enumerated().map { j, cell in j == 0 ? cell.padding(toLength: widths[j], withPad: " ", startingAt: 0)
                                                          : String(repeating: " ", count: widths[j] - cell.count) + cell }
                .joined(separator: "  ") + "\n"
            if i == 0 { text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        if let overall = a.survival.first {
            text += "survival: \(overall.customers) customers, \(overall.churned) churned, median time to churn "
                + (overall.medianDays.map { String(format: "%.0f days", $0) } ?? "not reached") + "\n"
        }
        if let deciles = riskDeciles, let asOf = riskAsOf {
            text += "risk deciles at \(asOf): " + deciles.map { d in
                String(format: "%d: %d customers, %.1f expected", d.decile, d.customers, d.expectedChurners)
            }.joined(separator: "; ") + "\n"
        }
        return text
    }
}
