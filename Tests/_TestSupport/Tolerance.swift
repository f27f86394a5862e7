import Foundation
import XCTest

// Tolerance helpers that fail on NaN.
//
// `Swift.max(worst, d)` keeps `worst` when `d` is NaN (every comparison with NaN is false), so a
// running maximum built from it reports a small difference for outputs that are all NaN. Every
// helper here treats a NaN difference (an actual or expected NaN, or ∞ − ∞) as the worst
// possible difference, and a size mismatch as an infinite one.

/// The larger of `a` and `b`, or NaN when either is NaN (`Swift.max` drops a NaN second argument).
@inlinable
public func maximumPropagatingNaN<T: FloatingPoint>(_ a: T, _ b: T) -> T {
    if a.isNaN || b.isNaN { return .nan }
    return a < b ? b : a
}

/// The worst element-wise difference between two sequences of floating-point values.
public struct WorstDifference: Equatable, Sendable {
    /// The largest `|actual − expected|`: NaN when some difference is NaN, `+∞` when the counts differ.
    public var magnitude: Double
    /// Where the worst (or first NaN) difference is; nil for empty inputs or differing counts.
    public var index: Int?
    /// The two values there.
    public var actual: Double, expected: Double

    /// Whether the difference is within `tolerance`: false for NaN, whatever the tolerance.
    public func isWithin(_ tolerance: Double) -> Bool { magnitude <= tolerance }
}

/// The worst `|actual[i] − expected[i]|`, stopping at the first NaN difference.
/// - Returns: magnitude `+∞` (and no index) when the counts differ, NaN when a difference is NaN.
public func worstDifference<A: Collection, E: Collection>(_ actual: A, _ expected: E) -> WorstDifference
    where A.Element: BinaryFloatingPoint, E.Element == A.Element {
    guard actual.count == expected.count else {
        return WorstDifference(magnitude: .infinity, index: nil, actual: .nan, expected: .nan)
    }
    var worst = WorstDifference(magnitude: 0, index: nil, actual: 0, expected: 0)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        let d = Double(abs(a - e))
        if d.isNaN || worst.index == nil || d > worst.magnitude {
            worst = WorstDifference(magnitude: d, index: i, actual: Double(a), expected: Double(e))
            if d.isNaN { break }
        }
    }
    return worst
}

/// The largest `|actual[i] − expected[i]|`: NaN when any difference is NaN, `+∞` when the
/// counts differ, 0 for two empty collections. Compare it with `<=`, which fails for both.
public func maxAbsDifference<A: Collection, E: Collection>(_ actual: A, _ expected: E) -> Double
    where A.Element: BinaryFloatingPoint, E.Element == A.Element {
    worstDifference(actual, expected).magnitude
}

/// Why `actual` is not within `tolerance` of `expected` element-wise, or nil when it is.
///
/// The pure decision behind `assertClose`: differing sizes, any NaN difference and any
/// difference above `tolerance` are failures.
public func closenessFailure<A: Collection, E: Collection>(_ actual: A, _ expected: E, tolerance: Double,
                                                           _ name: String) -> String?
    where A.Element: BinaryFloatingPoint, E.Element == A.Element {
    let worst = worstDifference(actual, expected)
    if worst.isWithin(tolerance) { return nil }
    guard let i = worst.index else { return "\(name): sizes differ (\(actual.count) vs \(expected.count))" }
    if worst.magnitude.isNaN {
        return "\(name): NaN difference at [\(i)] (actual \(worst.actual), expected \(worst.expected))"
    }
    return "\(name): max |diff| \(worst.magnitude) at [\(i)] (actual \(worst.actual), expected \(worst.expected)) > \(tolerance)"
}

/// Asserts two collections agree element-wise within `tolerance`, printing the worst difference.
///
/// Fails when the sizes differ, when any difference is NaN, or when the worst exceeds `tolerance`.
public func assertClose<A: Collection, E: Collection>(_ actual: A, _ expected: E, tolerance: Double, _ name: String,
                                                      file: StaticString = #filePath, line: UInt = #line)
    where A.Element: BinaryFloatingPoint, E.Element == A.Element {
    print(String(format: "  %-28@ max |diff| = %.3e", name as NSString, maxAbsDifference(actual, expected)))
    if let failure = closenessFailure(actual, expected, tolerance: tolerance, name) {
        XCTFail(failure, file: file, line: line)
    }
}
