import ChurnSupport
import Foundation
import XCTest

/// The one JSON policy: NaN and ±∞ become `null`, everything else is written as JSONEncoder does.
final class JSONOutputTests: XCTestCase {
    struct Sample: Encodable {
        var finite = 0.25
        var nan = Double.nan
        var plus = Double.infinity
        var minus = -Double.infinity
        var single = Float.nan
        var list: [Double] = [1, .nan, -.infinity]
        var text = "non-finite \u{1} marker-like text stays"
    }

    func testNonFiniteNumbersAreNullAndTheRestIsUnchanged() throws {
        let json = String(decoding: try JSONOutput.encode(Sample()), as: UTF8.self)
        XCTAssertEqual(json, #"{"finite":0.25,"list":[1,null,null],"minus":null,"nan":null,"plus":null,"single":null,"text":"non-finite \u0001 marker-like text stays"}"#)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertTrue(object["nan"] is NSNull)
        XCTAssertEqual(object["finite"] as? Double, 0.25)
    }

    func testPrettyOutputKeepsTheSamePolicy() throws {
        let json = String(decoding: try JSONOutput.encode(Sample(), pretty: true), as: UTF8.self)
        XCTAssertTrue(json.contains("\"plus\" : null"), json)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        for key in ["nan", "plus", "minus", "single"] { XCTAssertTrue(object[key] is NSNull, key) }
    }
}
