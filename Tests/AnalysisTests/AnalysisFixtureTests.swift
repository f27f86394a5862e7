import Analysis
import EventLog
import Foundation
import XCTest

/// Every figure of churn-analyze against an independent computation (pandas and lifelines, in
/// `scripts/make_analysis_fixtures.py`) on a log of edge cases: a customer active only in the
/// first period, gaps of several periods, refunds, a churn event followed by more activity,
/// time-zone offsets that move events across a month, week and quarter boundaries, weeks with
/// no customers at all.
final class AnalysisFixtureTests: XCTestCase {
    struct Expected: Decodable {
        struct Period: Decodable {
            var start: String
            var customers_start: Int
            var churned: Int
            var churn_rate: Double?
            var churn_rate_30d: Double?
            var voluntary: Int?
            var involuntary: Int?
            var revenue_start: Double
            var revenue_churned: Double
            var revenue_contraction: Double
            var revenue_expansion: Double
            var grr: Double?
            var nrr: Double?
        }
        struct Cohort: Decodable { var start: String; var customers: Int; var retention: [Double] }
        struct Survival: Decodable {
            var customers: Int
            var churned: Int
            var days: [Double]
            var survival: [Double]
            var lower_95: [Double]
            var upper_95: [Double]
        }
        var periods: [Period]
        var cohorts: [Cohort]
        var survival: Survival
        var segment_survival: [String: Survival]
    }

    func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    func store() throws -> EventStore {
        try CSVEventReader.load(paths: [try fixture("edge_log.csv").path],
                                options: LoadOptions(columns: ColumnMapping(values: ["amount"]), attributeColumns: ["tier"],
                                                     attributeKinds: ["tier": .categorical])).store
    }

    func check(_ name: String, period: CalendarPeriod, churnEvent: String? = nil, involuntary: String? = nil, within: Int64 = 30) throws {
        let all = try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: try fixture("expected.json")))
        let expected = try XCTUnwrap(all[name])
        var options = AnalysisOptions()
        options.period = period
        options.churnEvent = churnEvent
        options.valueColumn = "amount"
        options.involuntaryEvent = involuntary
        options.within = .days(within)
        options.segmentAttribute = "tier"
        let a = try ChurnAnalysis.measure(store: try store(), options: options)
        func close(_ x: Double?, _ y: Double?, _ what: String) {
            switch (x, y) {
            case (nil, nil): break
            case let (x?, y?): XCTAssertEqual(x, y, accuracy: 1e-9 * max(1, abs(y)), "\(name) \(what)")
            default: XCTFail("\(name) \(what): \(String(describing: x)) vs \(String(describing: y))")
            }
        }
        XCTAssertEqual(a.periods.map(\.start), expected.periods.map(\.start), name)
        for (p, e) in zip(a.periods, expected.periods) {
            let at = "\(name) \(e.start)"
            XCTAssertEqual(p.customersStart, e.customers_start, at)
            XCTAssertEqual(p.churned, e.churned, at)
            close(p.churnRate, e.churn_rate, "\(e.start) churn rate")
            close(p.churnRate30Days, e.churn_rate_30d, "\(e.start) 30-day rate")
            XCTAssertEqual(p.voluntary, e.voluntary, at)
            XCTAssertEqual(p.involuntary, e.involuntary, at)
            close(p.revenueStart, e.revenue_start, "\(e.start) revenue start")
            close(p.revenueChurned, e.revenue_churned, "\(e.start) revenue churned")
            close(p.revenueContraction, e.revenue_contraction, "\(e.start) contraction")
            close(p.revenueExpansion, e.revenue_expansion, "\(e.start) expansion")
            close(p.grr, e.grr, "\(e.start) GRR")
            close(p.nrr, e.nrr, "\(e.start) NRR")
        }
        XCTAssertEqual(a.cohorts.map(\.start), expected.cohorts.map(\.start), name)
        for (c, e) in zip(a.cohorts, expected.cohorts) {
            XCTAssertEqual(c.customers, e.customers, "\(name) cohort \(e.start)")
            XCTAssertEqual(c.retention.count, e.retention.count, "\(name) cohort \(e.start)")
            for (x, y) in zip(c.retention, e.retention) { close(x, y, "cohort \(e.start)") }
        }
        func compare(_ km: SurvivalCurve, _ e: Expected.Survival, _ what: String) {
            XCTAssertEqual(km.customers, e.customers, "\(name) \(what)")
            XCTAssertEqual(km.churned, e.churned, "\(name) \(what)")
            XCTAssertEqual(km.days.count, e.days.count, "\(name) \(what)")
            for k in 0..<min(km.days.count, e.days.count) {
                close(km.days[k], e.days[k], "\(what) time \(k)")
                close(km.survival[k], e.survival[k], "\(what) survival \(k)")
                close(km.lower[k], e.lower_95[k], "\(what) lower \(k)")
                close(km.upper[k], e.upper_95[k], "\(what) upper \(k)")
            }
        }
        XCTAssertNil(a.survival.first?.segment)
        compare(try XCTUnwrap(a.survival.first), expected.survival, "KM")
        let segments = Dictionary(uniqueKeysWithValues: a.survival.dropFirst().map { ($0.segment ?? "", $0) })
        XCTAssertEqual(Set(segments.keys), Set(expected.segment_survival.keys), name)
        for (segment, e) in expected.segment_survival { if let km = segments[segment] { compare(km, e, "KM \(segment)") } }
        XCTAssertEqual(a.segmentCohorts?.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.customers } }, a.cohorts.reduce(0) { $0 + $1.customers },
                       "the segments' cohorts partition the customers")
    }

    func testMonthsByActivityWithInvoluntaryChurn() throws {
        try check("month_activity", period: .month, involuntary: "payment_failed", within: 30)
    }

    func testMonthsByEvent() throws {
        try check("month_event", period: .month, churnEvent: "cancel", involuntary: "payment_failed", within: 10)
    }

    func testWeeks() throws { try check("week_activity", period: .week) }

    func testQuarters() throws { try check("quarter_event", period: .quarter, churnEvent: "cancel") }

    func testCalendarPeriods() {
        let t = Timestamp.parse("2024-03-13T10:00:00Z")!
        XCTAssertEqual(Timestamp.formatDate(CalendarPeriod.week.start(of: CalendarPeriod.week.index(of: t))), "2024-03-11", "a Monday")
        XCTAssertEqual(Timestamp.formatDate(CalendarPeriod.month.start(of: CalendarPeriod.month.index(of: t))), "2024-03-01")
        XCTAssertEqual(Timestamp.formatDate(CalendarPeriod.quarter.start(of: CalendarPeriod.quarter.index(of: t))), "2024-01-01")
        let before = Timestamp.parse("1969-12-31T23:00:00Z")!
        XCTAssertEqual(Timestamp.formatDate(CalendarPeriod.week.start(of: CalendarPeriod.week.index(of: before))), "1969-12-29")
        for period in CalendarPeriod.allCases {
            let i = period.index(of: t)
            XCTAssertEqual(period.index(of: period.start(of: i)), i)
            XCTAssertEqual(period.index(of: period.start(of: i + 1) - 1), i)
        }
        XCTAssertEqual(CalendarPeriod.month.days(of: CalendarPeriod.month.index(of: Timestamp.parse("2024-02-10")!)), 29)
    }
}
