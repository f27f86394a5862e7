import Features
import Snapshots
import EventLog
import ChurnSupport
import Foundation
import XCTest

/// One event of a test log: customer id, microseconds relative to the cutoff (negative: before
/// it), event name, value.
private typealias TestEvent = (customer: String, offset: Int64, event: String, amount: Float)

private let day = Timestamp.microsecondsPerDay
private let hour = Timestamp.microsecondsPerHour
private let cutoff = Timestamp.parse("2024-03-01")!

/// A store of `events` (times relative to `cutoff`), customers in the order given.
private func makeStore(_ events: [TestEvent], customers: [String]? = nil) -> EventStore {
    let ids = customers ?? events.reduce(into: [String]()) { if !$0.contains($1.customer) { $0.append($1.customer) } }
    var names: [String] = []
    var code = [String: Int32]()
    for e in events where code[e.event] == nil {
        code[e.event] = Int32(names.count)
        names.append(e.event)
    }
    let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
    return EventStore(customerIDs: ids, eventNames: names, valueColumns: ["amount"],
                      customers: events.map { index[$0.customer]! }, times: events.map { cutoff + $0.offset },
                      events: events.map { code[$0.event]! }, values: [events.map(\.amount)])
}

/// One row per customer of the store at `at`.
private func rows(_ store: EventStore, at time: Int64 = cutoff) -> [SnapshotRow] {
    (0..<store.customerCount).map {
        SnapshotRow(customer: Int32($0), historyEnd: store.historyEnd(of: $0, before: time), cutoff: time, label: nil)
    }
}

/// Whether a feature may be NaN (missing) by `TabularSpec`'s table.
private func mayBeMissing(_ name: String) -> Bool {
    ["tenure_days", "recency_days", "events_per_active_week"].contains(name)
        || ["days_since_first_", "days_since_last_", "mean_", "last_"].contains { name.hasPrefix($0) } && !name.hasPrefix("last_of_")
}

/// A random log: `customers` customers, events of `types` types over the 200 days before the cutoff.
private func randomEvents(customers: Int, types: Int, seed: UInt64, eventsPerCustomer: Int = 40) -> [TestEvent] {
    var rng = SeededGenerator(seed: seed)
    var events: [TestEvent] = []
    for c in 0..<customers {
        let n = rng.nextInt(below: eventsPerCustomer)
        for _ in 0..<n {
            // Skewed type frequencies, so the ranking is meaningful.
            let t = Int(Double(types) * pow(rng.nextDouble(), 2))
            let offset = -1 - Int64(rng.nextInt(below: Int(200 * day / 1_000_000))) * 1_000_000
            events.append(("c\(c)", offset, "type_\(t)", Float(rng.nextInt(below: 100)) - 20))
        }
    }
    return events
}

final class TabularFeaturesTests: XCTestCase {
    /// The hand-computed log (see `testHandComputedValues`).
    private let small: [TestEvent] = [
        ("a", -100 * day, "ticket_opened", 0),
        ("a", -95 * day, "payment", 50),
        ("a", -45 * day, "ticket_opened", 1),
        ("a", -40 * day, "payment", 30),
        ("a", -35 * day, "ticket_resolved", 0),
        ("a", -20 * day, "ticket_opened", 0),
        ("a", -10 * day, "payment_failed", 0),
        ("a", -5 * day, "payment", 20),
        ("a", -60 * hour, "ticket_opened", 2),
        ("a", -1 * hour, "payment_failed", 0),
        ("b", -70 * day, "payment", 10),
        ("b", -50 * day, "view", 0),
        ("b", -33 * day, "payment", 10),
        ("b", -3 * day, "payment", 10),
        ("c", 1 * day, "refund", 0),     // after the cutoff: c has no history
        // d: events exactly on the window boundaries (windows are [cutoff − D, cutoff)).
        ("d", -90 * day - 1, "payment", 1),
        ("d", -90 * day, "payment", 1),
        ("d", -60 * day, "payment", 1),
        ("d", -30 * day, "payment", 1),
        ("d", -7 * day, "payment", 1),
        ("d", 0, "payment", 100),        // at the cutoff: not history
    ]

    private func smallSpec(_ store: EventStore) throws -> TabularSpec {
        try TabularSpec.fit(store: store, rows: rows(store), maxEventTypes: 4, maxValueTypes: 2, maxPairTypes: 4, maxPairs: 6)
    }

    /// Features by name of each customer.
    private func named(_ spec: TabularSpec, _ x: [Float]) -> [[String: Float]] {
        let f = spec.featureCount
        return (0..<(x.count / f)).map { r in
            Dictionary(uniqueKeysWithValues: spec.featureNames.enumerated().map { ($1, x[r * f + $0]) })
        }
    }

    func testFittedLayout() throws {
        let store = makeStore(small)
        let spec = try smallSpec(store)
        XCTAssertEqual(spec.eventTypes, ["payment", "ticket_opened", "payment_failed", "ticket_resolved"])
        XCTAssertEqual(spec.valueTypes, ["payment", "ticket_opened"])
        XCTAssertEqual(spec.pairs.map { "\($0.first)/\($0.second)" }, [
            "payment/ticket_opened", "payment/payment_failed", "payment/ticket_resolved",
            "ticket_opened/payment_failed", "ticket_opened/ticket_resolved", "payment_failed/ticket_resolved"])
        XCTAssertEqual(Array(spec.featureNames.prefix(9)), [
            "count_7d", "count_30d", "count_90d", "count_all", "tenure_days", "recency_days", "active_days_30d",
            "events_per_active_week", "trend_30d"])
        XCTAssertEqual(Array(spec.featureNames[9..<16]), [
            "count_payment_7d", "count_payment_30d", "count_payment_90d", "count_payment_all",
            "days_since_first_payment", "days_since_last_payment", "trend_payment_30d"])
        XCTAssertTrue(spec.featureNames.contains("count_ticket_opened_minus_ticket_resolved"))
        XCTAssertTrue(spec.featureNames.contains("last_of_payment_failed_vs_ticket_resolved"))
        XCTAssertTrue(spec.featureNames.contains("days_since_last_other_types"))
        XCTAssertEqual(spec.featureCount, 9 + 7 * 5 + 4 + 2 * 2 + 2 * 6)
        XCTAssertNil(spec.inconsistency)
    }

    func testHandComputedValues() throws {
        let store = makeStore(small)
        let spec = try smallSpec(store)
        let x = named(spec, TabularFeaturizer(spec: spec, store: store).features(rows(store)))
        let a = x[0], b = x[1], c = x[2], d = x[3]
        let expectedA: [String: Float] = [
            "count_7d": 3, "count_30d": 5, "count_90d": 8, "count_all": 10,
            "tenure_days": 100, "recency_days": Float(1.0 / 24), "active_days_30d": 5,
            "events_per_active_week": 1.25, "trend_30d": 2,
            "count_payment_7d": 1, "count_payment_30d": 1, "count_payment_90d": 2, "count_payment_all": 3,
            "days_since_first_payment": 95, "days_since_last_payment": 5, "trend_payment_30d": 0,
            "count_ticket_opened_7d": 1, "count_ticket_opened_30d": 2, "count_ticket_opened_90d": 3,
            "count_ticket_opened_all": 4, "days_since_first_ticket_opened": 100,
            "days_since_last_ticket_opened": 2.5, "trend_ticket_opened_30d": 1,
            "count_payment_failed_30d": 2, "days_since_first_payment_failed": 10,
            "days_since_last_payment_failed": Float(1.0 / 24), "trend_payment_failed_30d": 2,
            "count_ticket_resolved_30d": 0, "count_ticket_resolved_90d": 1, "trend_ticket_resolved_30d": -1,
            "days_since_last_ticket_resolved": 35,
            "count_other_types_all": 0, "trend_other_types_30d": 0,
            "sum_amount_30d": 22, "sum_amount_all": 103, "mean_amount": 10.3, "last_amount": 0,
            "sum_amount_payment_30d": 20, "sum_amount_payment_all": 100,
            "sum_amount_ticket_opened_30d": 2, "sum_amount_ticket_opened_all": 3,
            "count_payment_minus_ticket_opened": -1, "last_of_payment_vs_ticket_opened": -1,
            "count_payment_minus_payment_failed": 1, "last_of_payment_vs_payment_failed": -1,
            "count_payment_minus_ticket_resolved": 2, "last_of_payment_vs_ticket_resolved": 1,
            "count_ticket_opened_minus_payment_failed": 2, "last_of_ticket_opened_vs_payment_failed": -1,
            "count_ticket_opened_minus_ticket_resolved": 3, "last_of_ticket_opened_vs_ticket_resolved": 1,
            "count_payment_failed_minus_ticket_resolved": 1, "last_of_payment_failed_vs_ticket_resolved": 1,
        ]
        for (name, value) in expectedA.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(a[name]!, value, accuracy: 1e-5 * max(1, abs(value)), "a: \(name)")
        }
        XCTAssertTrue(a["days_since_first_other_types"]!.isNaN)
        XCTAssertTrue(a["days_since_last_other_types"]!.isNaN)

        // b: "view" is the fifth type, pooled into <other>; payments only among the pair types.
        let expectedB: [String: Float] = [
            "count_all": 4, "count_other_types_all": 1, "days_since_last_other_types": 50,
            "days_since_first_other_types": 50, "trend_other_types_30d": -1, "count_payment_30d": 1,
            "trend_payment_30d": 0, "sum_amount_all": 30, "mean_amount": 7.5, "last_amount": 10,
            "count_payment_minus_ticket_opened": 3, "last_of_payment_vs_ticket_opened": 1,
            "last_of_payment_failed_vs_ticket_resolved": 0, "active_days_30d": 1,
            "events_per_active_week": 1,   // four events in four distinct weeks
        ]
        for (name, value) in expectedB.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(b[name]!, value, accuracy: 1e-5 * max(1, abs(value)), "b: \(name)")
        }
        XCTAssertTrue(b["days_since_last_ticket_opened"]!.isNaN)

        let expectedD: [String: Float] = [
            "count_7d": 1, "count_30d": 2, "count_90d": 4, "count_all": 5, "trend_30d": 1,
            "count_payment_7d": 1, "count_payment_30d": 2, "count_payment_90d": 4, "trend_payment_30d": 1,
            "active_days_30d": 2, "recency_days": 7, "days_since_last_payment": 7,
            "sum_amount_30d": 2, "sum_amount_all": 5, "last_amount": 1, "mean_amount": 1,
        ]
        for (name, value) in expectedD.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(d[name]!, value, accuracy: 1e-5 * max(1, abs(value)), "d: \(name)")
        }

        // c: no history before the cutoff: every count 0, every "may be missing" NaN.
        for name in spec.featureNames {
            if mayBeMissing(name) {
                XCTAssertTrue(c[name]!.isNaN, "c: \(name) should be missing")
            } else {
                XCTAssertEqual(c[name]!, 0, "c: \(name)")
            }
        }
        XCTAssertFalse(spec.eventTypes.contains("refund"), "types after every cutoff are not fitted")
    }

    /// Events at or after the cutoff never change a feature; one just before it does.
    func testPointInTime() throws {
        let events = randomEvents(customers: 60, types: 12, seed: 7)
        let store = makeStore(events, customers: (0..<60).map { "c\($0)" })
        let spec = try TabularSpec.fit(store: store, rows: rows(store), maxEventTypes: 8, maxPairs: 10)
        let before = TabularFeaturizer(spec: spec, store: store).features(rows(store))

        var rng = SeededGenerator(seed: 99)
        var future = events
        for c in 0..<60 {
            for _ in 0..<rng.nextInt(below: 20) {
                let offset = rng.nextInt(below: 4) == 0 ? 0 : Int64(rng.nextInt(below: 1_000_000)) * 60_000_000
                let type = rng.nextInt(below: 3) == 0 ? "new_type_\(rng.nextInt(below: 5))" : "type_\(rng.nextInt(below: 12))"
                future.append(("c\(c)", offset, type, Float(rng.nextInt(below: 1000))))
            }
        }
        let later = makeStore(future, customers: (0..<60).map { "c\($0)" })
        XCTAssertGreaterThan(later.eventCount, store.eventCount)
        let after = TabularFeaturizer(spec: spec, store: later).features(rows(later))
        XCTAssertEqual(after.map(\.bitPattern), before.map(\.bitPattern), "events at or after the cutoff changed a feature")

        // One event of the most frequent type 1 µs before the cutoff, for a customer with
        // history but none in the last day.
        let target = try XCTUnwrap((0..<60).first { c in
            let own = events.filter { $0.customer == "c\(c)" }
            return own.count >= 5 && !own.contains { $0.offset > -day }
        })
        let top = spec.eventTypes[0]
        let nudged = makeStore(events + [("c\(target)", -1, top, 5)], customers: (0..<60).map { "c\($0)" })
        let nudgedX = TabularFeaturizer(spec: spec, store: nudged).features(rows(nudged))
        let x = named(spec, nudgedX)[target], old = named(spec, before)[target]
        for name in ["count_7d", "count_30d", "count_90d", "count_all", "active_days_30d", "trend_30d",
                     "count_\(top)_7d", "count_\(top)_30d", "count_\(top)_all", "trend_\(top)_30d"] {
            XCTAssertEqual(x[name]!, old[name]! + 1, name)
        }
        XCTAssertEqual(x["recency_days"]!, Float(1 / Double(day)))
        XCTAssertEqual(x["days_since_last_\(top)"]!, Float(1 / Double(day)))
        XCTAssertEqual(x["last_amount"]!, 5)
        XCTAssertEqual(x["sum_amount_30d"]!, old["sum_amount_30d"]! + 5, accuracy: 1e-3)
        XCTAssertNotEqual(x["mean_amount"]!, old["mean_amount"]!)
        XCTAssertEqual(x["tenure_days"]!, old["tenure_days"]!, "the first event is unchanged")
        for p in spec.pairs where p.first == top || p.second == top {
            let a = TabularSpec.label(p.first), b = TabularSpec.label(p.second)
            XCTAssertEqual(x["count_\(a)_minus_\(b)"]!, old["count_\(a)_minus_\(b)"]! + (p.first == top ? 1 : -1))
            XCTAssertEqual(x["last_of_\(a)_vs_\(b)"]!, p.first == top ? 1 : -1)
        }
        // Other customers are untouched.
        let f = spec.featureCount
        for r in 0..<60 where r != target {
            XCTAssertEqual(nudgedX[(r * f)..<((r + 1) * f)].map(\.bitPattern), before[(r * f)..<((r + 1) * f)].map(\.bitPattern))
        }
    }

    /// 200 event types: 30 get columns, the rest are pooled; the width is the documented bound.
    func testWidthIsBoundedForWideVocabularies() throws {
        let events = randomEvents(customers: 300, types: 200, seed: 3, eventsPerCustomer: 80)
        let store = makeStore(events)
        XCTAssertGreaterThan(Set(events.map(\.event)).count, 150)
        let spec = try TabularSpec.fit(store: store, rows: rows(store))
        XCTAssertEqual(spec.eventTypes.count, 30)
        XCTAssertEqual(spec.valueTypes, Array(spec.eventTypes.prefix(4)))
        XCTAssertEqual(spec.pairs.count, 12)
        XCTAssertTrue(spec.pairs.allSatisfy { spec.eventTypes.prefix(8).contains($0.first) && spec.eventTypes.prefix(8).contains($0.second) })
        XCTAssertEqual(spec.featureCount, 9 + 7 * 31 + 4 + 2 * 4 + 2 * 12)
        XCTAssertEqual(Set(spec.featureNames).count, spec.featureCount)
        // By frequency, ties by name.
        var counts = [String: Int]()
        for e in events where e.offset < 0 { counts[e.event, default: 0] += 1 }
        let expected = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(30).map(\.key)
        XCTAssertEqual(spec.eventTypes, expected)
        // The pooled types' events all count as <other>.
        let x = named(spec, TabularFeaturizer(spec: spec, store: store).features(rows(store)))
        let pooled = events.filter { !spec.eventTypes.contains($0.event) }.count
        XCTAssertEqual(x.map { Int($0["count_other_types_all"]!) }.reduce(0, +), pooled)
    }

    func testSpecIsDeterministicAndRoundTrips() throws {
        let events = randomEvents(customers: 200, types: 40, seed: 11)
        let store = makeStore(events)
        let all = rows(store)
        let spec = try TabularSpec.fit(store: store, rows: all)
        XCTAssertEqual(try TabularSpec.fit(store: store, rows: all), spec)
        XCTAssertEqual(try TabularSpec.fit(store: store, rows: all.reversed()), spec, "the row order does not matter")
        // A store built from the same events in another order (other event codes) fits the same spec.
        XCTAssertEqual(try TabularSpec.fit(store: makeStore(events.reversed(), customers: store.customerIDs), rows: all), spec)
        let data = try JSONEncoder().encode(spec)
        let decoded = try JSONDecoder().decode(TabularSpec.self, from: data)
        XCTAssertEqual(decoded, spec)
        XCTAssertNil(decoded.inconsistency)
        var broken = decoded
        broken.featureNames.removeLast()
        XCTAssertNotNil(broken.inconsistency)
        // Features do not depend on the thread count or on how rows are batched.
        let featurizer = TabularFeaturizer(spec: spec, store: store)
        let one = Threading.withThreadCount(1) { featurizer.features(all) }
        let two = Threading.withThreadCount(2) { featurizer.features(all) }
        XCTAssertEqual(one.map(\.bitPattern), two.map(\.bitPattern))
        let f = spec.featureCount
        let tail = featurizer.features(all[150...])
        XCTAssertEqual(tail.map(\.bitPattern), one[(150 * f)...].map(\.bitPattern))
        var single = [Float](repeating: -1, count: f)
        single.withUnsafeMutableBufferPointer { featurizer.features(of: all[42], into: $0) }
        XCTAssertEqual(single.map(\.bitPattern), one[(42 * f)..<(43 * f)].map(\.bitPattern))
    }

    /// A type never seen in training counts as <other> at scoring time.
    func testUnseenTypeMapsToOther() throws {
        let store = makeStore(small)
        let spec = try smallSpec(store)
        let scoring = makeStore(small + [("a", -2 * day, "chargeback", 7), ("a", -3 * day, "view", 0)])
        let x = named(spec, TabularFeaturizer(spec: spec, store: scoring).features(rows(scoring)))
        XCTAssertEqual(x[0]["count_other_types_all"], 2)
        XCTAssertEqual(x[0]["count_other_types_7d"], 2)
        XCTAssertEqual(x[0]["days_since_last_other_types"], 2)
        XCTAssertEqual(x[0]["days_since_first_other_types"], 3)
        XCTAssertEqual(x[0]["count_all"], 12)
        XCTAssertEqual(x[0]["sum_amount_all"], 110)
    }

    /// NaN appears only in the columns documented as possibly missing; those are defined when
    /// their condition holds.
    func testNaNOnlyWhereDocumented() throws {
        let events = randomEvents(customers: 300, types: 20, seed: 5)
        let store = makeStore(events, customers: (0..<300).map { "c\($0)" })
        let spec = try TabularSpec.fit(store: store, rows: rows(store), maxEventTypes: 10)
        let f = spec.featureCount
        let x = TabularFeaturizer(spec: spec, store: store).features(rows(store))
        var missingSeen = Set<String>()
        for r in 0..<store.customerCount {
            let hasHistory = x[r * f + spec.featureNames.firstIndex(of: "count_all")!] > 0
            for (j, name) in spec.featureNames.enumerated() {
                let value = x[r * f + j]
                if mayBeMissing(name) {
                    if value.isNaN { missingSeen.insert(name) }
                    if hasHistory && ["tenure_days", "recency_days", "events_per_active_week", "mean_amount", "last_amount"].contains(name) {
                        XCTAssertFalse(value.isNaN, "\(name) of a customer with history")
                    }
                } else {
                    XCTAssertTrue(value.isFinite, "\(name) is always defined, got \(value)")
                }
            }
        }
        XCTAssertTrue(missingSeen.contains("recency_days"), "some customer has no history")
        XCTAssertTrue(missingSeen.contains { $0.hasPrefix("days_since_last_") })
    }

    /// The groups partition the history: their counts add up to the overall counts (which come
    /// from `HistorySummary`), their trends to the overall trend.
    func testGroupsPartitionTheHistory() throws {
        let events = randomEvents(customers: 200, types: 25, seed: 17)
        let store = makeStore(events)
        let spec = try TabularSpec.fit(store: store, rows: rows(store), maxEventTypes: 6)
        for (r, x) in named(spec, TabularFeaturizer(spec: spec, store: store).features(rows(store))).enumerated() {
            for suffix in ["7d", "30d", "90d", "all"] {
                let total = spec.groups.map { x["count_\($0 == TabularSpec.otherGroup ? TabularSpec.otherGroupLabel : $0)_\(suffix)"]! }.reduce(0, +)
                XCTAssertEqual(total, x["count_\(suffix)"]!, "row \(r), \(suffix)")
            }
            let trend = spec.groups.map { x["trend_\($0 == TabularSpec.otherGroup ? TabularSpec.otherGroupLabel : $0)_30d"]! }.reduce(0, +)
            XCTAssertEqual(trend, x["trend_30d"]!, "row \(r)")
            XCTAssertLessThanOrEqual(x["active_days_30d"]!, min(30, x["count_30d"]!))
        }
    }

    /// Names never hold XGBoost's forbidden characters, and never repeat.
    func testNamesAreSanitizedAndUnique() throws {
        let events: [TestEvent] = [("a", -day, "a[b]<c", 0), ("a", -day, "a b", 0), ("a", -2 * day, "a_b", 0),
                                   ("a", -3 * day, "a_b", 0), ("a", -4 * day, "a b", 0), ("a", -5 * day, "a[b]<c", 0)]
        let store = makeStore(events)
        let spec = try TabularSpec.fit(store: store, rows: rows(store))
        XCTAssertEqual(spec.eventTypes, ["a b", "a[b]<c", "a_b"])
        XCTAssertEqual(Set(spec.featureNames).count, spec.featureCount)
        XCTAssertFalse(spec.featureNames.contains { $0.contains("[") || $0.contains("]") || $0.contains("<") || $0.contains(" ") })
        XCTAssertTrue(spec.featureNames.contains("count_a_b_all"))
        XCTAssertTrue(spec.featureNames.contains("count_a_b_all_2"))
        XCTAssertTrue(spec.featureNames.contains("count_a_b__c_all"))
        XCTAssertNil(spec.inconsistency)
        let x = TabularFeaturizer(spec: spec, store: store).features(rows(store))
        XCTAssertEqual(x[spec.featureNames.firstIndex(of: "count_a_b_all_2")!], 2)
    }

    func testFitRejectsNoRows() {
        XCTAssertThrowsError(try TabularSpec.fit(store: makeStore(small), rows: []))
        XCTAssertThrowsError(try TabularSpec.fit(store: makeStore(small), rows: rows(makeStore(small)), maxEventTypes: -1))
    }
}
