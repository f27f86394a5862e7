import XCTest
@testable import EventLog

/// The customer table (`--customers`): kinds inferred or declared, missing values, and every
/// kind of bad row refused with its line.
final class CustomerTableTests: XCTestCase {
    func parse(_ text: String, categorical: Set<String> = [], numeric: Set<String> = []) throws -> CustomerTable {
        try CustomerTable.parse(source: MemoryByteSource(text), name: "customers.csv", categorical: categorical, numeric: numeric)
    }

    func testKindsAreInferredAndMissingValuesKept() throws {
        let table = try parse("""
        customer_id,plan,seats,country
        a,basic,3,DE
        b , pro ,12,
        c,basic,,FR

        """)
        XCTAssertEqual(table.columns.map(\.name), ["plan", "seats", "country"])
        XCTAssertEqual(table.columns.map(\.kind), [.categorical, .numeric, .categorical])
        XCTAssertEqual(table.rows["a"], [.category("basic"), .number(3), .category("DE")])
        XCTAssertEqual(table.rows["b "], [.category("pro"), .number(12), .missing], "ids verbatim, values trimmed")
        XCTAssertEqual(table.rows["c"], [.category("basic"), .missing, .category("FR")])
        XCTAssertNil(table.rows["b"])
    }

    func testOverridesDecideTheKind() throws {
        let text = "customer_id,zip,size\na,10115,1\nb,20095,2\n"
        XCTAssertEqual(try parse(text).columns.map(\.kind), [.numeric, .numeric])
        let table = try parse(text, categorical: ["zip"])
        XCTAssertEqual(table.columns.map(\.kind), [.categorical, .numeric])
        XCTAssertEqual(table.rows["a"]?.first, .category("10115"))
        // A column of both numbers and text is read as declared.
        let mixed = "customer_id,tier\na,1\nb,gold\n"
        XCTAssertEqual(try parse(mixed, categorical: ["tier"]).rows["a"], [.category("1")])
    }

    func testIdenticalRepeatsAreOneCustomer() throws {
        let table = try parse("customer_id,plan\na,basic\na,basic\n")
        XCTAssertEqual(table.rows.count, 1)
    }

    func testBadRowsNameTheirLine() {
        func reason(_ text: String, categorical: Set<String> = [], numeric: Set<String> = []) -> (Int, String)? {
            guard case .badCustomerRow(_, let line, let reason)? = assertEventLogError(try parse(text, categorical: categorical, numeric: numeric)) else {
                return nil
            }
            return (line, reason)
        }
        let conflict = reason("customer_id,plan,seats\na,basic,3\nb,pro,4\na,pro,3\n")
        XCTAssertEqual(conflict?.0, 4)
        XCTAssert(conflict?.1.contains("plan = 'pro'") == true && conflict?.1.contains("line 2 says 'basic'") == true, "\(conflict as Any)")
        let mixed = reason("customer_id,tier\na,1\nb,2\nc,gold\n")
        XCTAssertEqual(mixed?.0, 4)
        XCTAssert(mixed?.1.contains("both numbers (first at line 2) and text") == true, "\(mixed as Any)")
        let forced = reason("customer_id,seats\na,3\nb,many\n", numeric: ["seats"])
        XCTAssertEqual(forced?.0, 3)
        XCTAssert(forced?.1.contains("numeric") == true, "\(forced as Any)")
        XCTAssertEqual(reason("customer_id,plan\na,basic,extra\n")?.0, 2)
        XCTAssertEqual(reason("customer_id,plan\n  ,basic\n")?.1, "empty customer id")
    }

    func testMissingIdColumnAndBadOverridesAreRefused() {
        guard case .missingColumn(_, let column, _)? = assertEventLogError(try parse("user,plan\na,basic\n")) else {
            return XCTFail("a table without customer_id must be refused")
        }
        XCTAssertEqual(column, "customer_id")
        guard case .invalidOption(let message)? = assertEventLogError(try parse("customer_id,plan\na,b\n", categorical: ["plann"])) else {
            return XCTFail("an override naming no column must be refused")
        }
        XCTAssert(message.contains("plann") && message.contains("plan"), message)
        XCTAssertNotNil(assertEventLogError(try parse("customer_id,plan\na,b\n", categorical: ["plan"], numeric: ["plan"])))
        guard case .noDataRows? = assertEventLogError(try parse("customer_id,plan\n\n")) else {
            return XCTFail("a table without rows must be refused")
        }
    }
}
