import Snapshots
import EventLog
import ChurnSupport
import Foundation

/// One customer's model input at one cutoff.
public struct FeatureSequence: Equatable, Sendable {
    /// Event ids `[T]`: history events oldest first, then `<cutoff>`.
    public var eventIDs: [Int32]
    /// Standardized numeric features `[T, F]`, row-major.
    public var numeric: [Float]
    /// `T`.
    public var length: Int { eventIDs.count }
}

/// Featurizes snapshot rows of one store with a fitted `FeatureSpec` (see its table of features).
///
/// The output depends only on the spec, the customer's events before the cutoff and the cutoff
/// itself: never on other customers, on events at or after the cutoff, on labels, or on how the
/// store was loaded (event codes are mapped to vocabulary ids by name).
public struct Featurizer: Sendable {
    /// The fitted spec.
    public let spec: FeatureSpec
    /// The events featurized.
    public let store: EventStore
    /// Vocabulary id of each store event code (`<unk>` for names not in the vocabulary).
    private let vocabularyID: [Int32]
    private let means: [Float]
    private let inverseStds: [Float]
    private let scopes: [FeatureSpec.Scope]
    private let valueColumnIndex: [Int]
    /// Position among `spec.typeAggregates` of each store event code (-1: none).
    private let typeSlot: [Int]
    /// The customer attributes of the cutoff step.
    private let attributes: AttributeEncoder

    /// Prepares featurization of `store` with `spec`.
    /// - Precondition: the store has every value column and attribute the spec names (the
    ///   loader guarantees it when given the spec's columns).
    public init(spec: FeatureSpec, store: EventStore) {
        self.spec = spec
        self.store = store
        var ids = [String: Int32]()
        for (i, name) in spec.vocabulary.enumerated() where i >= 2 { ids[name] = Int32(i) }
        vocabularyID = store.eventNames.map { ids[$0] ?? FeatureSpec.unknownID }
        means = spec.numericFeatures.map(\.mean)
        inverseStds = spec.numericFeatures.map { 1 / $0.std }
        scopes = spec.numericFeatures.map(\.scope)
        let slots = Dictionary(uniqueKeysWithValues: spec.typeAggregates.enumerated().map { ($1, $0) })
        typeSlot = store.eventNames.map { slots[$0] ?? -1 }
        valueColumnIndex = store.valueColumnIndices(of: spec.valueColumns)
        attributes = AttributeEncoder(spec: spec.attributes, store: store)
    }

    /// The number of steps of a row: `min(history, maxEvents) + 1`.
    @inline(__always)
    public func length(of row: SnapshotRow) -> Int {
        min(row.historyEnd - store.offsets[Int(row.customer)], spec.maxEvents) + 1
    }

    /// Featurizes one row into new arrays.
    public func featurize(_ row: SnapshotRow) -> FeatureSequence {
        let t = length(of: row)
        var ids = [Int32](repeating: 0, count: t)
        var numeric = [Float](repeating: 0, count: t * spec.featureCount)
        ids.withUnsafeMutableBufferPointer { i in
            numeric.withUnsafeMutableBufferPointer { n in
                featurize(row, eventIDs: i.baseAddress!, numeric: n.baseAddress!)
            }
        }
        return FeatureSequence(eventIDs: ids, numeric: numeric)
    }

    /// Featurizes one row into caller memory: `length(of: row)` ids and that many rows of `F` floats.
    /// - Parameters:
    ///   - row: the customer and cutoff.
    ///   - eventIDs: room for `T` ids.
    ///   - numeric: room for `T·F` floats (row-major `[T, F]`).
    /// - Complexity: O(history) — aggregates read the whole history, steps only the kept events.
    public func featurize(_ row: SnapshotRow, eventIDs: UnsafeMutablePointer<Int32>, numeric: UnsafeMutablePointer<Float>) {
        featurizeRaw(row, eventIDs: eventIDs, numeric: numeric)
        let t = length(of: row)
        let f = spec.featureCount
        for s in 0..<t {
            let isCutoff = s == t - 1
            let rowPointer = numeric + s * f
            for j in 0..<f {
                let scope = scopes[j]
                if (scope == .event && isCutoff) || (scope == .cutoff && !isCutoff) {
                    rowPointer[j] = 0
                } else {
                    rowPointer[j] = (rowPointer[j] - means[j]) * inverseStds[j]
                }
            }
        }
    }

    @inline(__always)
    private static func signedLog1p(_ x: Double) -> Double { x < 0 ? -log1p(-x) : log1p(x) }

    /// Raw (unstandardized) features; out-of-scope entries are 0.
    func featurizeRaw(_ row: SnapshotRow, eventIDs: UnsafeMutablePointer<Int32>, numeric: UnsafeMutablePointer<Float>) {
        let c = Int(row.customer)
        let cutoff = row.cutoff
        let start = store.offsets[c]
        let end = row.historyEnd
        assert(end == store.historyEnd(of: c, before: cutoff), "historyEnd does not match the cutoff")
        let n = end - start
        let kept = min(n, spec.maxEvents)
        let first = end - kept
        let t = kept + 1
        let f = spec.featureCount
        let v = valueColumnIndex.count
        numeric.update(repeating: 0, count: t * f)
        let hour = Double(Timestamp.microsecondsPerHour)
        let day = Double(Timestamp.microsecondsPerDay)
        store.times.withUnsafeBufferPointer { times in
            store.events.withUnsafeBufferPointer { events in
                // Event steps.
                for s in 0..<kept {
                    let k = first + s
                    eventIDs[s] = vocabularyID[Int(events[k])]
                    let out = numeric + s * f
                    out[0] = Float(k > start ? log1p(Double(times[k] - times[k - 1]) / hour) : 0)
                    out[1] = k == start ? 1 : 0
                    out[2] = Float(log1p(Double(cutoff - times[k]) / hour))
                    for j in 0..<v { out[3 + j] = Float(Self.signedLog1p(Double(store.values[valueColumnIndex[j]][k]))) }
                }
                // Cutoff step with history-wide aggregates.
                eventIDs[kept] = FeatureSpec.cutoffID
                let out = numeric + kept * f
                let history = HistorySummary(store: store, row: row)
                out[0] = Float(n > 0 ? log1p(history.recencyHours) : 0)
                out[2] = 0
                var a = 3 + v
                out[a] = Float(log1p(Double(history.eventCount))); a += 1
                out[a] = Float(n > 0 ? log1p(history.tenureDays) : 0); a += 1
                out[a] = Float(log1p(Double(history.eventsLast7Days))); a += 1
                out[a] = Float(log1p(Double(history.eventsLast30Days))); a += 1
                out[a] = Float(log1p(Double(history.eventsLast90Days))); a += 1
                out[a] = Float(log1p(Double(n - kept))); a += 1
                for j in 0..<v {
                    var total = 0.0
                    store.values[valueColumnIndex[j]].withUnsafeBufferPointer { column in
                        for k in start..<end { total += Double(column[k]) }
                    }
                    out[a] = Float(Self.signedLog1p(total)); a += 1
                }
                // Per-type aggregates over the whole history.
                let types = spec.typeAggregates.count
                if types > 0 {
                    let recent = HistorySummary.windowStart(days: 30, cutoff: cutoff)
                    for slot in 0..<types {
                        out[a + 3 * slot + 2] = Float(log1p(3650.0))
                    }
                    for k in start..<end {
                        let slot = typeSlot[Int(events[k])]
                        guard slot >= 0 else { continue }
                        let o = a + 3 * slot
                        if times[k] >= recent { out[o] += 1 }
                        out[o + 1] += 1
                        out[o + 2] = Float(Double(cutoff - times[k]) / day)   // the latest occurrence wins
                    }
                    for slot in 0..<types {
                        let o = a + 3 * slot
                        out[o] = Float(log1p(Double(out[o])))
                        out[o + 1] = Float(log1p(Double(out[o + 1])))
                        if out[o + 1] > 0 { out[o + 2] = Float(log1p(Double(out[o + 2]))) }
                    }
                    a += 3 * types
                }
                attributes.encode(row, into: out + a, for: .standardizing)
                a += attributes.width
                assert(a == f)
            }
        }
    }
}

/// The steps of many rows laid end to end, as `churn-predict --dump-features` writes them:
/// `event_ids` [S], `numeric` [S, F], `lengths` [N].
public struct ConcatenatedFeatures: Equatable, Sendable {
    /// `[S]` event ids, the steps of each row contiguous, rows in the given order.
    public var eventIDs: [Int32]
    /// `[S, F]` standardized numeric features, row-major.
    public var numeric: [Float]
    /// `[N]` steps per row.
    public var lengths: [Int32]
}

extension Featurizer {
    /// Featurizes rows end to end, exactly as they are fed to the model.
    /// - Parameter rows: the rows, in output order.
    /// - Returns: the concatenated features.
    /// - Complexity: O(S·F + histories), on `Threading.threadCount` threads.
    public func concatenated(_ rows: [SnapshotRow]) -> ConcatenatedFeatures {
        let lengths = rows.map { length(of: $0) }
        var offsets = [Int](repeating: 0, count: rows.count + 1)
        for (i, l) in lengths.enumerated() { offsets[i + 1] = offsets[i] + l }
        let total = offsets[rows.count]
        let f = spec.featureCount
        var ids = [Int32](repeating: 0, count: total)
        var numeric = [Float](repeating: 0, count: total * f)
        ids.withUnsafeMutableBufferPointer { idp in
            numeric.withUnsafeMutableBufferPointer { np in
                let idp = idp, np = np
                Threading.parallelFor(rows.count, minimumPerThread: 256) { range in
                    for r in range {
                        featurize(rows[r], eventIDs: idp.baseAddress! + offsets[r], numeric: np.baseAddress! + offsets[r] * f)
                    }
                }
            }
        }
        return ConcatenatedFeatures(eventIDs: ids, numeric: numeric, lengths: lengths.map { Int32($0) })
    }
}
