import Foundation
import XCTest

/// Decodes the JSON fixture `Fixtures/<name>.json` of a test bundle.
/// - Parameters:
///   - bundle: the test bundle's resources (`.module`).
///   - script: the script that writes the fixture, named when it is missing.
public func loadFixture<T: Decodable>(_ name: String, as type: T.Type, in bundle: Bundle,
                                      writtenBy script: String = "scripts/make_evaluation_fixtures.py") throws -> T {
    let url = try XCTUnwrap(bundle.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                            "fixture \(name).json missing: run \(script)")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}
