import EventLog

/// Whole days since 1970-01-01, the simulator's unit of time, converted through the data
/// layer's `Timestamp` (one implementation of the civil calendar for reading and writing logs).
public enum CivilDate {
    /// Days since 1970-01-01 of the given date.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        Int(Timestamp.daysFromCivil(year: year, month: month, day: day))
    }

    /// The date of a day counted from 1970-01-01.
    public static func date(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        Timestamp.civilFromDays(Int64(days))
    }

    /// Parses a date (`YYYY-MM-DD`, optionally with a midnight time such as `T00:00:00Z`) into
    /// days since 1970-01-01; `nil` for anything else, including a time other than midnight.
    public static func parse(_ text: String) -> Int? {
        guard text.count >= 10, let instant = Timestamp.parse(text),
              instant % Timestamp.microsecondsPerDay == 0 else { return nil }
        return Int(instant / Timestamp.microsecondsPerDay)
    }

    /// `YYYY-MM-DD` for a day counted from 1970-01-01.
    public static func format(days: Int) -> String {
        Timestamp.formatDate(Int64(days) * Timestamp.microsecondsPerDay)
    }

    /// Days from `90`, `90d`, `12w` or a multiple of 24 hours (`48h`).
    public static func parseDays(_ text: String) -> Int? {
        let t = text.lowercased()
        let value: Int?
        if t.hasSuffix("d") { value = Int(t.dropLast()) }
        else if t.hasSuffix("w") { value = Int(t.dropLast()).map { $0 * 7 } }
        else if t.hasSuffix("h") { value = Int(t.dropLast()).flatMap { $0 % 24 == 0 ? $0 / 24 : nil } }
        else { value = Int(t) }
        guard let value, value >= 1 else { return nil }
        return value
    }
}
