import Features
import Snapshots
import EventLog
import ChurnSupport
import Foundation
import XCTest

/// Customer attributes: read from the log as of the cutoff (never a value first written at or
/// after it) or from a customer table, typed, folded into `<other>`, and encoded the same way
/// on the LSTM's cutoff step, in XGBoost's table and for the logistic baselines.
final class AttributeTests: XCTestCase {
    let cutoff = Timestamp.parse("2024-03-01")!

    /// Loads CSV text with attribute columns.
    func load(_ text: String, attributes: [String], kinds: [String: AttributeKind] = [:], strict: Bool = false,
              threads: Int = 1, chunkSize: Int = 4 << 20) throws -> (EventStore, LoadReport) {
        var reader = CSVEventReader(options: LoadOptions(attributeColumns: attributes, attributeKinds: kinds, strict: strict,
                                                         threads: threads, chunkSize: chunkSize))
        try reader.add(source: MemoryByteSource(text), name: "log.csv")
        return try reader.finish()
    }

    func rows(_ store: EventStore, at time: Int64? = nil) -> [SnapshotRow] {
        let t = time ?? cutoff
        return (0..<store.customerCount).map {
            SnapshotRow(customer: Int32($0), historyEnd: store.historyEnd(of: $0, before: t), cutoff: t, label: nil)
        }
    }

    /// The value of attribute `name` for customer `id` as of `cutoff`, as text.
    func value(_ store: EventStore, _ name: String, _ id: String, at time: Int64? = nil) -> String? {
        let c = store.customerIndex(of: id)!
        let a = store.attributeIndex(of: name)!
        let code = store.attributeCode(a, customer: c, historyEnd: store.historyEnd(of: c, before: time ?? cutoff))
        return code < 0 ? nil : store.attributes[a].values[Int(code)]
    }

    let log = """
    customer_id,timestamp,event,plan,seats
    a,2024-01-10,login,basic,3
    a,2024-02-01,upgrade,pro,
    a,2024-02-20,login,,5
    a,2024-03-01,downgrade,basic,9
    b,2024-02-05,login,,
    b,2024-03-02,login,premium,7
    c,2024-01-02,login,pro,2

    """

    func testValuesAreTheLatestNonEmptyOneStrictlyBeforeTheCutoff() throws {
        let (store, _) = try load(log, attributes: ["plan", "seats"])
        XCTAssertEqual(store.attributes.map(\.kind), [.categorical, .numeric])
        XCTAssertEqual(store.attributes.map(\.source), [.eventLog, .eventLog])
        // a: the downgrade at the cutoff itself is not history; the empty plan of 02-20 does not overwrite 'pro'.
        XCTAssertEqual(value(store, "plan", "a"), "pro")
        XCTAssertEqual(value(store, "seats", "a"), "5")
        // b: its only value before the cutoff is empty; 'premium' comes a day after it.
        XCTAssertNil(value(store, "plan", "b"))
        XCTAssertNil(value(store, "seats", "b"))
        XCTAssertEqual(value(store, "plan", "b", at: Timestamp.parse("2024-03-03")!), "premium")
        XCTAssertEqual(value(store, "plan", "a", at: Timestamp.parse("2024-03-02")!), "basic")
        XCTAssertEqual(value(store, "plan", "c"), "pro")
        // Before any event: missing.
        XCTAssertNil(value(store, "plan", "a", at: Timestamp.parse("2024-01-01")!))
    }

    func testTheResultDoesNotDependOnChunksOrThreads() throws {
        var text = "customer_id,timestamp,event,plan\n"
        for i in 0..<3000 { text += "c\(i % 97),2024-01-\(String(format: "%02d", 1 + i % 28)),e\(i % 5),p\(i % 13)\(i % 7 == 0 ? "" : "x")\n" }
        let (one, _) = try load(text, attributes: ["plan"])
        let (many, _) = try load(text, attributes: ["plan"], threads: 2, chunkSize: 512)
        XCTAssertEqual(one.attributes, many.attributes)
        XCTAssertEqual(one.attributes[0].values.count, 26)
    }

    func testMixedColumnsAreRefusedWithTheLineUnlessDeclared() throws {
        let text = "customer_id,timestamp,event,tier\na,2024-01-01,x,1\na,2024-01-02,x,2\nb,2024-01-03,x,gold\n"
        guard case .mixedAttribute(let path, let line, let reason)? = assertEventLogError(try load(text, attributes: ["tier"])) else { return }
        XCTAssertEqual(path, "log.csv")
        XCTAssertEqual(line, 4)
        XCTAssertTrue(reason.contains("'gold'") && reason.contains("log.csv:2") && reason.contains("--categorical tier"), reason)
        // Declared categorical: numbers are categories.
        let (store, _) = try load(text, attributes: ["tier"], kinds: ["tier": .categorical])
        XCTAssertEqual(store.attributes[0].kind, .categorical)
        XCTAssertEqual(store.attributes[0].values, ["1", "2", "gold"])
        // Declared numeric: the text row is bad (counted, with its line), the others are kept.
        let (numeric, report) = try load(text, attributes: ["tier"], kinds: ["tier": .numeric])
        XCTAssertEqual(numeric.attributes[0].numbers, [1, 2])
        XCTAssertEqual(report.badRowCounts[.badNumber], 1)
        XCTAssertEqual(report.samples.first?.line, 4)
        XCTAssertEqual(numeric.eventCount, 2)
        // Under --strict the bad row stops the load.
        XCTAssertNotNil(assertEventLogError(try load(text, attributes: ["tier"], kinds: ["tier": .numeric], strict: true)))
    }

    func testAMissingAttributeColumnIsNamed() {
        guard case .missingColumn(_, let column, _)? = assertEventLogError(try load(log, attributes: ["country"])) else { return }
        XCTAssertEqual(column, "country")
    }

    func testCustomerTableJoinsPerCustomer() throws {
        let (store, _) = try load(log, attributes: ["plan"])
        let table = try CustomerTable.parse(source: MemoryByteSource("customer_id,channel,size\na,ads,10\nc,organic,\nz,ads,3\n"),
                                            name: "customers.csv")
        let (joined, unlisted) = try store.adding(table)
        XCTAssertEqual(unlisted, 1, "b is not in the table")
        XCTAssertEqual(joined.attributes.map(\.name), ["plan", "channel", "size"])
        XCTAssertEqual(joined.attributes.map(\.source), [.eventLog, .customerTable, .customerTable])
        XCTAssertEqual(value(joined, "channel", "a"), "ads")
        XCTAssertEqual(value(joined, "channel", "a", at: Timestamp.parse("2000-01-01")!), "ads", "static: the same at every cutoff")
        XCTAssertNil(value(joined, "channel", "b"))
        XCTAssertNil(value(joined, "size", "c"))
        XCTAssertEqual(joined.attributes[2].numbers, [10])
        XCTAssertEqual(joined.eventCount, store.eventCount)
        // A table column named like a log attribute is refused.
        let clash = try CustomerTable.parse(source: MemoryByteSource("customer_id,plan\na,x\n"), name: "t.csv")
        XCTAssertNotNil(assertEventLogError(try store.adding(clash)))
        // The id column may be named as the log's; a selected column must exist.
        let renamed = try CustomerTable.parse(source: MemoryByteSource("user_id,channel\na,ads\n"), name: "t.csv",
                                              customerColumns: ["user_id", "customer_id"])
        XCTAssertEqual(renamed.rows["a"], [.category("ads")])
        guard case .missingColumn(_, let column, _)? = assertEventLogError(
            try CustomerTable.parse(source: MemoryByteSource("customer_id,channel\na,ads\n"), name: "t.csv", attributes: ["size"])) else { return }
        XCTAssertEqual(column, "size")
    }

    /// A store of `n` customers whose `plan` is `p<k>` with frequencies that make folding visible.
    func planStore() throws -> EventStore {
        var text = "customer_id,timestamp,event,plan,seats\n"
        let plans = Array(repeating: "basic", count: 12) + Array(repeating: "pro", count: 10) + Array(repeating: "rare", count: 3)
        for (i, plan) in plans.enumerated() {
            text += "u\(i),2024-02-01,login,\(plan),\(i % 5 == 0 ? "" : String(i))\n"
        }
        text += "u_missing,2024-02-01,login,,4\n"
        text += "u_late,2024-02-01,login,,1\nu_late,2024-03-05,login,basic,1\n"
        return try load(text, attributes: ["plan", "seats"]).0
    }

    func testFitFoldsRareCategoriesAndEncodesEveryCase() throws {
        let store = try planStore()
        let spec = try AttributeSpec.fit(store: store, rows: rows(store), minCount: 10)
        XCTAssertEqual(spec.attributes.map(\.name), ["plan", "seats"])
        XCTAssertEqual(spec.attributes[0].categories, ["basic", "pro"], "'rare' (3 rows) folds into <other>")
        XCTAssertEqual(spec.inputNames, ["attribute_plan=basic", "attribute_plan=pro", "attribute_plan=<other>",
                                         "attribute_plan=<missing>", "attribute_seats", "attribute_seats_missing"])
        // The mean of the present seats as of the cutoff.
        var present: [Double] = []
        for i in 0..<25 where i % 5 != 0 { present.append(Double(i)) }
        present += [4, 1]
        XCTAssertEqual(spec.attributes[1].mean, present.reduce(0, +) / Double(present.count), accuracy: 1e-9)
        XCTAssertNil(spec.inconsistency)

        let encoder = AttributeEncoder(spec: spec, store: store)
        func encoded(_ id: String, _ reader: AttributeEncoder.Reader = .standardizing) -> [Float] {
            let c = store.customerIndex(of: id)!
            let row = SnapshotRow(customer: Int32(c), historyEnd: store.historyEnd(of: c, before: cutoff), cutoff: cutoff, label: nil)
            var out = [Float](repeating: -7, count: encoder.width)
            out.withUnsafeMutableBufferPointer { encoder.encode(row, into: $0.baseAddress!, for: reader) }
            return out
        }
        XCTAssertEqual(encoded("u1"), [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(encoded("u12"), [0, 1, 0, 0, 12, 0])
        XCTAssertEqual(encoded("u22"), [0, 0, 1, 0, 22, 0], "rare → <other>")
        let mean = Float(spec.attributes[1].mean)
        XCTAssertEqual(encoded("u0"), [1, 0, 0, 0, mean, 1], "missing number → the mean and the flag")
        XCTAssertEqual(encoded("u_missing"), [0, 0, 0, 1, 4, 0])
        XCTAssertEqual(encoded("u_late"), [0, 0, 0, 1, 1, 0], "'basic' is written after the cutoff: missing")
        let nan = encoded("u0", .trees)
        XCTAssertTrue(nan[4].isNaN)
        XCTAssertEqual(nan[5], 1)
        // Fitting sees only the rows' as-of values: u_late's 'basic' is not counted.
        let onlyLate = try AttributeSpec.fit(store: store, rows: rows(store).filter { store.customerIDs[Int($0.customer)] == "u_late" }, minCount: 1)
        XCTAssertEqual(onlyLate.attributes[0].categories, [])
        XCTAssertEqual(onlyLate.attributes[1].mean, 1)
    }

    func testSkewedNumbersAreReadOnALogScaleExceptByTrees() throws {
        var text = "customer_id,timestamp,event,size,age\n"
        let sizes = [1, 2, 2, 3, 3, 4, 5, 8, 12, 40, 300, 5000]
        for (i, size) in sizes.enumerated() { text += "u\(i),2024-02-01,login,\(size),\(30 + i)\n" }
        text += "u_none,2024-02-01,login,,\n"
        let (store, _) = try load(text, attributes: ["size", "age"])
        let spec = try AttributeSpec.fit(store: store, rows: rows(store), minCount: 1)
        XCTAssertEqual(spec.attributes.map(\.logScale), [true, false], "size is skewed, age is not")
        let logs = sizes.map { Foundation.log1p(Double($0)) }
        XCTAssertEqual(spec.attributes[0].mean, logs.reduce(0, +) / Double(logs.count), accuracy: 1e-12)
        XCTAssertEqual(spec.attributes[1].mean, 35.5, accuracy: 1e-12)
        let encoder = AttributeEncoder(spec: spec, store: store)
        func encoded(_ id: String, _ reader: AttributeEncoder.Reader) -> [Float] {
            let row = rows(store)[store.customerIndex(of: id)!]
            var out = [Float](repeating: -7, count: encoder.width)
            out.withUnsafeMutableBufferPointer { encoder.encode(row, into: $0.baseAddress!, for: reader) }
            return out
        }
        XCTAssertEqual(encoded("u10", .standardizing), [Float(Foundation.log1p(300.0)), 0, 40, 0])
        XCTAssertEqual(encoded("u10", .trees), [300, 0, 40, 0])
        XCTAssertEqual(encoded("u_none", .standardizing), [Float(spec.attributes[0].mean), 1, 35.5, 1])
        // A negative value keeps the linear scale.
        let (signed, _) = try load(text.replacingOccurrences(of: "u0,2024-02-01,login,1,", with: "u0,2024-02-01,login,-1,"),
                                   attributes: ["size", "age"])
        XCTAssertFalse(try AttributeSpec.fit(store: signed, rows: rows(signed), minCount: 1).attributes[0].logScale)
    }

    func testUnseenCategoriesMapToOtherInAnotherStore() throws {
        let store = try planStore()
        let spec = try AttributeSpec.fit(store: store, rows: rows(store), minCount: 10)
        let (scoring, _) = try load("customer_id,timestamp,event,plan,seats\nq,2024-02-01,login,enterprise,3\nr,2024-02-01,login,pro,\n",
                                    attributes: ["plan", "seats"])
        let encoder = AttributeEncoder(spec: spec, store: scoring)
        let out = rows(scoring).map { row -> [Float] in
            var x = [Float](repeating: 0, count: encoder.width)
            x.withUnsafeMutableBufferPointer { encoder.encode(row, into: $0.baseAddress!, for: .standardizing) }
            return x
        }
        XCTAssertEqual(out[0], [0, 0, 1, 0, 3, 0])
        XCTAssertEqual(out[1], [0, 1, 0, 0, Float(spec.attributes[1].mean), 1])
        // A store without the attribute, or with another kind, is named.
        let (bare, _) = try load("customer_id,timestamp,event\nq,2024-02-01,login\n", attributes: [])
        XCTAssertEqual(spec.missing(in: bare)?.contains("'plan'"), true)
        let (asNumbers, _) = try load("customer_id,timestamp,event,plan,seats\nq,2024-02-01,login,1,3\n", attributes: ["plan", "seats"])
        XCTAssertEqual(spec.missing(in: asNumbers)?.contains("numeric"), true)
        XCTAssertNil(spec.missing(in: scoring))
    }

    /// The point-in-time property end to end: a value first written at or after the cutoff never
    /// changes the LSTM's features, XGBoost's table or the baselines' inputs.
    func testValuesAfterTheCutoffNeverReachAFeature() throws {
        let base = """
        customer_id,timestamp,event,amount,plan,seats
        a,2024-01-10,login,0,basic,3
        a,2024-02-20,pay,10,,
        b,2024-02-01,login,0,pro,8
        b,2024-02-25,login,0,pro,
        c,2024-02-11,pay,5,,

        """
        let later = base + """
        a,2024-03-01,upgrade,0,premium,40
        b,2024-03-01 00:00:01,login,0,basic,1
        c,2024-03-09,login,0,pro,2
        d,2024-03-02,login,0,basic,2

        """
        func load(_ text: String) throws -> EventStore {
            var reader = CSVEventReader(options: LoadOptions(columns: ColumnMapping(values: ["amount"]), attributeColumns: ["plan", "seats"]))
            try reader.add(source: MemoryByteSource(text), name: "log.csv")
            return try reader.finish().store
        }
        let before = try load(base), after = try load(later)
        let trainRows = rows(before)
        let attributes = try AttributeSpec.fit(store: before, rows: trainRows, minCount: 1)
        XCTAssertEqual(try AttributeSpec.fit(store: after, rows: rows(after).filter { after.customerIDs[Int($0.customer)] != "d" }, minCount: 1), attributes, "fitting ignores values after the cutoff")
        let spec = try FeatureSpec.fit(store: before, rows: trainRows, attributes: attributes)
        let tabular = try TabularSpec.fit(store: before, rows: trainRows, attributes: attributes)
        for id in ["a", "b", "c"] {
            let r0 = rows(before)[before.customerIndex(of: id)!], r1 = rows(after)[after.customerIndex(of: id)!]
            XCTAssertEqual(Featurizer(spec: spec, store: before).featurize(r0), Featurizer(spec: spec, store: after).featurize(r1), id)
            let x0 = TabularFeaturizer(spec: tabular, store: before).features([r0])
            let x1 = TabularFeaturizer(spec: tabular, store: after).features([r1])
            XCTAssertEqual(x0.map(\.bitPattern), x1.map(\.bitPattern), id)
        }
        // And the values do reach the features: the cutoff step holds the one-hot plan.
        let f = Featurizer(spec: spec, store: before).featurize(rows(before)[0])
        let names = spec.numericFeatureNames
        let last = Array(f.numeric.suffix(spec.featureCount))
        let basic = names.firstIndex(of: "attribute_plan=basic")!, pro = names.firstIndex(of: "attribute_plan=pro")!
        XCTAssertGreaterThan(last[basic], last[pro], "a is on basic")
        XCTAssertEqual(spec.numericFeatures[basic].scope, .cutoff)
        // Event steps carry no attribute input.
        let firstStep = Array(f.numeric.prefix(spec.featureCount))
        XCTAssertEqual(firstStep[basic], 0)
        // XGBoost sees the raw encoding, NaN for a missing number.
        let x = TabularFeaturizer(spec: tabular, store: before).features(rows(before))
        let columns = tabular.featureNames
        let seats = columns.firstIndex(of: "attribute_seats")!
        XCTAssertEqual(x[seats], 3)
        XCTAssertTrue(x[2 * columns.count + seats].isNaN, "c has no seats")
        XCTAssertEqual(x[columns.count + seats], 8, "b: the latest non-empty value")
    }

    func testSpecsRoundTripAndOldSpecsDecodeWithoutAttributes() throws {
        let store = try planStore()
        let attributes = try AttributeSpec.fit(store: store, rows: rows(store), minCount: 10)
        let spec = try FeatureSpec.fit(store: store, rows: rows(store), attributes: attributes)
        let decoded = try JSONDecoder().decode(FeatureSpec.self, from: try JSONEncoder().encode(spec))
        XCTAssertEqual(decoded, spec)
        XCTAssertNil(decoded.inconsistency)
        // A spec written before attributes existed has no `attributes` key.
        var json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(try FeatureSpec.fit(store: store, rows: rows(store)))) as! [String: Any]
        json.removeValue(forKey: "attributes")
        let old = try JSONDecoder().decode(FeatureSpec.self, from: try JSONSerialization.data(withJSONObject: json))
        XCTAssertEqual(old.attributes, .none)
        XCTAssertNil(old.inconsistency)
        // A tampered attribute list no longer matches the feature names.
        var tampered = spec
        tampered.attributes.attributes[0].categories.append("gold")
        XCTAssertNotNil(tampered.inconsistency)
        var reserved = spec
        reserved.attributes.attributes[0].categories[0] = AttributeSpec.otherCategory
        XCTAssertNotNil(reserved.attributes.inconsistency)
    }
}

/// Asserts that `body` throws an `EventLogError` and returns it.
private func assertEventLogError<T>(_ body: @autoclosure () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> EventLogError? {
    do {
        _ = try body()
        XCTFail("expected an EventLogError", file: file, line: line)
    } catch let error as EventLogError {
        return error
    } catch {
        XCTFail("expected an EventLogError, got \(error)", file: file, line: line)
    }
    return nil
}
