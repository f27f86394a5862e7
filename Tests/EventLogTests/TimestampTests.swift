import ChurnSupport
import Features
import Snapshots
import XCTest
@testable import EventLog

final class TimestampTests: XCTestCase {
    let base = Timestamp.daysFromCivil(year: 2024, month: 3, day: 13) * Timestamp.microsecondsPerDay
    let h = Timestamp.microsecondsPerHour
    let m = Timestamp.microsecondsPerMinute
    let s = Timestamp.microsecondsPerSecond

    func testEpochReference() {
        XCTAssertEqual(Timestamp.parse("1970-01-01"), 0)
        XCTAssertEqual(Timestamp.parse("2024-03-13"), 1_710_288_000 * s)
        XCTAssertEqual(Timestamp.parse("2000-02-29T00:00:00Z"), 951_782_400 * s)
    }

    func testEveryForm() {
        let t = base + 10 * h + 21 * m + 14 * s
        XCTAssertEqual(Timestamp.parse("2024-03-13"), base)
        XCTAssertEqual(Timestamp.parse("20240313"), base)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14"), t)
        XCTAssertEqual(Timestamp.parse("2024-03-13 10:21:14"), t)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21"), t - 14 * s)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14Z"), t)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14.5"), t + 500_000)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14.123456789Z"), t + 123_456)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14.5+02:00"), t + 500_000 - 2 * h)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14-0530"), t + 5 * h + 30 * m)
        XCTAssertEqual(Timestamp.parse("2024-03-13T10:21:14+01"), t - h)
        XCTAssertEqual(Timestamp.parse("  2024-03-13 10:21:14  "), t)
        XCTAssertEqual(Timestamp.parse("1710325274"), t)
        XCTAssertEqual(Timestamp.parse("1710325274.25"), t + 250_000)
        XCTAssertEqual(Timestamp.parse("-86400"), -Timestamp.microsecondsPerDay)
        XCTAssertEqual(Timestamp.parse("0"), 0)
    }

    func testInvalid() {
        for text in ["", " ", "2024-13-01", "2024-02-30", "2023-02-29", "2024-00-10", "2024-03-32",
                     "2024-03-13T24:00:00", "2024-03-13T10:60", "2024-03-13X10:21", "2024-03-13T10:21:14+2",
                     "2024-03-13T10:21:14 junk", "2024-03-13T10:21:14.", "0000-01-01", "20241301",
                     "99999999999999999", "99999999999999", "9999999999999", "-99999999999999", "abc", "1e9", "nan", "2024-3-13", "12:00", "2024-03-13T",
                     "1.2.3", "-"] {
            XCTAssertNil(Timestamp.parse(text), text)
        }
        XCTAssertNotNil(Timestamp.parse("2024-02-29"))
        XCTAssertEqual(Timestamp.parse("253402300799"), Timestamp.parse("9999-12-31T23:59:59Z"))
        XCTAssertNil(Timestamp.parse("999999999999"))
        XCTAssertNotNil(Timestamp.parse("9999-12-31T23:59:59Z"))
        XCTAssertNil(Timestamp.parse("9999-12-31T23:59:59-01:00"))   // past year 9999 in UTC
        XCTAssertNotNil(Timestamp.parse("0001-01-01"))
    }

    func testFormatRoundTrip() {
        for text in ["2024-03-13T10:21:14Z", "1969-12-31T23:59:59.5Z", "0001-01-01T00:00:00Z",
                     "9999-12-31T23:59:59.999999Z", "2000-02-29T12:00:00.25Z"] {
            let t = Timestamp.parse(text)!
            XCTAssertEqual(Timestamp.format(t), text)
        }
        XCTAssertEqual(Timestamp.formatDate(base + 5 * h), "2024-03-13")
        XCTAssertEqual(Timestamp.startOfDay(-1), -Timestamp.microsecondsPerDay)
    }

    func testCalendarAgreesDayByDay() {
        var days = Timestamp.daysFromCivil(year: 1899, month: 12, day: 25)
        for _ in 0..<3000 {
            let (y, mo, d) = Timestamp.civilFromDays(days)
            XCTAssertEqual(Timestamp.daysFromCivil(year: y, month: mo, day: d), days)
            days += 47
        }
    }

    func testDurations() {
        XCTAssertEqual(TimeSpan(parsing: "36h")?.microseconds, 36 * h)
        XCTAssertEqual(TimeSpan(parsing: "90d"), TimeSpan.days(90))
        XCTAssertEqual(TimeSpan(parsing: "12w"), TimeSpan.weeks(12))
        XCTAssertEqual(TimeSpan(parsing: "30m")?.microseconds, 30 * m)
        XCTAssertEqual(TimeSpan(parsing: "45s")?.microseconds, 45 * s)
        XCTAssertEqual(TimeSpan(parsing: "1.5d")?.microseconds, 36 * h)
        for bad in ["", "d", "90", "-3d", "0d", "3y", "nand", "1e3d", "3 d"] {
            XCTAssertNil(TimeSpan(parsing: bad), bad)
        }
        XCTAssertEqual(TimeSpan.days(90).description, "90d")
        XCTAssertEqual(TimeSpan.weeks(2).description, "2w")
        XCTAssertEqual(TimeSpan.hours(36).description, "36h")
    }

    func testNumbers() {
        func parse(_ s: String) -> Double? { var c = s; return c.withUTF8 { NumberParser.parse($0) } }
        XCTAssertEqual(parse("12"), 12)
        XCTAssertEqual(parse("-3.5"), -3.5)
        XCTAssertEqual(parse(".5"), 0.5)
        XCTAssertEqual(parse("5."), 5)
        XCTAssertEqual(parse("1e-3"), 0.001)
        XCTAssertEqual(parse("+2E+10"), 2e10)
        XCTAssertEqual(parse(" 7 "), 7)
        XCTAssertEqual(parse("0.1"), 0.1)
        XCTAssertEqual(parse("123456789012345678901234"), 123456789012345678901234.0)
        XCTAssertEqual(parse("1.7976931348623157e-300"), 1.7976931348623157e-300)
        for bad in ["", "-", ".", "e5", "1e", "1e+", "nan", "NaN", "inf", "-inf", "1e999", "1e39", "0x10", "1,5", "1 2", "--1"] {
            XCTAssertNil(parse(bad), bad)
        }
    }
}
