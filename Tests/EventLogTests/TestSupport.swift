import Features
import Snapshots
import CZlib
import Foundation
import XCTest
@testable import EventLog

/// A temporary directory removed at deinit.
final class TemporaryDirectory {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("eventlog-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = url.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
        return path
    }

    @discardableResult
    func write(_ name: String, _ text: String) -> String { write(name, Array(text.utf8)) }
}

/// Gzip-compresses bytes with zlib (window bits 31 = gzip wrapper).
func gzip(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var input = input
    let produced: Int = input.withUnsafeMutableBufferPointer { inp in
        output.withUnsafeMutableBufferPointer { out in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(out.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return out.count - Int(stream.avail_out)
        }
    }
    deflateEnd(&stream)
    return Array(output[..<produced])
}

/// Loads CSV text from memory.
func loadText(_ text: String, columns: ColumnMapping = ColumnMapping(), strict: Bool = false,
              name: String = "test.csv") throws -> (EventStore, LoadReport) {
    var loader = CSVEventReader(options: LoadOptions(columns: columns, strict: strict))
    try loader.add(source: MemoryByteSource(text), name: name)
    return try loader.finish()
}

/// Asserts that `body` throws an `EventLogError` and returns it.
func assertEventLogError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> EventLogError? {
    do {
        _ = try body()
        XCTFail("expected an EventLogError", file: file, line: line)
        return nil
    } catch let error as EventLogError {
        return error
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
        return nil
    }
}

/// Events of one customer as (time string, event name) for compact assertions.
func eventsOf(_ store: EventStore, _ id: String) -> [(String, String)] {
    guard let c = store.customerIndex(of: id) else { return [] }
    return store.eventRange(of: c).map { (Timestamp.format(store.times[$0]), store.eventNames[Int(store.events[$0])]) }
}
