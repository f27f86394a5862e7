import EventLog

/// Calendar periods in UTC: months, weeks starting on Monday, quarters starting in January,
/// April, July and October. A period is an integer index; consecutive periods have consecutive
/// indices.
public enum CalendarPeriod: String, CaseIterable, Codable, Sendable {
    case week, month, quarter

    /// The index of the period holding `instant` (µs since the epoch).
    public func index(of instant: Int64) -> Int {
        let day = Timestamp.floorDiv(instant, Timestamp.microsecondsPerDay)
        switch self {
        case .week:
            // 1970-01-05 (day 4) was a Monday.
            return Int(Timestamp.floorDiv(day - 4, 7))
        case .month, .quarter:
            let date = Timestamp.civilFromDays(day)
            let month = date.year * 12 + (date.month - 1)
            return self == .month ? month : Int(Timestamp.floorDiv(Int64(month), 3))
        }
    }

    /// The first instant of period `index`.
    public func start(of index: Int) -> Int64 {
        switch self {
        case .week:
            return (Int64(index) * 7 + 4) * Timestamp.microsecondsPerDay
        case .month, .quarter:
            let month = self == .month ? index : index * 3
            let year = Int(Timestamp.floorDiv(Int64(month), 12)), m = month - year * 12 + 1
            return Timestamp.daysFromCivil(year: year, month: m, day: 1) * Timestamp.microsecondsPerDay
        }
    }

    /// The length of period `index` in days.
    public func days(of index: Int) -> Double {
        Double(start(of: index + 1) - start(of: index)) / Double(Timestamp.microsecondsPerDay)
    }
}
