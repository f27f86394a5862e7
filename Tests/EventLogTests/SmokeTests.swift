import Features
import Snapshots
import XCTest
@testable import EventLog

/// One small log through the whole data layer: CSV → event store → snapshot → features.
final class EventLogSmokeTests: XCTestCase {
    func testALogFlowsFromCSVToFeatures() throws {
        let (store, report) = try loadText("""
        customer_id,timestamp,event
        b,2024-01-03,view
        a,2024-01-02,buy
        a,2024-01-01,view
        b,not a time,view
        b,2024-01-20,view

        """)
        // Rows: 4 loaded, 1 bad; customers in first-appearance order, events in time order.
        XCTAssertEqual(report.rowsRead, 5)
        XCTAssertEqual(report.rowsLoaded, 4)
        XCTAssertEqual(report.badRows, 1)
        XCTAssertEqual(store.customerIDs, ["b", "a"])
        XCTAssertEqual(eventsOf(store, "a").map { "\($0.0) \($0.1)" }, ["2024-01-01T00:00:00Z view", "2024-01-02T00:00:00Z buy"])
        XCTAssertEqual(eventsOf(store, "b").map(\.0), ["2024-01-03T00:00:00Z", "2024-01-20T00:00:00Z"])

        // Cutoff 01-10, 14 days: a is silent in the window (churned), b views on 01-20.
        let snapshot = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-10")!,
                                            options: SnapshotOptions(horizon: .days(14)))
        let labels = Dictionary(uniqueKeysWithValues: snapshot.rows.map { (store.customerIDs[Int($0.customer)], $0.label) })
        XCTAssertEqual(labels, ["a": true, "b": false])

        // Features: each history's events, then the cutoff step; every value finite.
        let spec = try FeatureSpec.fit(store: store, rows: snapshot.rows)
        XCTAssertEqual(Set(spec.vocabulary), ["<unk>", "<cutoff>", "view", "buy"])
        let featurizer = Featurizer(spec: spec, store: store)
        for row in snapshot.rows {
            let id = store.customerIDs[Int(row.customer)]
            let sequence = featurizer.featurize(row)
            let names = id == "a" ? ["view", "buy", "<cutoff>"] : ["view", "<cutoff>"]
            XCTAssertEqual(sequence.eventIDs.map { spec.vocabulary[Int($0)] }, names, id)
            XCTAssertEqual(sequence.numeric.count, names.count * spec.featureCount, id)
            XCTAssert(sequence.numeric.allSatisfy(\.isFinite), id)
        }
    }
}
