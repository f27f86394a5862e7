// libFuzzer harness for the timestamp parser and the duration parser.
//
// Properties checked beyond "no crash": an accepted instant lies in years 1…9999, and
// formatting it and parsing the result gives the same instant back.
import EventLog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimestamp(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let t = Timestamp.parse(bytes) {
        precondition(t >= Timestamp.minimum && t < Timestamp.maximumExclusive, "accepted an instant outside years 1…9999: \(t)")
        let text = Timestamp.format(t)
        precondition(Timestamp.parse(text) == t, "format/parse round trip failed: \(t) → \(text)")
        _ = Timestamp.formatDate(t)
        _ = Timestamp.startOfDay(t)
    }
    let text = String(decoding: bytes, as: UTF8.self)
    if let span = TimeSpan(parsing: text) {
        precondition(span.microseconds > 0, "accepted a non-positive duration '\(text)'")
        _ = span.description
        _ = span.days
    }
    _ = Timestamp.parse(text)
    return 0
}
