#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parsing decimal numbers from bytes: `12`, `-3.5`, `.5`, `1e-3`, `+2E+10`.
public enum NumberParser {
    private static let powersOfTen: [Double] = (0...22).map { p in
        var v = 1.0
        for _ in 0..<p { v *= 10 }
        return v
    }

    /// Parses a finite decimal number (surrounding ASCII spaces ignored).
    ///
    /// Only decimal syntax is accepted: `nan`, `inf`, hexadecimal and empty text are rejected,
    /// and so is a value whose magnitude overflows `Float` (e.g. `1e999`), since values are stored
    /// as `Float`. Simple numbers (≤ 15 significant digits, exponent ≤ 22) are converted exactly
    /// without allocation; others go through `strtod`.
    /// - Parameter bytes: the field's bytes.
    /// - Returns: the value, or `nil`.
    /// - Complexity: O(n).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard let base = bytes.baseAddress else { return nil }
        var lo = 0, hi = bytes.count
        while lo < hi, base[lo] == 0x20 || base[lo] == 0x09 { lo += 1 }
        while hi > lo, base[hi - 1] == 0x20 || base[hi - 1] == 0x09 { hi -= 1 }
        guard lo < hi else { return nil }
        var i = lo
        var negative = false
        if base[i] == UInt8(ascii: "-") || base[i] == UInt8(ascii: "+") {
            negative = base[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var digits = 0
        var decimalExponent = 0
        while i < hi, base[i] &- 48 < 10 {
            let d = UInt64(base[i] &- 48)
            if significant < 19 {
                if mantissa != 0 || d != 0 { significant += 1 }
                mantissa = mantissa * 10 + d
            } else {
                decimalExponent += 1
            }
            digits += 1
            i += 1
        }
        if i < hi, base[i] == UInt8(ascii: ".") {
            i += 1
            while i < hi, base[i] &- 48 < 10 {
                let d = UInt64(base[i] &- 48)
                if significant < 19 {
                    if mantissa != 0 || d != 0 { significant += 1 }
                    mantissa = mantissa * 10 + d
                    decimalExponent -= 1
                }
                digits += 1
                i += 1
            }
        }
        guard digits > 0 else { return nil }
        var exponent = 0
        if i < hi, base[i] == UInt8(ascii: "e") || base[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < hi, base[i] == UInt8(ascii: "-") || base[i] == UInt8(ascii: "+") {
                expNegative = base[i] == UInt8(ascii: "-")
                i += 1
            }
            var expDigits = 0
            while i < hi, base[i] &- 48 < 10 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(base[i] &- 48) }
                expDigits += 1
                i += 1
            }
            guard expDigits > 0 else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == hi else { return nil }
        let totalExponent = decimalExponent + exponent
        var value: Double
        if significant <= 15 && abs(totalExponent) <= 22 {
            value = Double(mantissa)
            value = totalExponent >= 0 ? value * powersOfTen[totalExponent] : value / powersOfTen[-totalExponent]
        } else {
            // Rare: many digits or a large exponent. Correctly rounded through strtod.
            var text = [CChar](repeating: 0, count: hi - lo + 1)
            for k in lo..<hi { text[k - lo] = CChar(bitPattern: base[k]) }
            value = strtod(text, nil)
            return value.isFinite && Float(value).isFinite ? value : nil
        }
        if negative { value = -value }
        return value.isFinite && Float(value).isFinite ? value : nil
    }
}
