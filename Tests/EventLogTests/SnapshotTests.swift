import Features
import Snapshots
import XCTest
@testable import EventLog

final class SnapshotTests: XCTestCase {
    let day = Timestamp.microsecondsPerDay
    /// a: active throughout; b: silent after day 5; c: cancels on day 12; d: cancelled on day 3
    /// and active again; e: first event on day 11 (no history at cutoff day 10).
    let log = """
    customer_id,timestamp,event
    a,2024-01-01,view
    a,2024-01-09,view
    a,2024-01-12,buy
    a,2024-01-25,view
    b,2024-01-02,view
    b,2024-01-05,buy
    c,2024-01-03,view
    c,2024-01-12,cancel
    d,2024-01-03,cancel
    d,2024-01-13,view
    e,2024-01-11,view

    """

    func snapshot(_ store: EventStore, _ cutoff: String, _ options: SnapshotOptions, _ labels: LabelSource = .window) -> [String: Bool?] {
        let s = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse(cutoff)!, options: options, labels: labels)
        return Dictionary(uniqueKeysWithValues: s.rows.map { (store.customerIDs[Int($0.customer)], $0.label) })
    }

    func testInactivityDefinition() throws {
        let (store, _) = try loadText(log)
        let labels = snapshot(store, "2024-01-10", SnapshotOptions(horizon: .days(5)))
        // Window [01-10, 01-15): a buys on 12, b silent, c cancels on 12 (an event), d views on 13.
        XCTAssertEqual(labels, ["a": false, "b": true, "c": false, "d": false])
        // The window end is exclusive: an event exactly at cutoff + horizon does not count.
        let edge = snapshot(store, "2024-01-08", SnapshotOptions(horizon: .days(1)))
        XCTAssertEqual(edge["a"], true)
        let onCutoff = snapshot(store, "2024-01-09", SnapshotOptions(horizon: .days(1)))
        XCTAssertEqual(onCutoff["a"], false)   // the event at the cutoff is in the window, not the history
    }

    func testChurnEventDefinition() throws {
        let (store, _) = try loadText(log)
        let s = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-10")!,
                                     options: SnapshotOptions(horizon: .days(5), definition: .event("cancel")))
        let labels = Dictionary(uniqueKeysWithValues: s.rows.map { (store.customerIDs[Int($0.customer)], $0.label) })
        // d already cancelled in its history: left out. c cancels in the window.
        XCTAssertEqual(labels, ["a": false, "b": false, "c": true])
        XCTAssertEqual(s.excludedAlreadyChurned, 1)
        XCTAssertEqual(s.summaryLine, "cutoff 2024-01-10T00:00:00Z, horizon 5d, churn event:cancel, 3 customers, churn rate 0.3333, 1 already churned left out")
        let unknown = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-10")!,
                                           options: SnapshotOptions(horizon: .days(5), definition: .event("nope")))
        XCTAssertTrue(unknown.warnings.contains { $0.contains("'nope'") })
    }

    func testActiveWithin() throws {
        let (store, _) = try loadText(log)
        let s = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-10")!,
                                     options: SnapshotOptions(horizon: .days(5), activeWithin: .days(6)))
        // Active in [01-04, 01-10): a (01-09) and b (01-05); not c (01-03) nor d (01-03).
        XCTAssertEqual(s.rows.map { store.customerIDs[Int($0.customer)] }, ["a", "b"])
        XCTAssertEqual(s.excludedInactive, 2)
    }

    func testExternalLabels() throws {
        let (store, _) = try loadText(log)
        let labels = try ExternalLabels.parse(source: MemoryByteSource("customer_id,churned\na,1\nb,0\nzz,1\nc,true\n"), name: "labels.csv")
        let s = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-10")!,
                                     options: SnapshotOptions(horizon: .days(5)), labels: .external(labels))
        let got = Dictionary(uniqueKeysWithValues: s.rows.map { (store.customerIDs[Int($0.customer)], $0.label) })
        XCTAssertEqual(got, ["a": true, "b": false, "c": true])
        XCTAssertEqual(s.excludedUnlabelled, 1)   // d
        XCTAssertFalse(s.censored)
        XCTAssertEqual(s.warnings.count, 2)

        let bad = assertEventLogError(try ExternalLabels.parse(source: MemoryByteSource("customer_id,churned\na,2\n"), name: "l.csv"))
        XCTAssertEqual(bad, .badLabel(path: "l.csv", line: 2, reason: "label '2' is not 0 or 1"))
        let missing = assertEventLogError(try ExternalLabels.parse(source: MemoryByteSource("id,churned\na,1\n"), name: "l.csv"))
        XCTAssertEqual(missing, .missingColumn(path: "l.csv", column: "customer_id", header: ["id", "churned"]))
    }

    func testSeveralSnapshotsDefaultsAndCensoring() throws {
        let (store, _) = try loadText(log)
        let horizon = TimeSpan.days(5)
        let cutoff = SnapshotBuilder.defaultCutoff(store: store, horizon: horizon)
        XCTAssertEqual(Timestamp.format(cutoff), "2024-01-20T00:00:00Z")
        XCTAssertEqual(Timestamp.format(SnapshotBuilder.defaultAsOf(store: store)), "2024-01-26T00:00:00Z")
        let cutoffs = try SnapshotBuilder.cutoffs(latest: cutoff, count: 3, every: .days(5))
        XCTAssertEqual(cutoffs.map(Timestamp.formatDate), ["2024-01-20", "2024-01-15", "2024-01-10"])
        let snapshots = try SnapshotBuilder.make(store: store, cutoffs: cutoffs, options: SnapshotOptions(horizon: horizon))
        XCTAssertEqual(snapshots.map(\.rows.count), [5, 5, 4])
        XCTAssertTrue(snapshots.allSatisfy { !$0.censored })
        // a's event on 01-25 is exactly at the window end [01-20, 01-25): not in the window.
        XCTAssertEqual(snapshots[0].rows.first { store.customerIDs[Int($0.customer)] == "a" }?.label, true)
        XCTAssertEqual(snapshots[1].rows.first { store.customerIDs[Int($0.customer)] == "a" }?.label, true)
        XCTAssertEqual(snapshots[2].rows.first { store.customerIDs[Int($0.customer)] == "a" }?.label, false)
        XCTAssertTrue(snapshots.allSatisfy { s in s.rows.allSatisfy { $0.cutoff == s.cutoff } })

        let late = SnapshotBuilder.make(store: store, cutoff: cutoff + day, options: SnapshotOptions(horizon: horizon))
        XCTAssertTrue(late.censored)
        XCTAssertTrue(late.warnings[0].contains("censored"))
        let unlabelled = SnapshotBuilder.make(store: store, cutoff: cutoff + day, options: SnapshotOptions(horizon: horizon), labels: .none)
        XCTAssertFalse(unlabelled.censored)
        XCTAssertTrue(unlabelled.rows.allSatisfy { $0.label == nil })

        XCTAssertThrowsError(try SnapshotBuilder.cutoffs(latest: cutoff, count: 0, every: .days(1)))
        XCTAssertThrowsError(try SnapshotBuilder.cutoffs(latest: cutoff, count: 1_000_000_000, every: .weeks(1000)))
        XCTAssertThrowsError(try SnapshotBuilder.make(store: store, cutoffs: [Timestamp.parse("2023-01-01")!], options: SnapshotOptions(horizon: horizon)))
    }

    func testChurnDefinitionCodable() throws {
        for d in [ChurnDefinition.inactivity, .event("cancel")] {
            let data = try JSONEncoder().encode(d)
            XCTAssertEqual(try JSONDecoder().decode(ChurnDefinition.self, from: data), d)
        }
    }
}

final class ShardingAndConfigTests: XCTestCase {
    func testShardsAreStableAndCoverEveryoneOnce() throws {
        XCTAssertEqual(CustomerSharding.stableHash(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(CustomerSharding.stableHash("a"), 0xAF63_DC4C_8601_EC8C)   // FNV-1a reference value
        var text = "customer_id,timestamp,event\n"
        for i in 0..<200 { text += "u\(i),2024-01-01,x\n" }
        let (store, _) = try loadText(text)
        let rows = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-02-01")!,
                                        options: SnapshotOptions(horizon: .days(1)), labels: .none).rows
        let shards = (0..<3).map { shard in
            rows.filter { CustomerSharding.shard(of: store.customerIDs[Int($0.customer)], count: 3) == shard }
        }
        XCTAssertEqual(shards.map(\.count).reduce(0, +), 200)
        XCTAssertEqual(Set(shards.flatMap { $0.map(\.customer) }).count, 200)
        XCTAssertTrue(shards.allSatisfy { $0.count > 40 })
    }

    /// Loading with a shard filter keeps exactly that shard's customers, each with the events it
    /// has in the full load (across chunks and batches on two threads), keeps the full log's
    /// latest time, and names only the shard's customers that had nothing but bad rows.
    func testLoaderShardFilterKeepsOneShardWithTheFullLogsLatestTime() throws {
        var text = "customer_id,timestamp,event,amount\n"
        for i in 0..<3000 {
            let c = (i * 7919) % 211
            text += "u\(c),2024-01-\(String(format: "%02d", 1 + i % 28))T00:00:\(String(format: "%02d", i % 60))Z,e\(i % 5),\(i % 3)\n"
        }
        text += "latest,2024-03-01,e1,1\n"
        for bad in ["b1", "b2", "b3", "b4", "b5", "b6"] { text += "\(bad),not-a-time,e1,1\n" }
        func load(_ filter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?) throws -> (EventStore, LoadReport) {
            var loader = CSVEventReader(options: LoadOptions(columns: ColumnMapping(values: ["amount"]), threads: 2,
                                                             chunkSize: 4096, customerFilter: filter))
            try loader.add(source: MemoryByteSource(text), name: "t.csv")
            return try loader.finish()
        }
        let (full, fullReport) = try load(nil)
        var kept: [String] = [], dropped: [String] = []
        var loaded = 0
        for shard in 0..<3 {
            let (store, report) = try load(CustomerSharding.filter(shard: shard, count: 3))
            XCTAssertTrue(store.customerIDs.allSatisfy { CustomerSharding.shard(of: $0, count: 3) == shard })
            XCTAssertEqual(store.latestTime, full.latestTime, "the default as-of must not depend on the shard")
            for (c, id) in store.customerIDs.enumerated() {
                let f = Int(try XCTUnwrap(full.customerIndex(of: id)))
                let mine = store.offsets[c] ..< store.offsets[c + 1], theirs = full.offsets[f] ..< full.offsets[f + 1]
                XCTAssertEqual(mine.map { store.times[$0] }, theirs.map { full.times[$0] }, id)
                XCTAssertEqual(mine.map { store.eventNames[Int(store.events[$0])] }, theirs.map { full.eventNames[Int(full.events[$0])] }, id)
                XCTAssertEqual(mine.map { store.values[0][$0] }, theirs.map { full.values[0][$0] }, id)
            }
            XCTAssertEqual(report.rowsLoaded + report.rowsOutsideFilter, fullReport.rowsLoaded)
            XCTAssertEqual(report.badRows, fullReport.badRows)
            XCTAssertTrue(report.droppedCustomers.allSatisfy { CustomerSharding.shard(of: $0, count: 3) == shard })
            kept += store.customerIDs
            dropped += report.droppedCustomers
            loaded += report.rowsLoaded
        }
        XCTAssertEqual(kept.sorted(), full.customerIDs.sorted())
        XCTAssertEqual(dropped.sorted(), fullReport.droppedCustomers)
        XCTAssertEqual(loaded, fullReport.rowsLoaded)
        XCTAssertEqual(fullReport.droppedCustomers.count, 6)
    }

    func testDataConfigRoundTrips() throws {
        let spec = FeatureSpec(vocabulary: ["view", "buy"], valueColumns: ["amount"], maxEvents: 64)
        let config = DataConfig(columns: ColumnMapping(customer: "user_id", values: ["amount"]), horizon: .days(90),
                                churnDefinition: .event("cancel"), activeWithin: .weeks(12), features: spec)
        let decoded = try JSONDecoder().decode(DataConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
        XCTAssertEqual(decoded.snapshotOptions.horizon, .days(90))
    }
}

final class AggregateTests: XCTestCase {
    func testAggregatesUseOnlyTheHistory() throws {
        let text = """
        customer_id,timestamp,event,amount
        a,2024-01-01T12:00:00Z,buy,10
        a,2024-01-01T18:00:00Z,view,
        a,2024-01-05,buy,5.5
        a,2024-01-09,buy,100

        """
        let (store, _) = try loadText(text, columns: ColumnMapping(values: ["amount"]))
        let row = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-08")!,
                                       options: SnapshotOptions(horizon: .days(7))).rows[0]
        let a = store.aggregates(of: row)
        XCTAssertEqual(a.history.eventCount, 3)
        XCTAssertEqual(a.history.recencyDays, 3, accuracy: 1e-9)
        XCTAssertEqual(a.history.recencyHours, 72, accuracy: 1e-9)
        XCTAssertEqual(a.history.tenureDays, 6.5, accuracy: 1e-9)
        XCTAssertEqual(a.history.eventsLast7Days, 3)   // 01-01T12:00 is 6.5 days before the cutoff
        XCTAssertEqual(a.history.eventsLast30Days, 3)
        XCTAssertEqual(a.valueTotals, [15.5])
    }

    /// The recent windows are `[cutoff − D, cutoff)`: an event exactly D days before the cutoff
    /// counts, one a microsecond earlier does not; without history everything is 0.
    func testHistorySummaryWindowEdges() throws {
        let day = Timestamp.microsecondsPerDay
        let cutoff = Timestamp.parse("2024-06-01")!
        let times = [cutoff - 90 * day - 1, cutoff - 90 * day, cutoff - 30 * day, cutoff - 7 * day - 1, cutoff - 7 * day, cutoff - 1, cutoff]
        let store = EventStore(customerIDs: ["a", "b"], eventNames: ["x"], valueColumns: [],
                               customers: [Int32](repeating: 0, count: times.count) + [1], times: times + [cutoff],
                               events: [Int32](repeating: 0, count: times.count + 1), values: [])
        let h = HistorySummary(store: store, row: SnapshotRow(customer: 0, historyEnd: store.historyEnd(of: 0, before: cutoff),
                                                               cutoff: cutoff, label: nil))
        XCTAssertEqual(h.eventCount, 6)
        XCTAssertEqual([h.eventsLast7Days, h.eventsLast30Days, h.eventsLast90Days], [2, 4, 5])
        XCTAssertEqual(h.sinceLast, 1)
        XCTAssertEqual(h.sinceFirst, 90 * day + 1)
        let empty = HistorySummary(store: store, row: SnapshotRow(customer: 1, historyEnd: store.historyEnd(of: 1, before: cutoff),
                                                                   cutoff: cutoff, label: nil))
        XCTAssertEqual([empty.eventCount, empty.eventsLast7Days, empty.eventsLast30Days, empty.eventsLast90Days], [0, 0, 0, 0])
        XCTAssertEqual(empty.recencyDays, 0)
        XCTAssertEqual(empty.tenureDays, 0)
    }
}
