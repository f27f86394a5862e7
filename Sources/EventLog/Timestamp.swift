/// Instants and durations of the event log.
///
/// An instant is an `Int64` count of **microseconds since 1970-01-01T00:00:00Z** (UTC); a duration
/// is an `Int64` count of microseconds. Microseconds keep fractional seconds exact to the precision
/// event logs usually carry, and years 1…9999 fit easily (±2.5·10¹⁷ µs of ±9.2·10¹⁸).
public enum Timestamp {
    public static let microsecondsPerSecond: Int64 = 1_000_000
    public static let microsecondsPerMinute: Int64 = 60_000_000
    public static let microsecondsPerHour: Int64 = 3_600_000_000
    public static let microsecondsPerDay: Int64 = 86_400_000_000

    /// The earliest instant accepted: 0001-01-01T00:00:00Z.
    public static let minimum: Int64 = daysFromCivil(year: 1, month: 1, day: 1) * microsecondsPerDay
    /// One past the latest instant accepted: 10000-01-01T00:00:00Z.
    public static let maximumExclusive: Int64 = daysFromCivil(year: 10000, month: 1, day: 1) * microsecondsPerDay

    // MARK: Parsing

    /// Parses a timestamp in any of the event log's forms into microseconds since the epoch (UTC).
    ///
    /// Accepted forms (surrounding ASCII spaces are ignored):
    /// - ISO 8601 date `2024-03-13` (00:00 UTC of that day);
    /// - date-time with `T` (or `t`) or one space: `2024-03-13T10:21`, `2024-03-13 10:21:14`,
    ///   optional fractional seconds `.5` (any number of digits; digits past microseconds are
    ///   truncated), optional zone `Z`, `±hh:mm`, `±hhmm` or `±hh` (no zone means UTC);
    /// - compact date `YYYYMMDD` (exactly eight digits forming a valid date in 1000…9999);
    /// - Unix epoch seconds, integer or fractional, optionally negative (`1710325274`,
    ///   `1710325274.25`). Eight-digit integers are read as compact dates, never as epoch seconds
    ///   (`20241301` is rejected, not read as 1970-08-23).
    ///
    /// Invalid calendar dates (month 13, February 30), hours past 23, minutes or seconds past 59
    /// (a leap second `:60` is accepted and folded into the next minute), and instants outside
    /// years 1…9999 are rejected.
    /// - Parameter bytes: the field's UTF-8 bytes.
    /// - Returns: microseconds since the epoch, or `nil` when the text is not a timestamp.
    /// - Complexity: O(n) in the length of the text, no allocation.
    @inlinable
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let base = bytes.baseAddress else { return nil }
        var lo = 0, hi = bytes.count
        while lo < hi, base[lo] == 0x20 || base[lo] == 0x09 { lo += 1 }
        while hi > lo, base[hi - 1] == 0x20 || base[hi - 1] == 0x09 { hi -= 1 }
        return parseTrimmed(base + lo, hi - lo)
    }

    /// Parses a timestamp held in a `String` (for command-line flags such as `--cutoff`).
    /// - Parameter text: the timestamp text, in any form `parse(_:)` accepts.
    /// - Returns: microseconds since the epoch, or `nil`.
    public static func parse(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { parse($0) }
    }

    @usableFromInline
    static func parseTrimmed(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        if n == 0 { return nil }
        // Date forms start with four digits and a dash.
        if n >= 10, p[4] == UInt8(ascii: "-") {
            return parseISO(p, n)
        }
        // Compact date: exactly eight digits that form a valid date.
        if n == 8, p[0] != UInt8(ascii: "-"), p[0] != UInt8(ascii: "+"), (0..<8).allSatisfy({ digit(p[$0]) != nil }) {
            return parseCompactDate(p)
        }
        return parseEpochSeconds(p, n)
    }

    @inline(__always) @usableFromInline
    static func digit(_ b: UInt8) -> Int? {
        let d = Int(b) &- 48
        return d >= 0 && d <= 9 ? d : nil
    }

    @inline(__always) @usableFromInline
    static func twoDigits(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int? {
        guard let a = digit(p[i]), let b = digit(p[i + 1]) else { return nil }
        return a * 10 + b
    }

    static func parseCompactDate(_ p: UnsafePointer<UInt8>) -> Int64? {
        guard let y1 = twoDigits(p, 0), let y2 = twoDigits(p, 2), let m = twoDigits(p, 4),
              let d = twoDigits(p, 6) else { return nil }
        let year = y1 * 100 + y2
        guard year >= 1000, isValidDate(year: year, month: m, day: d) else { return nil }
        return daysFromCivil(year: year, month: m, day: d) * microsecondsPerDay
    }

    static func parseISO(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard let y1 = twoDigits(p, 0), let y2 = twoDigits(p, 2), p[7] == UInt8(ascii: "-"),
              let month = twoDigits(p, 5), let day = twoDigits(p, 8) else { return nil }
        let year = y1 * 100 + y2
        guard year >= 1, isValidDate(year: year, month: month, day: day) else { return nil }
        var micros = daysFromCivil(year: year, month: month, day: day) * microsecondsPerDay
        if n == 10 { return micros }
        let sep = p[10]
        guard sep == UInt8(ascii: "T") || sep == UInt8(ascii: "t") || sep == 0x20 else { return nil }
        // hh:mm[:ss[.fff]]
        var i = 11
        guard n >= i + 5, let hour = twoDigits(p, i), p[i + 2] == UInt8(ascii: ":"),
              let minute = twoDigits(p, i + 3), hour <= 23, minute <= 59 else { return nil }
        i += 5
        var second = 0
        var fraction: Int64 = 0
        if i < n, p[i] == UInt8(ascii: ":") {
            guard n >= i + 3, let s = twoDigits(p, i + 1), s <= 60 else { return nil }
            second = s
            i += 3
            if i < n, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: ",") {
                i += 1
                var digits = 0
                var scale: Int64 = 100_000
                while i < n, let d = digit(p[i]) {
                    if digits < 6 { fraction += Int64(d) * scale; scale /= 10 }
                    digits += 1
                    i += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        micros += Int64(hour) * microsecondsPerHour + Int64(minute) * microsecondsPerMinute
            + Int64(second) * microsecondsPerSecond + fraction
        // Zone.
        if i < n {
            let z = p[i]
            if z == UInt8(ascii: "Z") || z == UInt8(ascii: "z") {
                guard i + 1 == n else { return nil }
            } else if z == UInt8(ascii: "+") || z == UInt8(ascii: "-") {
                let rest = n - i - 1
                guard rest == 2 || rest == 4 || rest == 5, let oh = twoDigits(p, i + 1) else { return nil }
                var om = 0
                if rest == 2 {
                    om = 0
                } else if rest == 4, let m = twoDigits(p, i + 3) {
                    om = m
                } else if rest == 5, p[i + 3] == UInt8(ascii: ":"), let m = twoDigits(p, i + 4) {
                    om = m
                } else {
                    return nil
                }
                guard oh <= 23, om <= 59 else { return nil }
                let offset = Int64(oh) * microsecondsPerHour + Int64(om) * microsecondsPerMinute
                // Local time = UTC + offset, so UTC = local − offset.
                micros += z == UInt8(ascii: "+") ? -offset : offset
            } else {
                return nil
            }
        }
        guard micros >= minimum, micros < maximumExclusive else { return nil }
        return micros
    }

    static func parseEpochSeconds(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        var i = 0
        var negative = false
        if p[0] == UInt8(ascii: "-") || p[0] == UInt8(ascii: "+") {
            negative = p[0] == UInt8(ascii: "-")
            i = 1
        }
        var seconds: Int64 = 0
        var intDigits = 0
        while i < n, let d = digit(p[i]) {
            guard intDigits < 12 else { return nil }    // 13+ digits: past year 9999 (and would overflow µs)
            seconds = seconds * 10 + Int64(d)
            intDigits += 1
            i += 1
        }
        var fraction: Int64 = 0
        var fracDigits = 0
        if i < n, p[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000
            while i < n, let d = digit(p[i]) {
                if fracDigits < 6 { fraction += Int64(d) * scale; scale /= 10 }
                fracDigits += 1
                i += 1
            }
        }
        guard i == n, intDigits + fracDigits > 0 else { return nil }
        var micros = seconds * microsecondsPerSecond + fraction
        if negative { micros = -micros }
        guard micros >= minimum, micros < maximumExclusive else { return nil }
        return micros
    }

    // MARK: Calendar

    /// Whether `year-month-day` is a valid proleptic Gregorian date.
    @inlinable
    public static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        guard month >= 1, month <= 12, day >= 1 else { return false }
        return day <= daysInMonth(year: year, month: month)
    }

    @inlinable
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    @inlinable
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01 (inverse of `daysFromCivil`).
    public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// 00:00 UTC of the day that contains `instant`.
    public static func startOfDay(_ instant: Int64) -> Int64 {
        floorDiv(instant, microsecondsPerDay) * microsecondsPerDay
    }

    @inlinable
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    // MARK: Formatting

    /// Formats an instant as ISO 8601 UTC: `2024-03-13T10:21:14Z`, with `.ffffff` when the
    /// instant has a fractional second (trailing zeros trimmed).
    /// - Parameter instant: microseconds since the epoch.
    public static func format(_ instant: Int64) -> String {
        let days = floorDiv(instant, microsecondsPerDay)
        var rest = instant - days * microsecondsPerDay
        let (y, m, d) = civilFromDays(days)
        let hour = rest / microsecondsPerHour; rest -= hour * microsecondsPerHour
        let minute = rest / microsecondsPerMinute; rest -= minute * microsecondsPerMinute
        let second = rest / microsecondsPerSecond; rest -= second * microsecondsPerSecond
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var out = "\(pad(Int64(y), 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2))T"
        out += "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if rest != 0 {
            var frac = pad(rest, 6)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        return out + "Z"
    }

    /// Formats the date part only: `2024-03-13`.
    public static func formatDate(_ instant: Int64) -> String {
        let s = format(startOfDay(instant))
        return String(s.prefix(10))
    }
}

/// A span of time in microseconds, written as `36h`, `90d`, `12w` (also `s`, `m` for minutes).
public struct TimeSpan: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The span in microseconds.
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func hours(_ h: Int64) -> TimeSpan { TimeSpan(microseconds: h * Timestamp.microsecondsPerHour) }
    public static func days(_ d: Int64) -> TimeSpan { TimeSpan(microseconds: d * Timestamp.microsecondsPerDay) }
    public static func weeks(_ w: Int64) -> TimeSpan { TimeSpan(microseconds: w * 7 * Timestamp.microsecondsPerDay) }

    /// Parses `<number><unit>` with unit `s`, `m` (minutes), `h`, `d` or `w`; the number may be
    /// fractional (`1.5d`) and must be positive.
    /// - Parameter text: the duration text, e.g. `90d`.
    /// - Returns: the span, or `nil` when the text is not a positive duration.
    public init?(parsing text: String) {
        let trimmed = text.trimmingASCIISpaces()
        guard let unit = trimmed.last, trimmed.count >= 2 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = Timestamp.microsecondsPerSecond
        case "m": scale = Timestamp.microsecondsPerMinute
        case "h": scale = Timestamp.microsecondsPerHour
        case "d": scale = Timestamp.microsecondsPerDay
        case "w": scale = 7 * Timestamp.microsecondsPerDay
        default: return nil
        }
        let number = trimmed.dropLast()
        guard number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite, value > 0 else { return nil }
        let micros = (value * Double(scale)).rounded()
        guard micros >= 1, micros < 1e18 else { return nil }
        microseconds = Int64(micros)
    }

    /// The span in (fractional) days.
    public var days: Double { Double(microseconds) / Double(Timestamp.microsecondsPerDay) }

    /// The shortest exact form: `12w`, `90d`, `36h`, `5m`, `7s`, or microseconds as fractional seconds.
    public var description: String {
        let units: [(Int64, String)] = [(7 * Timestamp.microsecondsPerDay, "w"), (Timestamp.microsecondsPerDay, "d"),
                                        (Timestamp.microsecondsPerHour, "h"), (Timestamp.microsecondsPerMinute, "m"),
                                        (Timestamp.microsecondsPerSecond, "s")]
        for (scale, suffix) in units where microseconds != 0 && microseconds % scale == 0 {
            return "\(microseconds / scale)\(suffix)"
        }
        return "\(Double(microseconds) / 1e6)s"
    }
}

extension String {
    func trimmingASCIISpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
