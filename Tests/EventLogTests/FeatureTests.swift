import Features
import Snapshots
import ChurnSupport
import Foundation
import XCTest
@testable import EventLog

final class FeatureTests: XCTestCase {
    let columns = ColumnMapping(values: ["amount"])
    let base = """
    customer_id,timestamp,event,amount
    a,2024-01-01T08:00:00Z,view,
    a,2024-01-02T09:30:00Z,buy,19.99
    a,2024-01-05,view,0
    a,2024-01-07,buy,-5
    b,2024-01-03,view,
    b,2024-01-04,view,
    c,2024-01-06,refund,-10

    """
    let cutoff = Timestamp.parse("2024-01-08")!
    let options = SnapshotOptions(horizon: .days(7))

    func fitted(_ text: String, maxEvents: Int = 256) throws -> (EventStore, Snapshot, FeatureSpec) {
        let (store, _) = try loadText(text, columns: columns)
        let s = SnapshotBuilder.make(store: store, cutoff: cutoff, options: options)
        let spec = try FeatureSpec.fit(store: store, rows: s.rows, maxEvents: maxEvents)
        return (store, s, spec)
    }

    func features(_ store: EventStore, _ spec: FeatureSpec, _ id: String, at cutoff: Int64? = nil) -> FeatureSequence {
        let c = store.customerIndex(of: id)!
        let t = cutoff ?? self.cutoff
        let row = SnapshotRow(customer: Int32(c), historyEnd: store.historyEnd(of: c, before: t), cutoff: t, label: nil)
        return Featurizer(spec: spec, store: store).featurize(row)
    }

    func testVocabularyAndLayout() throws {
        let (_, _, spec) = try fitted(base)
        XCTAssertEqual(spec.vocabulary, ["<unk>", "<cutoff>", "view", "buy", "refund"])
        XCTAssertEqual(spec.numericFeatureNames, [
            "log1p_hours_since_previous_step", "is_first_event", "log1p_hours_until_cutoff", "value_amount_signed_log1p",
            "log1p_event_count", "log1p_tenure_days", "log1p_events_last_7d", "log1p_events_last_30d",
            "log1p_events_last_90d", "log1p_events_beyond_max_events", "value_amount_total_signed_log1p",
            "type_view_log1p_count_30d", "type_view_log1p_count_all", "type_view_log1p_days_since_last",
            "type_buy_log1p_count_30d", "type_buy_log1p_count_all", "type_buy_log1p_days_since_last",
            "type_refund_log1p_count_30d", "type_refund_log1p_count_all", "type_refund_log1p_days_since_last"])
        XCTAssertEqual(spec.typeAggregates, ["view", "buy", "refund"])
        let data = try JSONEncoder().encode(spec)
        XCTAssertEqual(try JSONDecoder().decode(FeatureSpec.self, from: data), spec)
    }

    /// Per-type aggregates on the cutoff step: counts in 30 days and all history, days since last.
    func testPerTypeAggregatesOnTheCutoffStep() throws {
        let (store, _, spec0) = try fitted(base)
        var spec = spec0
        for j in spec.numericFeatures.indices { spec.numericFeatures[j].mean = 0; spec.numericFeatures[j].std = 1 }
        let seq = features(store, spec, "a")
        let f = spec.featureCount, last = seq.length - 1
        func at(_ s: Int, _ name: String) -> Float { seq.numeric[s * f + spec.numericFeatureNames.firstIndex(of: name)!] }
        XCTAssertEqual(at(last, "type_view_log1p_count_all"), Float(log1p(2.0)), accuracy: 1e-6)
        XCTAssertEqual(at(last, "type_buy_log1p_count_30d"), Float(log1p(2.0)), accuracy: 1e-6)
        XCTAssertEqual(at(last, "type_buy_log1p_days_since_last"), Float(log1p(1.0)), accuracy: 1e-6)    // 2024-01-07
        XCTAssertEqual(at(last, "type_view_log1p_days_since_last"), Float(log1p(3.0)), accuracy: 1e-6)   // 2024-01-05
        XCTAssertEqual(at(last, "type_refund_log1p_count_all"), 0)
        XCTAssertEqual(at(last, "type_refund_log1p_days_since_last"), Float(log1p(3650.0)), accuracy: 1e-6)
        XCTAssertEqual(at(0, "type_buy_log1p_count_all"), 0, "cutoff-scope features are zero on event steps")
    }

    func testRawFeaturesOfOneCustomer() throws {
        let (store, _, spec0) = try fitted(base)
        var spec = spec0
        for j in spec.numericFeatures.indices { spec.numericFeatures[j].mean = 0; spec.numericFeatures[j].std = 1 }
        let seq = features(store, spec, "a")
        XCTAssertEqual(seq.eventIDs, [2, 3, 2, 3, 1])
        let f = spec.featureCount
        func at(_ s: Int, _ name: String) -> Float { seq.numeric[s * f + spec.numericFeatureNames.firstIndex(of: name)!] }
        XCTAssertEqual(at(0, "log1p_hours_since_previous_step"), 0)
        XCTAssertEqual(at(0, "is_first_event"), 1)
        XCTAssertEqual(at(1, "log1p_hours_since_previous_step"), Float(log1p(25.5)), accuracy: 1e-5)
        XCTAssertEqual(at(1, "value_amount_signed_log1p"), Float(log1p(19.99)), accuracy: 1e-5)
        XCTAssertEqual(at(3, "value_amount_signed_log1p"), -Float(log1p(5.0)), accuracy: 1e-5)
        XCTAssertEqual(at(3, "log1p_hours_until_cutoff"), Float(log1p(24.0)), accuracy: 1e-5)
        // Cutoff step: recency 24 h, 4 events, tenure 7 − 1/3 days; aggregates zero on event steps.
        XCTAssertEqual(at(4, "log1p_hours_since_previous_step"), Float(log1p(24.0)), accuracy: 1e-5)
        XCTAssertEqual(at(4, "log1p_event_count"), Float(log1p(4.0)), accuracy: 1e-5)
        XCTAssertEqual(at(4, "log1p_tenure_days"), Float(log1p(7.0 - 8.0 / 24)), accuracy: 1e-5)
        XCTAssertEqual(at(4, "log1p_events_last_7d"), Float(log1p(4.0)), accuracy: 1e-5)
        XCTAssertEqual(at(4, "value_amount_total_signed_log1p"), Float(log1p(14.99)), accuracy: 1e-4)
        XCTAssertEqual(at(4, "is_first_event"), 0)
        XCTAssertEqual(at(4, "value_amount_signed_log1p"), 0)
        XCTAssertEqual(at(2, "log1p_event_count"), 0)
    }

    func testStandardizationUsesTrainingStepsInScope() throws {
        let (store, s, spec) = try fitted(base)
        let featurizer = Featurizer(spec: spec, store: store)
        let f = spec.featureCount
        var sums = [Double](repeating: 0, count: f), counts = [Double](repeating: 0, count: f)
        for row in s.rows {
            let seq = featurizer.featurize(row)
            for step in 0..<seq.length {
                let isCutoff = step == seq.length - 1
                for j in 0..<f {
                    let scope = spec.numericFeatures[j].scope
                    if (scope == .event && isCutoff) || (scope == .cutoff && !isCutoff) {
                        XCTAssertEqual(seq.numeric[step * f + j], 0)
                        continue
                    }
                    sums[j] += Double(seq.numeric[step * f + j]); counts[j] += 1
                }
            }
        }
        for j in 0..<f { XCTAssertEqual(sums[j] / counts[j], 0, accuracy: 1e-5, spec.numericFeatureNames[j]) }
    }

    func testTruncationKeepsTheMostRecentEventsAndCountsTheRest() throws {
        let (store, _, spec) = try fitted(base, maxEvents: 2)
        let seq = features(store, spec, "a")
        XCTAssertEqual(seq.eventIDs, [2, 3, 1])   // view (01-05), buy (01-07), cutoff
        var raw = spec
        for j in raw.numericFeatures.indices { raw.numericFeatures[j].mean = 0; raw.numericFeatures[j].std = 1 }
        let r = features(store, raw, "a")
        let f = spec.featureCount
        let beyond = spec.numericFeatureNames.firstIndex(of: "log1p_events_beyond_max_events")!
        let count = spec.numericFeatureNames.firstIndex(of: "log1p_event_count")!
        XCTAssertEqual(r.numeric[2 * f + beyond], Float(log1p(2.0)), accuracy: 1e-6)
        XCTAssertEqual(r.numeric[2 * f + count], Float(log1p(4.0)), accuracy: 1e-6)
        // The first kept event still sees its gap to the dropped previous event (3 days − 9.5 h).
        XCTAssertEqual(r.numeric[0], Float(log1p(72.0 - 9.5)), accuracy: 1e-5)
    }

    /// An event at or after the cutoff never changes any feature; one inside the label window
    /// changes only the label.
    func testLeakage() throws {
        let (store, s, spec) = try fitted(base)
        // (extra rows, customers with a new event inside the label window [01-08, 01-15)).
        let cases: [(String, Set<String>)] = [
            ("b,2024-01-08T00:00:00Z,buy,100\n", ["b"]),          // exactly at the cutoff
            ("b,2024-01-10,refund,-3\n", ["b"]),                  // inside the label window
            ("b,2024-03-01,view,\n", []),                         // after the window
            ("a,2024-01-09,newtype,5\nb,2024-01-08T00:00:00.000001Z,view,\n", ["a", "b"]),
        ]
        let extra = cases.map(\.0)
        let featurizer = Featurizer(spec: spec, store: store)
        for (text, changed) in cases {
            let (store2, _) = try loadText(base + text, columns: columns)
            let s2 = SnapshotBuilder.make(store: store2, cutoff: cutoff, options: options)
            let featurizer2 = Featurizer(spec: spec, store: store2)
            XCTAssertEqual(s2.rows.count, s.rows.count)
            for row in s.rows {
                let id = store.customerIDs[Int(row.customer)]
                let row2 = s2.rows.first { store2.customerIDs[Int($0.customer)] == id }!
                XCTAssertEqual(featurizer.featurize(row), featurizer2.featurize(row2), "\(id) with \(text)")
                // Only the label of a customer with a new event inside the window may change.
                if changed.contains(id) {
                    XCTAssertEqual(row2.label, false, "\(id) with \(text)")   // active in the window now
                } else {
                    XCTAssertEqual(row.label, row2.label, "\(id) with \(text)")
                }
            }
            // Refitting on the changed store gives the same spec: nothing after the cutoff is used.
            XCTAssertEqual(try FeatureSpec.fit(store: store2, rows: s2.rows), spec, text)
        }
        let bBefore = s.rows.first { store.customerIDs[Int($0.customer)] == "b" }!
        XCTAssertEqual(bBefore.label, true)
        let (store3, _) = try loadText(base + extra[1], columns: columns)
        let s3 = SnapshotBuilder.make(store: store3, cutoff: cutoff, options: options)
        let b3 = s3.rows.first { store3.customerIDs[Int($0.customer)] == "b" }!
        XCTAssertEqual(b3.label, false, "\(eventsOf(store3, "b")) \(b3)")
    }

    /// Featurization at predict time equals featurization at train time for the same customer
    /// and cutoff, even when the predict-time log has other customers, other event codes and
    /// another row order, and the spec went through the model file's JSON.
    func testTrainAndPredictFeaturizeIdentically() throws {
        let (store, _, spec) = try fitted(base)
        let decoded = try JSONDecoder().decode(FeatureSpec.self, from: JSONEncoder().encode(spec))
        let shuffledLog = """
        amount,event,customer_id,timestamp,extra
        3,unseen,z,2024-01-02,q
        -5,buy,a,2024-01-07,q
        0,view,a,2024-01-05,q
        ,view,a,2024-01-01T08:00:00Z,q
        19.99,buy,a,2024-01-02T09:30:00Z,q

        """
        let (predictStore, _) = try loadText(shuffledLog, columns: columns)
        XCTAssertNotEqual(predictStore.eventNames, store.eventNames)
        let s = SnapshotBuilder.make(store: predictStore, cutoff: cutoff, options: options, labels: .none)
        let row = s.rows.first { predictStore.customerIDs[Int($0.customer)] == "a" }!
        XCTAssertEqual(Featurizer(spec: decoded, store: predictStore).featurize(row), features(store, spec, "a"))
        let z = s.rows.first { predictStore.customerIDs[Int($0.customer)] == "z" }!
        XCTAssertEqual(Featurizer(spec: decoded, store: predictStore).featurize(z).eventIDs, [0, 1])   // <unk>, <cutoff>
    }

    func testSplitKeepsCustomersTogether() throws {
        let rows = (0..<10).map { SnapshotRow(customer: Int32($0 % 4), historyEnd: 0, cutoff: 0, label: nil) }
        let split = BatchPlanner.splitByCustomer(rows: rows, validationFraction: 0.25, seed: 1)
        XCTAssertEqual(split.training.count + split.validation.count, 10)
        XCTAssertTrue(Set(split.training.map { rows[$0].customer }).isDisjoint(with: split.validation.map { rows[$0].customer }))
        XCTAssertEqual(Set(split.validation.map { rows[$0].customer }).count, 1)
    }

    func testConcatenatedDumpMatchesSingleFeaturization() throws {
        let (store, s, spec) = try fitted(base)
        let featurizer = Featurizer(spec: spec, store: store)
        let dump = featurizer.concatenated(s.rows)
        let singles = s.rows.map { featurizer.featurize($0) }
        XCTAssertEqual(dump.lengths, singles.map { Int32($0.length) })
        XCTAssertEqual(dump.eventIDs, singles.flatMap(\.eventIDs))
        XCTAssertEqual(dump.numeric, singles.flatMap(\.numeric))
    }
}

final class DeterminismTests: XCTestCase {
    /// Loading, fitting and featurizing give identical results on 1 and 2 threads.
    func testResultsDoNotDependOnTheThreadCount() throws {
        var text = "customer_id,timestamp,event,amount\n"
        for i in 0..<9000 {
            text += "c\(i % 4500),2024-01-\(String(format: "%02d", i % 28 + 1))T\(String(format: "%02d", i % 24)):00:00Z,e\(i % 13),\(Double(i % 97) * 1.25)\n"
        }
        var results: [(EventStore, FeatureSpec, ConcatenatedFeatures)] = []
        for threads in [1, 2] {
            try Threading.withThreadCount(threads) {
                var loader = CSVEventReader(options: LoadOptions(columns: ColumnMapping(values: ["amount"]), chunkSize: 4096))
                try loader.add(source: MemoryByteSource(text), name: "d.csv")
                let (store, _) = try loader.finish()
                let rows = SnapshotBuilder.make(store: store, cutoff: Timestamp.parse("2024-01-20")!,
                                                options: SnapshotOptions(horizon: .days(7))).rows
                XCTAssertGreaterThan(rows.count, 4096)
                let spec = try FeatureSpec.fit(store: store, rows: rows)
                results.append((store, spec, Featurizer(spec: spec, store: store).concatenated(rows)))
            }
        }
        XCTAssertEqual(results[0].0.times, results[1].0.times)
        XCTAssertEqual(results[0].0.customerIDs, results[1].0.customerIDs)
        XCTAssertEqual(results[0].1, results[1].1)
        XCTAssertEqual(results[0].2, results[1].2)
    }
}
