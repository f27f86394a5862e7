import Evaluation
import Foundation
import XCTest

/// Decodes a JSON fixture written by `scripts/make_evaluation_fixtures.py`.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                            "fixture \(name).json missing: run scripts/make_evaluation_fixtures.py")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// Tracks the largest absolute difference per named quantity and prints them.
struct DifferenceLog {
    private(set) var maxima: [(String, Double)] = []

    mutating func record(_ name: String, _ actual: Double, _ expected: Double) {
        let d = abs(actual - expected)
        if let i = maxima.firstIndex(where: { $0.0 == name }) {
            maxima[i].1 = max(maxima[i].1, d)
        } else {
            maxima.append((name, d))
        }
    }

    func report(_ title: String) {
        for (name, d) in maxima { print("\(title): max |difference| \(name) = \(String(format: "%.3e", d))") }
    }
}
