import ChurnSupport
import EventLog
import Snapshots
import Foundation

/// What to measure (`churn-analyze`'s flags).
public struct AnalysisOptions: Sendable {
    public var period: CalendarPeriod = .month
    /// Churn by a named event (nil: by activity).
    public var churnEvent: String?
    /// The value column of the revenue figures (nil: none).
    public var valueColumn: String?
    /// A churn is involuntary when this event occurred within `within` before it.
    public var involuntaryEvent: String?
    public var within = TimeSpan.days(30)
    /// The attribute whose value (its latest, or the customer table's) splits the cohorts and the survival curves.
    public var segmentAttribute: String?

    public init() {}
}

/// One reported period (every period of the log that has a previous one).
public struct PeriodChurn: Codable, Sendable, Equatable {
    /// The period's first day (`2025-02-01`).
    public var start: String
    public var customersStart: Int
    public var churned: Int
    /// `churned / customers_start` (nil without customers at the start).
    public var churnRate: Double?
    /// The rate as over a 30-day month: `1 − (1 − rate)^(30 / days in the period)`.
    public var churnRate30Days: Double?
    public var voluntary: Int?
    public var involuntary: Int?
    public var revenueStart: Double?
    public var revenueChurned: Double?
    public var revenueContraction: Double?
    public var revenueExpansion: Double?
    public var grr: Double?
    public var nrr: Double?

    enum CodingKeys: String, CodingKey {
        case start, customersStart = "customers_start", churned, churnRate = "churn_rate", churnRate30Days = "churn_rate_30d"
        case voluntary, involuntary, revenueStart = "revenue_start", revenueChurned = "revenue_churned"
        case revenueContraction = "revenue_contraction", revenueExpansion = "revenue_expansion", grr, nrr
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(customersStart, forKey: .customersStart)
        try c.encode(churned, forKey: .churned)
        try c.encode(churnRate, forKey: .churnRate)
        try c.encode(churnRate30Days, forKey: .churnRate30Days)
        try c.encodeIfPresent(voluntary, forKey: .voluntary)
        try c.encodeIfPresent(involuntary, forKey: .involuntary)
        if revenueStart != nil {
            try c.encode(revenueStart, forKey: .revenueStart)
            try c.encode(revenueChurned, forKey: .revenueChurned)
            try c.encode(revenueContraction, forKey: .revenueContraction)
            try c.encode(revenueExpansion, forKey: .revenueExpansion)
            try c.encode(grr, forKey: .grr)
            try c.encode(nrr, forKey: .nrr)
        }
    }
}

/// Retention of the customers whose first event fell in one period.
public struct Cohort: Codable, Sendable, Equatable {
    public var start: String
    public var customers: Int
    /// Share retained `k` periods after the first (k = 0, 1, …, up to the last period of the log):
    /// by activity, active in that period; by event, without the churn event up to its end.
    public var retention: [Double]
}

/// A Kaplan–Meier curve of the days from the first event to churn.
public struct SurvivalCurve: Codable, Sendable, Equatable {
    public var segment: String?
    public var customers: Int
    public var churned: Int
    /// Step points: survival just after each distinct churn time (days), with 95% intervals
    /// (exponential Greenwood, as lifelines).
    public var days: [Double]
    public var survival: [Double]
    public var lower: [Double]
    public var upper: [Double]
    /// The days at which half have churned (nil when the curve stays above 0.5).
    public var medianDays: Double?

    enum CodingKeys: String, CodingKey {
        case segment, customers, churned, days, survival, lower = "lower_95", upper = "upper_95", medianDays = "median_days"
    }
}

/// Everything `churn-analyze` measures on a log.
public struct ChurnAnalysis: Codable, Sendable {
    public var period: CalendarPeriod
    public var churnDefinition: String
    public var periods: [PeriodChurn]
    public var cohorts: [Cohort]
    /// Per segment too, keyed by the segment's value.
    public var segmentCohorts: [String: [Cohort]]?
    public var survival: [SurvivalCurve]

    enum CodingKeys: String, CodingKey {
        case period, churnDefinition = "churn_definition", periods, cohorts, segmentCohorts = "segment_cohorts", survival
    }
}

/// The errors of the analysis.
public enum AnalysisError: CategorizedError, Equatable {
    case unknownValueColumn(String)
    case unknownAttribute(String)

    public var category: ErrorCategory { .invalidArgument }

    public var description: String {
        switch self {
        case .unknownValueColumn(let name): return "value column '\(name)' was not loaded"
        case .unknownAttribute(let name): return "segment '\(name)' is not an attribute of the data"
        }
    }
}

extension ChurnAnalysis {
    /// Measures churn on `store` as the options say (docs/FORMATS.md gives the definitions).
    /// - Complexity: O(events + customers · periods of each customer).
    public static func measure(store: EventStore, options: AnalysisOptions) throws -> ChurnAnalysis {
        let period = options.period
        let first = period.index(of: store.earliestTime), last = period.index(of: store.latestTime)
        let count = last - first + 1
        let byEvent = options.churnEvent != nil
        let churnCodes = Set(store.eventNames.indices.filter { store.eventNames[$0] == options.churnEvent }.map { Int32($0) })
        let involuntaryCodes = Set(store.eventNames.indices.filter { store.eventNames[$0] == options.involuntaryEvent }.map { Int32($0) })
        let valueIndex = try options.valueColumn.map { name -> Int in
            guard let j = store.valueColumns.firstIndex(of: name) else { throw AnalysisError.unknownValueColumn(name) }
            return j
        }
        let segmentIndex = try options.segmentAttribute.map { name -> Int in
            guard let j = store.attributeIndex(of: name) else { throw AnalysisError.unknownAttribute(name) }
            return j
        }
        let window = options.within.microseconds

        var active = [Int](repeating: 0, count: count)
        var startDiff = [Int](repeating: 0, count: count + 1)   // event churn: customers_start by difference
        var churned = [Int](repeating: 0, count: count)
        var involuntary = [Int](repeating: 0, count: count)
        var revenue = [[Double]](repeating: [0, 0, 0, 0], count: count)   // start, churned, contraction, expansion
        var cohortSize = [Int](repeating: 0, count: count)
        var retained = [[Int]](repeating: [], count: count)
        var segmentCohortSize: [String: [Int]] = [:], segmentRetained: [String: [[Int]]] = [:]
        var durations: [(days: Double, churned: Bool, segment: String?)] = []
        let day = Double(Timestamp.microsecondsPerDay)

        for c in 0..<store.customerCount {
            let range = store.eventRange(of: c)
            guard !range.isEmpty else { continue }
            let times = store.times, events = store.events
            let firstTime = times[range.lowerBound]
            let f = period.index(of: firstTime) - first
            let segment = segmentIndex.map { j -> String in
                let code = store.attributeCode(j, customer: c, historyEnd: range.upperBound)
                return code >= 0 ? store.attributes[j].values[Int(code)] : "<missing>"
            }
            // Whether an involuntary event lies in [t − within, t] (its times are in order).
            let involuntaryTimes = involuntaryCodes.isEmpty ? [] : range.filter { involuntaryCodes.contains(events[$0]) }.map { times[$0] }
            func isInvoluntary(at t: Int64) -> Bool {
                var lo = 0, hi = involuntaryTimes.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if involuntaryTimes[mid] < t - window { lo = mid + 1 } else { hi = mid }
                }
                return lo < involuntaryTimes.count && involuntaryTimes[lo] <= t
            }
            // Active periods (ascending, unique) and the last event time of each.
            var periods: [Int] = [], lastTimes: [Int64] = []
            var revenueByPeriod: [Int: Double] = [:]
            for k in range {
                let p = period.index(of: times[k]) - first
                if periods.last != p { periods.append(p); lastTimes.append(times[k]) } else { lastTimes[lastTimes.count - 1] = times[k] }
                if let j = valueIndex { revenueByPeriod[p, default: 0] += Double(store.values[j][k]) }
            }
            var churnTime: Int64?   // the first churn, for survival
            if !byEvent {
                for (i, p) in periods.enumerated() {
                    active[p] += 1
                    let next = p + 1
                    if next < count && (i + 1 == periods.count || periods[i + 1] != next) {
                        churned[next] += 1
                        if isInvoluntary(at: lastTimes[i]) { involuntary[next] += 1 }
                        if churnTime == nil { churnTime = lastTimes[i] }
                    }
                }
            } else {
                var q: Int?, qTime: Int64 = 0
                for k in range where churnCodes.contains(events[k]) { q = period.index(of: times[k]) - first; qTime = times[k]; break }
                let end = q ?? (count - 1)
                if end > f {
                    startDiff[f + 1] += 1
                    startDiff[end + 1] -= 1
                    if let q {
                        churned[q] += 1
                        if isInvoluntary(at: qTime) { involuntary[q] += 1 }
                    }
                }
                if q != nil { churnTime = qTime }
            }
            // Cohorts: retained k periods after the first.
            cohortSize[f] += 1
            var row = [Int](repeating: 0, count: count - f)
            if !byEvent {
                for p in periods { row[p - f] = 1 }
            } else {
                let churnPeriod = churnTime.map { period.index(of: $0) - first }
                for k in 0..<(count - f) where churnPeriod == nil || f + k < churnPeriod! { row[k] = 1 }
            }
            if retained[f].isEmpty { retained[f] = [Int](repeating: 0, count: count - f) }
            for k in row.indices { retained[f][k] += row[k] }
            if let segment {
                segmentCohortSize[segment, default: [Int](repeating: 0, count: count)][f] += 1
                var table = segmentRetained[segment] ?? [[Int]](repeating: [], count: count)
                if table[f].isEmpty { table[f] = [Int](repeating: 0, count: count - f) }
                for k in row.indices { table[f][k] += row[k] }
                segmentRetained[segment] = table
            }
            // Revenue moves between consecutive periods.
            if valueIndex != nil {
                var touched = Set<Int>()
                for p in revenueByPeriod.keys { touched.insert(p); touched.insert(p + 1) }
                for p in touched where p >= 1 && p < count {
                    let previous = revenueByPeriod[p - 1] ?? 0, current = revenueByPeriod[p] ?? 0
                    revenue[p][0] += previous
                    if previous > 0 && current == 0 { revenue[p][1] += previous }
                    if current > 0 && current < previous { revenue[p][2] += previous - current }
                    if current > previous && previous > 0 { revenue[p][3] += current - previous }
                }
            }
            let end = churnTime ?? store.latestTime
            durations.append((Double(end - firstTime) / day, churnTime != nil, segment))
        }

        var rows: [PeriodChurn] = []
        var running = 0
        for p in 0..<count {
            running += startDiff[p]
            guard p >= 1 else { continue }
            let starting = byEvent ? running : active[p - 1]
            let rate = starting > 0 ? Double(churned[p]) / Double(starting) : nil
            var row = PeriodChurn(start: Timestamp.formatDate(period.start(of: first + p)), customersStart: starting, churned: churned[p],
                                  churnRate: rate,
                                  churnRate30Days: rate.map { 1 - pow(1 - $0, 30 / period.days(of: first + p)) })
            if options.involuntaryEvent != nil {
                row.involuntary = involuntary[p]
                row.voluntary = churned[p] - involuntary[p]
            }
            if valueIndex != nil {
                let r = revenue[p]
                row.revenueStart = r[0]
                row.revenueChurned = r[1]
                row.revenueContraction = r[2]
                row.revenueExpansion = r[3]
                row.grr = r[0] > 0 ? (r[0] - r[1] - r[2]) / r[0] : nil
                row.nrr = r[0] > 0 ? (r[0] - r[1] - r[2] + r[3]) / r[0] : nil
            }
            rows.append(row)
        }
        func cohorts(_ size: [Int], _ kept: [[Int]]) -> [Cohort] {
            (0..<count).compactMap { f in
                guard size[f] > 0 else { return nil }
                return Cohort(start: Timestamp.formatDate(period.start(of: first + f)), customers: size[f],
                              retention: kept[f].map { Double($0) / Double(size[f]) })
            }
        }
        var curves = [SurvivalCurve.kaplanMeier(durations.map { ($0.days, $0.churned) }, segment: nil)]
        var segmentCohorts: [String: [Cohort]]?
        if segmentIndex != nil {
            let names = Set(durations.compactMap(\.segment)).sorted()
            for name in names {
                curves.append(.kaplanMeier(durations.filter { $0.segment == name }.map { ($0.days, $0.churned) }, segment: name))
            }
            segmentCohorts = Dictionary(uniqueKeysWithValues: names.map { ($0, cohorts(segmentCohortSize[$0]!, segmentRetained[$0]!)) })
        }
        return ChurnAnalysis(period: period, churnDefinition: options.churnEvent.map { "event:\($0)" } ?? "activity",
                             periods: rows, cohorts: cohorts(cohortSize, retained), segmentCohorts: segmentCohorts, survival: curves)
    }
}

extension SurvivalCurve {
    /// The Kaplan–Meier estimate of `(duration, churned)` pairs (churned false: censored at the
    /// duration), with exponential-Greenwood 95% intervals.
    public static func kaplanMeier(_ observations: [(Double, Bool)], segment: String?) -> SurvivalCurve {
        let sorted = observations.sorted { $0.0 < $1.0 }
        var atRisk = sorted.count
        var s = 1.0, greenwood = 0.0
        var days: [Double] = [], survival: [Double] = [], lower: [Double] = [], upper: [Double] = []
        var i = 0, churned = 0, median: Double?
        while i < sorted.count {
            let t = sorted[i].0
            var d = 0, n = 0
            while i < sorted.count && sorted[i].0 == t {
                if sorted[i].1 { d += 1 }
                n += 1
                i += 1
            }
            if d > 0 {
                s *= 1 - Double(d) / Double(atRisk)
                if atRisk > d { greenwood += Double(d) / (Double(atRisk) * Double(atRisk - d)) }
                churned += d
                days.append(t)
                survival.append(s)
                if s > 0 && s < 1 {
                    let v = log(s), z = 1.959963984540054
                    let a = exp(-exp(log(-v) + z * greenwood.squareRoot() / v))
                    let b = exp(-exp(log(-v) - z * greenwood.squareRoot() / v))
                    lower.append(min(a, b))
                    upper.append(max(a, b))
                } else {
                    lower.append(s)
                    upper.append(s)
                }
                if median == nil && s <= 0.5 { median = t }
            }
            atRisk -= n
        }
        return SurvivalCurve(segment: segment, customers: sorted.count, churned: churned, days: days, survival: survival,
                             lower: lower, upper: upper, medianDays: median)
    }
}
