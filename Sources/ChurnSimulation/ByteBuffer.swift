import Foundation

/// A growable byte buffer for formatting CSV rows without per-row allocations.
final class ByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `extra` more bytes.
    @inline(__always) func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Appends one byte; the caller has reserved room.
    @inline(__always) func putUnchecked(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    /// Appends `n` bytes from `source`; the caller has reserved room.
    @inline(__always) func putUnchecked(_ source: UnsafePointer<UInt8>, _ n: Int) {
        (base + count).update(from: source, count: n)
        count += n
    }

    func append(_ text: String) {
        let utf8 = Array(text.utf8)
        reserve(utf8.count)
        utf8.withUnsafeBufferPointer { putUnchecked($0.baseAddress!, $0.count) }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// Precomputed byte tables for formatting rows: date prefixes per day and event names.
final class RowFormat: @unchecked Sendable {
    /// `YYYY-MM-DDT` for each day of the period, 11 bytes per day.
    let datePrefixes: UnsafeMutablePointer<UInt8>
    /// Event name bytes followed by a comma, per kind.
    let names: [[UInt8]]
    let idWidth: Int
    let days: Int

    init(startDay: Int, days: Int, customers: Int) {
        self.days = days
        datePrefixes = .allocate(capacity: max(1, days) * 11)
        for d in 0..<days {
            let text = Array((CivilDate.format(days: startDay + d) + "T").utf8)
            precondition(text.count == 11, "dates outside years 0000–9999 are not supported")
            (datePrefixes + d * 11).update(from: text, count: 11)
        }
        names = EventKind.allCases.map { Array(($0.name + ",").utf8) }
        idWidth = max(6, String(max(0, customers - 1)).count)
    }

    deinit { datePrefixes.deallocate() }

    /// The customer id of index `i`: `c` followed by `i + 1` zero-padded to `idWidth` digits.
    func customerID(_ index: Int) -> [UInt8] {
        let digits = Array(String(index + 1).utf8)
        return [UInt8(ascii: "c")] + Array(repeating: UInt8(ascii: "0"), count: max(0, idWidth - digits.count)) + digits
    }

    /// Appends `id,YYYY-MM-DDTHH:MM:SSZ,event,amount\n`.
    @inline(__always)
    func writeRow(_ out: ByteBuffer, id: UnsafeBufferPointer<UInt8>, day: Int, second: Int, kind: EventKind, amountCents: Int) {
        writeFields(out, id: id, day: day, second: second, kind: kind, amountCents: amountCents, extra: 1)
        out.putUnchecked(UInt8(ascii: "\n"))
    }

    /// Appends `id,YYYY-MM-DDTHH:MM:SSZ,event,amount` followed by `suffix` (for example
    /// `,basic\n`).
    @inline(__always)
    func writeRow(_ out: ByteBuffer, id: UnsafeBufferPointer<UInt8>, day: Int, second: Int, kind: EventKind, amountCents: Int,
                  suffix: UnsafeBufferPointer<UInt8>) {
        writeFields(out, id: id, day: day, second: second, kind: kind, amountCents: amountCents, extra: suffix.count)
        out.putUnchecked(suffix.baseAddress!, suffix.count)
    }

    /// Appends the four fields of a row without a line end, reserving `extra` more bytes.
    @inline(__always)
    private func writeFields(_ out: ByteBuffer, id: UnsafeBufferPointer<UInt8>, day: Int, second: Int, kind: EventKind,
                             amountCents: Int, extra: Int) {
        out.reserve(id.count + 96 + extra)
        out.putUnchecked(id.baseAddress!, id.count)
        out.putUnchecked(UInt8(ascii: ","))
        out.putUnchecked(datePrefixes + day * 11, 11)
        let h = second / 3600, m = (second / 60) % 60, s = second % 60
        out.putUnchecked(48 + UInt8(h / 10)); out.putUnchecked(48 + UInt8(h % 10))
        out.putUnchecked(UInt8(ascii: ":"))
        out.putUnchecked(48 + UInt8(m / 10)); out.putUnchecked(48 + UInt8(m % 10))
        out.putUnchecked(UInt8(ascii: ":"))
        out.putUnchecked(48 + UInt8(s / 10)); out.putUnchecked(48 + UInt8(s % 10))
        out.putUnchecked(UInt8(ascii: "Z")); out.putUnchecked(UInt8(ascii: ","))
        names[Int(kind.rawValue)].withUnsafeBufferPointer { out.putUnchecked($0.baseAddress!, $0.count) }
        if amountCents >= 0 { Self.writeCents(out, amountCents) }
    }

    /// Appends `123.45` for 12345 cents (room already reserved).
    @inline(__always)
    static func writeCents(_ out: ByteBuffer, _ cents: Int) {
        writeInteger(out, cents / 100)
        out.putUnchecked(UInt8(ascii: "."))
        let c = cents % 100
        out.putUnchecked(48 + UInt8(c / 10)); out.putUnchecked(48 + UInt8(c % 10))
    }

    @inline(__always)
    static func writeInteger(_ out: ByteBuffer, _ value: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value, n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = 48 + UInt8(v % 10)
                v /= 10
                n += 1
            } while v > 0
            while n > 0 {
                n -= 1
                out.putUnchecked(d[n])
            }
        }
    }
}
