import Foundation
import XCTest

/// Tracks the largest absolute difference per named quantity and prints them.
///
/// A NaN difference is kept (it is the worst possible), and `report` fails the test for it:
/// a NaN never hides behind an earlier finite maximum.
public struct DifferenceLog {
    /// Each quantity's largest `|actual − expected|`, in first-recorded order.
    public private(set) var maxima: [(name: String, difference: Double)] = []

    public init() {}

    /// Records `|actual − expected|` for `name`.
    public mutating func record(_ name: String, _ actual: Double, _ expected: Double) {
        let d = abs(actual - expected)
        if let i = maxima.firstIndex(where: { $0.name == name }) {
            maxima[i].difference = maximumPropagatingNaN(maxima[i].difference, d)
        } else {
            maxima.append((name, d))
        }
    }

    /// The largest difference recorded for `name` (NaN if any was NaN), nil if none was.
    public func maximum(of name: String) -> Double? { maxima.first { $0.name == name }?.difference }

    /// The quantities with a NaN difference.
    public var quantitiesWithNaN: [String] { maxima.filter { $0.difference.isNaN }.map(\.name) }

    /// Prints every maximum under `title`; fails for each quantity with a NaN difference.
    public func report(_ title: String, file: StaticString = #filePath, line: UInt = #line) {
        for (name, d) in maxima { print("\(title): max |difference| \(name) = \(String(format: "%.3e", d))") }
        for name in quantitiesWithNaN { XCTFail("\(title): \(name) has a NaN difference", file: file, line: line) }
    }
}
