import ChurnSupport
import Features
import Snapshots
import Foundation
import XCTest
@testable import EventLog

final class CSVReaderTests: XCTestCase {
    func records(_ text: String, bufferSize: Int = 1 << 20) throws -> [(line: Int, fields: [String])] {
        let reader = CSVReader(source: MemoryByteSource(text), name: "t", bufferSize: bufferSize)
        var out: [(Int, [String])] = []
        while try reader.nextRecord() {
            out.append((reader.recordLine, (0..<reader.fieldCount).map { reader.fieldString($0) }))
        }
        return out
    }

    /// A customer all of whose rows are bad is not in the store: it is counted and named.
    func testCustomersWithOnlyBadRowsAreNamed() throws {
        let text = """
        customer_id,timestamp,event
        a,2024-01-01,login
        b,not-a-date,login
        a,2024-13-01,login
        c,2024-01-02,login,extra
        d,2024-01-03,login

        """
        let (store, report) = try loadText(text)
        XCTAssertEqual(store.customerIDs.sorted(), ["a", "d"])
        XCTAssertEqual(report.droppedCustomers, ["b", "c"])
        XCTAssertEqual(report.droppedCustomerCount, 2)
        XCTAssert(report.summaryLines().contains { $0.contains("2 customer(s) had only bad rows and are left out: b, c") },
                  "\(report.summaryLines())")
    }

    func testQuotingAndLineNumbers() throws {
        let text = "a,b,c\n\"x, y\",\"he said \"\"hi\"\"\",\"multi\nline\"\nplain,,\"\"\n"
        for size in [16, 17, 19, 23, 1 << 20] {    // small buffers force records across refills
            let r = try records(text, bufferSize: size)
            XCTAssertEqual(r.map(\.line), [1, 2, 4], "buffer \(size)")
            XCTAssertEqual(r[1].fields, ["x, y", "he said \"hi\"", "multi\nline"])
            XCTAssertEqual(r[2].fields, ["plain", "", ""])
        }
    }

    func testCRLFBOMAndNoFinalNewline() throws {
        let text = "\u{FEFF}a,b\r\n1,\"2\r\n3\"\r\n4,5"
        let r = try records(text)
        XCTAssertEqual(r.map(\.fields), [["a", "b"], ["1", "2\r\n3"], ["4", "5"]])
        XCTAssertEqual(r.map(\.line), [1, 2, 4])
    }

    func testStrayQuotesAreLiteral() throws {
        let r = try records("ab\"c,\"d\"e\n")
        XCTAssertEqual(r[0].fields, ["ab\"c", "de"])
    }

    /// Unquoted fields of every length up to 40 (the reader scans eight bytes at a time), with
    /// non-ASCII bytes, CR, bytes one off ',' and '\n' (0x2B, 0x2D, 0x09, 0x0B), and records cut
    /// at every buffer refill position: the fields equal a plain split on ',' and '\n'.
    func testUnquotedFieldsOfEveryLengthSplitExactly() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "Z", "0", "+", "-", "\t", "\u{0B}", "é", "€", " ", ".", "_"]
        for _ in 0..<20 {
            var expected: [[String]] = []
            var text = ""
            for _ in 0..<30 {
                let fields = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                    String((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                }
                if fields == [""] { continue }      // a blank line is not a record with one field
                expected.append(fields)
                text += fields.joined(separator: ",") + "\n"
            }
            for size in [16, 23, 64, 1 << 20] {
                XCTAssertEqual(try records(text, bufferSize: size).map(\.fields), expected, "buffer \(size): \(text.debugDescription)")
            }
        }
    }

    func testRecordTextReserializes() throws {
        let reader = CSVReader(source: MemoryByteSource("\"a,b\",c\n"), name: "t")
        XCTAssertTrue(try reader.nextRecord())
        XCTAssertEqual(reader.recordText(), "\"a,b\",c")
    }
}

final class LoaderTests: XCTestCase {
    let header = "customer_id,timestamp,event,amount\n"

    func testLoadsAndGroupsPerCustomerInTimeOrder() throws {
        let text = header + """
        b,2024-01-03,buy,10
        a,2024-01-02T00:00:00Z,view,
        a,2024-01-01,view,1e1
        b,2024-01-01,view,-2.5
        a,2024-01-02,buy,3

        """
        let (store, report) = try loadText(text, columns: ColumnMapping(values: ["amount"]))
        XCTAssertEqual(store.customerIDs, ["b", "a"])
        XCTAssertEqual(store.eventCount, 5)
        XCTAssertEqual(report.rowsRead, 5)
        XCTAssertEqual(report.rowsLoaded, 5)
        XCTAssertEqual(report.badRows, 0)
        // Ties keep input order: the view at 2024-01-02 came before the buy.
        XCTAssertEqual(eventsOf(store, "a").map(\.1), ["view", "view", "buy"])
        let a = store.eventRange(of: store.customerIndex(of: "a")!)
        XCTAssertEqual(a.map { store.values[0][$0] }, [10, 0, 3])
        let b = store.eventRange(of: store.customerIndex(of: "b")!)
        XCTAssertEqual(b.map { store.values[0][$0] }, [-2.5, 10])
        XCTAssertEqual(Timestamp.format(store.latestTime), "2024-01-03T00:00:00Z")
        XCTAssertEqual(store.historyEnd(of: store.customerIndex(of: "a")!, before: Timestamp.parse("2024-01-02")!), a.lowerBound + 1)
    }

    /// Customer ids are kept verbatim (RFC 4180): `a`, ` a` and `a ` are three customers, in
    /// the store, in the dropped-customer list and for the shard filter. An id of only spaces is
    /// empty; event names are trimmed.
    func testCustomerIDsAreVerbatimAndEventNamesTrimmed() throws {
        let text = """
        customer_id,timestamp,event
        a,2024-01-01, view
        " a",2024-01-02,view\t
        a ,2024-01-03,buy
         a,2024-01-04,view
          ,2024-01-05,view
         b,not-a-time,view
        b,2024-01-06,view

        """
        let (store, report) = try loadText(text)
        XCTAssertEqual(store.customerIDs, ["a", " a", "a ", "b"])
        XCTAssertEqual(eventsOf(store, " a").map(\.1), ["view", "view"])
        XCTAssertEqual(eventsOf(store, "a").map(\.1), ["view"])
        XCTAssertEqual(store.eventNames, ["view", "buy"])
        XCTAssertEqual(report.badRowCounts, [.emptyCustomer: 1, .badTimestamp: 1])
        XCTAssertEqual(report.droppedCustomers, [" b"])
        for shard in 0..<2 {
            var reader = CSVEventReader(options: LoadOptions(customerFilter: CustomerSharding.filter(shard: shard, count: 2)))
            try reader.add(source: MemoryByteSource(text), name: "t.csv")
            let (part, partReport) = try reader.finish()
            XCTAssertEqual(part.customerIDs, store.customerIDs.filter { CustomerSharding.shard(of: $0, count: 2) == shard })
            XCTAssertEqual(partReport.droppedCustomers, CustomerSharding.shard(of: " b", count: 2) == shard ? [" b"] : [])
        }
        let labels = try ExternalLabels.parse(source: MemoryByteSource("customer_id,churned\n a, 1\na,0\n"), name: "l.csv")
        XCTAssertEqual(labels.labels, [" a": true, "a": false])
        XCTAssertEqual(assertEventLogError(try ExternalLabels.parse(source: MemoryByteSource("customer_id,churned\n  ,1\n"), name: "l.csv")),
                       .badLabel(path: "l.csv", line: 2, reason: "empty customer id"))
    }

    func testColumnsByNameOtherColumnsIgnoredQuotedFields() throws {
        let text = "extra,ts,who,what\n\"x,\"\"y\"\"\",2024-01-01,\"c 1\",\"a\nb\"\n"
        let (store, _) = try loadText(text, columns: ColumnMapping(customer: "who", time: "ts", event: "what"))
        XCTAssertEqual(store.customerIDs, ["c 1"])
        XCTAssertEqual(store.eventNames, ["a\nb"])
    }

    func testCRLFAndBOM() throws {
        let text = "\u{FEFF}customer_id,timestamp,event\r\nc1,2024-01-01,x\r\nc2,20240102,y\r\n"
        let (store, report) = try loadText(text)
        XCTAssertEqual(store.customerIDs, ["c1", "c2"])
        XCTAssertEqual(store.eventNames, ["x", "y"])
        XCTAssertEqual(report.badRows, 0)
    }

    func testGzipFileAndConcatenatedMembers() throws {
        let dir = TemporaryDirectory()
        let part1 = Array((header + "a,2024-01-01,x,1\n").utf8)
        let part2 = Array("b,2024-01-02,y,2\n".utf8)
        let gz = dir.write("log.csv.gz", gzip(part1) + gzip(part2))
        let (store, _) = try CSVEventReader.load(paths: [gz], options: LoadOptions(columns: ColumnMapping(values: ["amount"])))
        XCTAssertEqual(store.customerIDs, ["a", "b"])
        // Gzip detected by magic bytes without the suffix.
        let noSuffix = dir.write("log.bin", gzip(part1))
        XCTAssertEqual(try CSVEventReader.load(paths: [noSuffix]).store.eventCount, 1)
        // Several files into one store.
        let plain = dir.write("more.csv", header + "a,2023-12-31,z,0\n")
        let (both, report) = try CSVEventReader.load(paths: [gz, plain])
        XCTAssertEqual(eventsOf(both, "a").map(\.1), ["z", "x"])
        XCTAssertEqual(report.files, [gz, plain])
    }

    func testTruncatedGzipIsAnErrorNamingTheFile() throws {
        let dir = TemporaryDirectory()
        var text = header
        for i in 0..<2000 { text += "c\(i),2024-01-01,e\(i % 7),\(i)\n" }
        let full = gzip(Array(text.utf8))
        let path = dir.write("cut.csv.gz", Array(full[..<(full.count / 2)]))
        let error = assertEventLogError(try CSVEventReader.load(paths: [path]))
        guard case .corruptCompressedData(let p, let reason)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(p, path)
        XCTAssertTrue(reason.contains("truncated"), reason)
        XCTAssertEqual(error?.category, .badData)
    }

    func testStandardInputThroughAPipe() throws {
        let pipe = Pipe()
        let source = FileDescriptorSource(descriptor: pipe.fileHandleForReading.fileDescriptor, name: "<stdin>", closeOnDeinit: false)
        let writer = Thread {
            pipe.fileHandleForWriting.write(Data(("customer_id,timestamp,event\n" + "p,2024-01-01,x\n").utf8))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        var loader = CSVEventReader()
        try loader.add(source: source, name: "<stdin>")
        XCTAssertEqual(try loader.finish().store.customerIDs, ["p"])
    }

    func testGzipOnStandardInputIsSniffedAndCorruptGzipIsAnError() throws {
        let bytes = gzip(Array("customer_id,timestamp,event\ns,2024-01-01,x\n".utf8))
        var loader = CSVEventReader()
        try loader.add(source: MemoryByteSource(bytes), name: "<stdin>")
        XCTAssertEqual(try loader.finish().store.customerIDs, ["s"])
        var corrupt = bytes
        corrupt[12] ^= 0xFF
        corrupt[13] ^= 0xFF
        var loader2 = CSVEventReader()
        let error = assertEventLogError(try loader2.add(source: MemoryByteSource(corrupt), name: "bad.gz"))
        guard case .corruptCompressedData(let path, _)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(path, "bad.gz")
    }

    func testEveryTimestampFormInOneFile() throws {
        let text = """
        customer_id,timestamp,event
        a,2024-03-13,x
        a,20240313,x
        a,2024-03-13 00:00:00,x
        a,2024-03-13T02:00:00+02:00,x
        a,2024-03-12T19:00:00-0500,x
        a,2024-03-13T00:00:00.000Z,x
        a,1710288000,x
        a,1710288000.0,x
        a,2024-03-13T00:00Z,x

        """
        let (store, report) = try loadText(text)
        XCTAssertEqual(report.badRows, 0)
        XCTAssertEqual(Set(store.times), [Timestamp.parse("2024-03-13")!])
        XCTAssertEqual(store.eventCount, 9)
    }

    func testBadRowsAreCountedSampledAndSkipped() throws {
        let text = header + """
        a,2024-01-01,x,1
        a,2024-01-02,x
        ,2024-01-03,x,1
        a,2024-02-30,x,1
        a,2024-01-04,x,abc
        a,2024-01-05,x,1e999
        "b
        c",2024-01-06,x,1,extra
        a,2024-01-07,x,2

        """
        let (store, report) = try loadText(text, columns: ColumnMapping(values: ["amount"]))
        XCTAssertEqual(store.eventCount, 2)
        XCTAssertEqual(report.rowsRead, 8)
        XCTAssertEqual(report.rowsLoaded, 2)
        XCTAssertEqual(report.badRowCounts, [.wrongFieldCount: 2, .emptyCustomer: 1, .badTimestamp: 1, .badNumber: 2])
        let lines = report.samples.map { "\($0.reason.rawValue)@\($0.line)" }
        XCTAssertEqual(lines, ["wrong_field_count@3", "wrong_field_count@8", "bad_timestamp@5",
                               "bad_number@6", "bad_number@7", "empty_customer_id@4"])
        XCTAssertEqual(report.samples.first { $0.reason == .badNumber }?.text, "a,2024-01-04,x,abc")
        XCTAssertEqual(report.samples.first { $0.reason == .badNumber }?.detail, "column 'amount'")
        XCTAssertTrue(report.summaryLines().joined(separator: "\n").contains("test.csv:5: unparsable timestamp"))
    }

    func testStrictStopsAtTheFirstBadRow() throws {
        let text = header + "a,2024-01-01,x,1\na,not-a-time,x,1\n,2024-01-01,x,1\n"
        let error = assertEventLogError(try loadText(text, columns: ColumnMapping(values: ["amount"]), strict: true))
        guard case .badRow(let row)? = error else { return XCTFail() }
        XCTAssertEqual(row.line, 3)
        XCTAssertEqual(row.reason, .badTimestamp)
        XCTAssertEqual(error?.category, .badData)
        XCTAssertTrue(error!.description.hasPrefix("test.csv:3: unparsable timestamp"))
    }

    func testMissingColumnNamesItAndListsTheHeader() {
        let error = assertEventLogError(try loadText("user,timestamp,event\nu,2024-01-01,x\n"))
        XCTAssertEqual(error, .missingColumn(path: "test.csv", column: "customer_id", header: ["user", "timestamp", "event"]))
        XCTAssertTrue(error!.description.contains("'customer_id'") && error!.description.contains("'user', 'timestamp', 'event'"))
        let value = assertEventLogError(try loadText("customer_id,timestamp,event\n", columns: ColumnMapping(values: ["amount"])))
        if case .missingColumn(_, let column, _)? = value { XCTAssertEqual(column, "amount") } else { XCTFail() }
    }

    func testEmptyHeaderOnlyAndOnlyBadRows() {
        XCTAssertEqual(assertEventLogError(try loadText("")), .emptyFile(path: "test.csv"))
        XCTAssertEqual(assertEventLogError(try loadText("\n\n")), .emptyFile(path: "test.csv"))
        XCTAssertEqual(assertEventLogError(try loadText("customer_id,timestamp,event\n")), .noDataRows(path: "test.csv"))
        let error = assertEventLogError(try loadText("customer_id,timestamp,event\na,bad,x\nb,worse,y\n"))
        guard case .noGoodRows(let path, let rows, let first)? = error else { return XCTFail() }
        XCTAssertEqual(path, "test.csv")
        XCTAssertEqual(rows, 2)
        XCTAssertEqual(first?.line, 2)
    }

    func testMissingFileIsNoInput() {
        let error = assertEventLogError(try CSVEventReader.load(paths: ["/nonexistent/x.csv"]))
        XCTAssertEqual(error, .fileNotFound(path: "/nonexistent/x.csv"))
        XCTAssertEqual(error?.category, .unavailable)
    }
}

final class ParallelLoadTests: XCTestCase {
    /// Parsing in chunks on two threads gives exactly the sequential result: same customers in
    /// the same order, same events, same report (line numbers, samples), whatever the chunk size.
    func testChunkedParallelParsingMatchesSequential() throws {
        var text = "\u{FEFF}customer_id,timestamp,event,amount,note\r\n"
        for i in 0..<400 {
            let customer = "c\((i * 37) % 53)"
            switch i % 23 {
            case 3: text += "\(customer),2024-01-\(i % 28 + 1),x,1\r\n"                      // wrong field count
            case 7: text += "\(customer),not a time,x,1,\"q\"\r\n"                            // bad timestamp
            case 11: text += "\(customer),2024-02-01,x,zz,\"multi\nline, with \"\"quotes\"\"\"\n"   // bad number
            case 13: text += "\n"                                                            // blank line
            default:
                text += "\(customer),2024-01-\(String(format: "%02d", i % 28 + 1))T\(String(format: "%02d", i % 24)):00:00Z,"
                text += "\"ev,\(i % 5)\",\(Double(i) / 4),\"note\nwith newline \(i)\"\n"
            }
        }
        text += "zlast,20240301,end,,no newline at end"
        let columns = ColumnMapping(values: ["amount"])
        func load(threads: Int, chunkSize: Int) throws -> (EventStore, LoadReport) {
            var loader = CSVEventReader(options: LoadOptions(columns: columns, threads: threads, chunkSize: chunkSize))
            try loader.add(source: MemoryByteSource(text), name: "p.csv")
            return try loader.finish()
        }
        let (reference, referenceReport) = try load(threads: 1, chunkSize: 1 << 20)
        XCTAssertEqual(referenceReport.bytesRead, text.utf8.count)
        XCTAssertEqual(reference.eventCount, referenceReport.rowsLoaded)
        XCTAssertEqual(referenceReport.badRowCounts, [.wrongFieldCount: 18, .badTimestamp: 18, .badNumber: 17])
        XCTAssertEqual(referenceReport.blankLines, 17)
        XCTAssertEqual(reference.customerIDs.last, "zlast")
        for (threads, chunkSize) in [(2, 16), (2, 100), (2, 1000), (3, 4096)] + (8...40).map({ (1, $0) }) {
            let (store, report) = try load(threads: threads, chunkSize: chunkSize)
            XCTAssertEqual(store.customerIDs, reference.customerIDs, "\(threads)/\(chunkSize)")
            XCTAssertEqual(report.rowsRead, referenceReport.rowsRead, "\(threads)/\(chunkSize)")
            XCTAssertEqual(store.eventNames, reference.eventNames)
            XCTAssertEqual(store.offsets, reference.offsets)
            XCTAssertEqual(store.times, reference.times)
            XCTAssertEqual(store.events, reference.events)
            XCTAssertEqual(store.values, reference.values)
            XCTAssertEqual(report, referenceReport, "\(threads)/\(chunkSize)")
        }
        // Strict mode reports the same first bad row with any chunking.
        for chunkSize in [16, 1 << 20] {
            var loader = CSVEventReader(options: LoadOptions(columns: columns, strict: true, threads: 2, chunkSize: chunkSize))
            let error = assertEventLogError(try loader.add(source: MemoryByteSource(text), name: "p.csv"))
            XCTAssertEqual(error, .badRow(referenceReport.samples.min { $0.line < $1.line }!))
        }
    }
}

final class EventStoreBuilderTests: XCTestCase {
    /// Rows appended one at a time give the store the CSV reader makes of the same rows (which
    /// goes through the builder's chunk path), with and without a customer filter.
    func testRowByRowEqualsTheCSVReader() throws {
        var rows: [(customer: String, time: String, event: String, amount: Float)] = []
        for i in 0..<3000 {
            rows.append(("u\((i * 7919) % 211)", "2024-01-\(String(format: "%02d", 1 + i % 28))T00:00:\(String(format: "%02d", i % 60))Z",
                         "e\(i % 5)", Float(i % 7) / 4))
        }
        rows.append(("latest", "2024-03-01T00:00:00Z", "e1", 1))
        let text = "customer_id,timestamp,event,amount\n" + rows.map { "\($0.customer),\($0.time),\($0.event),\($0.amount)" }.joined(separator: "\n")
        for filter in [nil, CustomerSharding.filter(shard: 1, count: 3)] {
            var reader = CSVEventReader(options: LoadOptions(columns: ColumnMapping(values: ["amount"]), threads: 2,
                                                             chunkSize: 4096, customerFilter: filter))
            try reader.add(source: MemoryByteSource(text), name: "t.csv")
            let (expected, report) = try reader.finish()
            var builder = EventStoreBuilder(valueColumns: ["amount"], customerFilter: filter)
            var kept = 0
            for row in rows where builder.append(customer: row.customer, time: Timestamp.parse(row.time)!, event: row.event, values: [row.amount]) {
                kept += 1
            }
            let store = try builder.finish()
            XCTAssertEqual(kept, report.rowsLoaded)
            XCTAssertEqual(builder.eventCount, report.rowsLoaded)
            XCTAssertEqual(builder.rowsOutsideFilter, report.rowsOutsideFilter)
            XCTAssertEqual(store.customerIDs, expected.customerIDs)
            XCTAssertEqual(store.eventNames, expected.eventNames)
            XCTAssertEqual(store.offsets, expected.offsets)
            XCTAssertEqual(store.times, expected.times)
            XCTAssertEqual(store.events, expected.events)
            XCTAssertEqual(store.values, expected.values)
            XCTAssertEqual(store.latestTime, expected.latestTime)
            XCTAssertEqual(Timestamp.format(store.latestTime), "2024-03-01T00:00:00Z")
        }
    }

    /// Customers noted in bad rows are dropped when they have no event, and only those the
    /// filter keeps are named.
    func testDroppedCustomersAreThoseWithOnlyBadRows() throws {
        var builder = EventStoreBuilder()
        builder.append(customer: "a", time: 0, event: "x")
        for id in ["a", "zz", "b"] { builder.noteBadRow(customer: id) }
        XCTAssertEqual(builder.droppedCustomers(in: try builder.finish()), ["b", "zz"])
        var filtered = EventStoreBuilder(customerFilter: { $0.first != UInt8(ascii: "z") })
        for id in ["zz", "b"] { filtered.noteBadRow(customer: id) }
        XCTAssertFalse(filtered.append(customer: "zq", time: 5, event: "x"))
        XCTAssertTrue(filtered.append(customer: "c", time: 1, event: "x"))
        let store = try filtered.finish()
        XCTAssertEqual(filtered.droppedCustomers(in: store), ["b"])
        XCTAssertEqual(store.customerIDs, ["c"])
        XCTAssertEqual(store.latestTime, 5)
        XCTAssertEqual(filtered.rowsOutsideFilter, 1)
    }
}

final class EventStoreTests: XCTestCase {
    /// Grouping many customers (the parallel path) equals a reference stable sort by (customer, time).
    func testGroupingMatchesAStableSort() {
        var state: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let n = 60_000, customerCount = 5000
        let customers = (0..<n).map { _ in Int32(next(customerCount)) }
        let times = (0..<n).map { _ in Int64(next(50)) * 1_000_000 }   // many ties
        let events = (0..<n).map { Int32($0 % 7) }
        let amounts = (0..<n).map { Float($0) }
        let store = EventStore(customerIDs: (0..<customerCount).map { "c\($0)" }, eventNames: (0..<7).map { "e\($0)" },
                               valueColumns: ["amount"], customers: customers, times: times, events: events, values: [amounts])
        let order = (0..<n).sorted { (customers[$0], times[$0], $0) < (customers[$1], times[$1], $1) }
        XCTAssertEqual(store.times, order.map { times[$0] })
        XCTAssertEqual(store.events, order.map { events[$0] })
        XCTAssertEqual(store.values[0], order.map { amounts[$0] })
        for c in [0, 17, 4999] {
            XCTAssertEqual(store.eventRange(of: c).count, customers.filter { $0 == Int32(c) }.count)
        }
        XCTAssertEqual(store.latestTime, times.max())
    }
}

final class ByteInternerTests: XCTestCase {
    /// The branch-free partial loads read exactly bytes 0..<count, little-endian, zero padded.
    func testPartialLoadsEqualTheBytes() {
        let bytes: [UInt8] = [0x01, 0xFF, 0x80, 0x2C, 0x0A, 0x7F, 0x00, 0xEE, 0x42]
        bytes.withUnsafeBufferPointer { b in
            for start in 0..<2 {
                for count in 0...8 where start + count <= b.count {
                    var expected: UInt64 = 0
                    for k in 0..<count { expected |= UInt64(b[start + k]) << UInt64(8 * k) }
                    XCTAssertEqual(ByteInterner.loadPartial(b.baseAddress! + start, count), expected, "start \(start) count \(count)")
                }
            }
        }
    }

    /// Ids are text: valid UTF-8 without NUL, at every length and position of the offending byte.
    func testIsTextFindsNULAndInvalidUTF8AtEveryPosition() {
        func check(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { ParsedChunk.isText($0) } }
        XCTAssertTrue(check([]))
        for length in 1...20 {
            XCTAssertTrue(check([UInt8](repeating: 0x01, count: length)))
            XCTAssertTrue(check(Array(String(repeating: "é", count: length).utf8)))
            for position in 0..<length {
                var bytes = [UInt8](repeating: 0x61, count: length)
                bytes[position] = 0x00
                XCTAssertFalse(check(bytes), "NUL at \(position) of \(length)")
                bytes[position] = 0x80                      // a lone continuation byte
                XCTAssertFalse(check(bytes), "0x80 at \(position) of \(length)")
                bytes[position] = 0x7F
                XCTAssertTrue(check(bytes))
            }
        }
    }

    /// Keys of every length up to 24 that differ in a single byte are told apart.
    func testKeysDifferingInOneByteAtEveryLength() {
        var interner = ByteInterner(initialCapacity: 4)
        var seen = Set<Int32>()
        for length in 0...24 {
            for position in 0..<max(1, length) {
                var key = [UInt8](repeating: 0x61, count: length)
                if length > 0 { key[position] = 0x62 }
                let code = key.withUnsafeBufferPointer { interner.intern($0) }
                XCTAssertEqual(key.withUnsafeBufferPointer { interner.lookup($0) }, code)
                seen.insert(code)
            }
        }
        XCTAssertEqual(seen.count, 1 + (1...24).reduce(0, +))
        XCTAssertEqual(interner.count, seen.count)
    }

    func testInternsInFirstAppearanceOrderAcrossGrowth() {
        var interner = ByteInterner(initialCapacity: 4)
        let ids = (0..<5000).map { "id-\($0 * 7919 % 5000)" } + ["", "a", "id-1"]
        var codes: [Int32] = []
        for id in ids { var s = id; codes.append(s.withUTF8 { interner.intern($0) }) }
        XCTAssertEqual(interner.count, 5002)
        XCTAssertEqual(Array(codes.prefix(5000)), (0..<5000).map { Int32($0) })
        XCTAssertEqual(codes[5000...].map { $0 }, [5000, 5001, codes[ids.firstIndex(of: "id-1")!]])
        XCTAssertEqual(interner.strings.prefix(3), ["id-0", "id-2919", "id-838"])
        var missing = "nope"
        XCTAssertNil(missing.withUTF8 { interner.lookup($0) })
        var present = "id-42"
        XCTAssertEqual(present.withUTF8 { interner.lookup($0) }.map { interner.strings[Int($0)] }, "id-42")
        // Keys longer than the 16 inline bytes, differing only after byte 16, and of 16 exactly.
        let long = (0..<300).map { "0123456789abcdef-\($0)" } + ["0123456789abcdef", "0123456789abcde"]
        let longCodes = long.map { id -> Int32 in var s = id; return s.withUTF8 { interner.intern($0) } }
        XCTAssertEqual(Set(longCodes).count, long.count)
        for (id, code) in zip(long, longCodes) {
            var s = id
            XCTAssertEqual(s.withUTF8 { interner.lookup($0) }, code)
        }
        XCTAssertEqual(interner.strings.suffix(2), ["0123456789abcdef", "0123456789abcde"])
    }
}
