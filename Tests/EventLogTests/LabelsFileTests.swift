import Snapshots
import XCTest
@testable import EventLog

/// The labels reader reads its header exactly as the event-log reader does (`CSVHeader`).
final class LabelsFileTests: XCTestCase {
    func parse(_ text: String) throws -> ExternalLabels {
        try ExternalLabels.parse(source: MemoryByteSource(text), name: "labels.csv")
    }

    func testDuplicateColumnIsRefusedLikeInAnEventLog() {
        XCTAssertEqual(assertEventLogError(try parse("customer_id,churned,churned\na,1,0\n")),
                       .duplicateColumn(path: "labels.csv", column: "churned", positions: [2, 3]))
        XCTAssertEqual(assertEventLogError(try parse("customer_id,customer_id,churned\na,b,1\n")),
                       .duplicateColumn(path: "labels.csv", column: "customer_id", positions: [1, 2]))
    }

    func testHeaderIsTheFirstNonBlankRecordWithSpacesTrimmed() throws {
        let labels = try parse("\n\n customer_id , churned\na,1\nb,0\n")
        XCTAssertEqual(labels.labels, ["a": true, "b": false])
    }

    func testBinaryOrEmptyHeaderIsRefused() {
        XCTAssertEqual(assertEventLogError(try parse("customer_id,chur\u{0}ned\na,1\n")), .notText(path: "labels.csv"))
        XCTAssertEqual(assertEventLogError(try parse("\n\n")), .emptyFile(path: "labels.csv"))
    }

    func testHeaderLookupNamesTheMissingColumnAndListsTheHeader() throws {
        let header = CSVHeader(file: "f.csv", names: ["a", "b", "a"])
        XCTAssertEqual(try header.position(of: "b"), 1)
        XCTAssertEqual(assertEventLogError(try header.position(of: "c")), .missingColumn(path: "f.csv", column: "c", header: ["a", "b", "a"]))
        XCTAssertEqual(assertEventLogError(try header.position(of: "a")), .duplicateColumn(path: "f.csv", column: "a", positions: [1, 3]))
    }
}
