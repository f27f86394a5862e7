import Snapshots
import EventLog
import ChurnSupport

/// Computes the tabular features of snapshot rows with a fitted `TabularSpec` (see its table).
///
/// The output depends only on the spec, the customer's events strictly before the row's cutoff
/// (`offsets[c] ..< row.historyEnd`) and the cutoff: never on other customers, on events at or
/// after the cutoff, on labels, or on how the store was loaded (event codes are mapped to groups
/// by name; a name the spec does not list, seen in training or not, counts as `<other>`).
public struct TabularFeaturizer: Sendable {
    /// The fitted spec.
    public let spec: TabularSpec
    /// The events featurized.
    public let store: EventStore
    /// The group (position in `spec.groups`) of each store event code.
    private let groupOfCode: [Int32]
    /// Position among `spec.valueTypes` of each group (-1: none).
    private let valueSlotOfGroup: [Int]
    /// The store's value column of each of the spec's.
    private let valueColumnIndex: [Int]
    /// The pairs as group positions.
    private let pairGroups: [(first: Int, second: Int)]
    /// The customer attributes, the last columns.
    private let attributes: AttributeEncoder

    // Column offsets of the blocks (see `TabularSpec`).
    private static let overallWidth = 9
    private static let groupWidth = 7
    private static let valueWidth = 4

    /// Prepares featurization of `store` with `spec`.
    /// - Precondition: the spec is consistent (`inconsistency == nil`) and the store has every
    ///   value column and attribute it names (the loader guarantees it when given the spec's columns).
    public init(spec: TabularSpec, store: EventStore) {
        precondition(spec.inconsistency == nil, spec.inconsistency ?? "")
        self.spec = spec
        self.store = store
        let position = Dictionary(uniqueKeysWithValues: spec.eventTypes.enumerated().map { ($1, Int32($0)) })
        let other = Int32(spec.eventTypes.count)
        groupOfCode = store.eventNames.map { position[$0] ?? other }
        let valueSlot = Dictionary(uniqueKeysWithValues: spec.valueTypes.enumerated().map { ($1, $0) })
        valueSlotOfGroup = spec.groups.map { valueSlot[$0] ?? -1 }
        valueColumnIndex = store.valueColumnIndices(of: spec.valueColumns)
        pairGroups = spec.pairs.map { (Int(position[$0.first]!), Int(position[$0.second]!)) }
        attributes = AttributeEncoder(spec: spec.attributes, store: store)
    }

    /// The features of rows, row-major `[N × F]` (`F = spec.featureCount`), NaN for missing.
    /// - Parameter rows: the rows, in output order.
    /// - Returns: `rows.count · F` floats, row `i` at `i·F ..< (i+1)·F`.
    /// - Complexity: O(F + history events) per row, one pass over each history, on
    ///   `Threading.threadCount` threads.
    public func features(_ rows: ArraySlice<SnapshotRow>) -> [Float] {
        let f = spec.featureCount
        let n = rows.count
        var out = [Float](repeating: 0, count: n * f)
        out.withUnsafeMutableBufferPointer { buffer in
            let buffer = buffer
            Threading.parallelFor(n, minimumPerThread: 64) { range in
                var scratch = Scratch(spec: spec)
                for i in range {
                    let row = rows[rows.startIndex + i]
                    features(of: row, into: UnsafeMutableBufferPointer(rebasing: buffer[(i * f)..<((i + 1) * f)]), scratch: &scratch)
                }
            }
        }
        return out
    }

    /// The features of rows, row-major `[N × F]` (see `features(_:)` on a slice).
    public func features(_ rows: [SnapshotRow]) -> [Float] { features(rows[...]) }

    /// The features of one row into caller memory.
    /// - Parameters:
    ///   - row: the customer and cutoff.
    ///   - out: room for exactly `spec.featureCount` floats.
    public func features(of row: SnapshotRow, into out: UnsafeMutableBufferPointer<Float>) {
        var scratch = Scratch(spec: spec)
        features(of: row, into: out, scratch: &scratch)
    }

    /// Per-thread working memory: the groups' first and last times and the value sums.
    private struct Scratch {
        var firstTime: [Int64]
        var lastTime: [Int64]
        /// Per value column: sum over 30 days, over all history; then per (column, value type) the same.
        var sums: [Double]

        init(spec: TabularSpec) {
            firstTime = [Int64](repeating: .min, count: spec.eventTypes.count + 1)
            lastTime = firstTime
            sums = [Double](repeating: 0, count: 2 * spec.valueColumns.count * (1 + spec.valueTypes.count))
        }
    }

    private func features(of row: SnapshotRow, into out: UnsafeMutableBufferPointer<Float>, scratch: inout Scratch) {
        precondition(out.count == spec.featureCount, "the output row has \(out.count) floats, the spec \(spec.featureCount) features")
        let c = Int(row.customer)
        let cutoff = row.cutoff
        let history = HistorySummary(store: store, row: row)
        let start = history.start, end = history.end
        assert(end == store.historyEnd(of: c, before: cutoff), "historyEnd does not match the cutoff")
        let groupCount = spec.eventTypes.count + 1
        let v = valueColumnIndex.count
        let valueTypes = spec.valueTypes.count
        let groupBase = Self.overallWidth
        let valueBase = groupBase + Self.groupWidth * groupCount
        let valueTypeBase = valueBase + Self.valueWidth * v
        let pairBase = valueTypeBase + 2 * v * valueTypes
        let day = Timestamp.microsecondsPerDay
        let dayD = Double(day)
        let d7 = 7 * day, d30 = 30 * day, d60 = 60 * day, d90 = 90 * day
        let nan = Float.nan

        out.update(repeating: 0)
        for g in 0..<groupCount { scratch.firstTime[g] = .min; scratch.lastTime[g] = .min }
        for j in scratch.sums.indices { scratch.sums[j] = 0 }

        // The one pass over the history (time order): per-group counts and times, the 30-day
        // trend, active days and weeks, value sums and the last values.
        var previous30 = 0
        var activeDays = 0, lastDay = Int64.min
        var activeWeeks = 0, lastWeek = Int64.min
        let columns = valueColumnIndex.map { store.values[$0] }
        store.times.withUnsafeBufferPointer { times in
            store.events.withUnsafeBufferPointer { events in
                for k in start..<end {
                    let t = times[k]
                    let age = cutoff - t   // > 0: history is before the cutoff
                    let g = Int(groupOfCode[Int(events[k])])
                    let o = groupBase + Self.groupWidth * g
                    if age <= d7 { out[o] += 1 }
                    if age <= d30 { out[o + 1] += 1 }
                    if age <= d90 { out[o + 2] += 1 }
                    out[o + 3] += 1
                    if age > d30 && age <= d60 { out[o + 6] -= 1; previous30 += 1 }
                    if scratch.firstTime[g] == .min { scratch.firstTime[g] = t }
                    scratch.lastTime[g] = t
                    // Ages fall along the history, so equal periods are adjacent.
                    let week = (age - 1) / d7
                    if week != lastWeek { activeWeeks += 1; lastWeek = week }
                    if age <= d30 {
                        let d = (age - 1) / day
                        if d != lastDay { activeDays += 1; lastDay = d }
                    }
                    if v > 0 {
                        let slot = valueSlotOfGroup[g]
                        for j in 0..<v {
                            let x = columns[j][k]
                            let xd = Double(x)
                            scratch.sums[2 * j + 1] += xd
                            if age <= d30 { scratch.sums[2 * j] += xd }
                            out[valueBase + Self.valueWidth * j + 3] = x
                            if slot >= 0 {
                                let s = 2 * v + 2 * (j * valueTypes + slot)
                                scratch.sums[s + 1] += xd
                                if age <= d30 { scratch.sums[s] += xd }
                            }
                        }
                    }
                }
            }
        }

        // Overall.
        let n = history.eventCount
        out[0] = Float(history.eventsLast7Days)
        out[1] = Float(history.eventsLast30Days)
        out[2] = Float(history.eventsLast90Days)
        out[3] = Float(n)
        out[4] = n > 0 ? Float(history.tenureDays) : nan
        out[5] = n > 0 ? Float(history.recencyDays) : nan
        out[6] = Float(activeDays)
        out[7] = n > 0 ? Float(Double(n) / Double(activeWeeks)) : nan
        out[8] = Float(history.eventsLast30Days - previous30)
        // Groups: days since first and last, the trend (the 30 days before were subtracted).
        for g in 0..<groupCount {
            let o = groupBase + Self.groupWidth * g
            if scratch.lastTime[g] == .min {
                out[o + 4] = nan
                out[o + 5] = nan
            } else {
                out[o + 4] = Float(Double(cutoff - scratch.firstTime[g]) / dayD)
                out[o + 5] = Float(Double(cutoff - scratch.lastTime[g]) / dayD)
            }
            out[o + 6] += out[o + 1]
        }
        // Values.
        for j in 0..<v {
            let o = valueBase + Self.valueWidth * j
            out[o] = Float(scratch.sums[2 * j])
            out[o + 1] = Float(scratch.sums[2 * j + 1])
            out[o + 2] = n > 0 ? Float(scratch.sums[2 * j + 1] / Double(n)) : nan
            if n == 0 { out[o + 3] = nan }
            for slot in 0..<valueTypes {
                let s = 2 * v + 2 * (j * valueTypes + slot)
                let p = valueTypeBase + 2 * (j * valueTypes + slot)
                out[p] = Float(scratch.sums[s])
                out[p + 1] = Float(scratch.sums[s + 1])
            }
        }
        // Pairs.
        for (i, pair) in pairGroups.enumerated() {
            let o = pairBase + 2 * i
            out[o] = out[groupBase + Self.groupWidth * pair.first + 3] - out[groupBase + Self.groupWidth * pair.second + 3]
            let a = scratch.lastTime[pair.first], b = scratch.lastTime[pair.second]
            out[o + 1] = a > b ? 1 : (a < b ? -1 : 0)
        }
        let attributeBase = pairBase + 2 * pairGroups.count
        attributes.encode(row, into: out.baseAddress! + attributeBase, for: .trees)
        assert(attributeBase + attributes.width == spec.featureCount)
    }
}
