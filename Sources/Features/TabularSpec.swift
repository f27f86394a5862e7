import Snapshots
import EventLog

/// The fitted layout of the tabular features of a snapshot row, for a gradient-boosting model.
///
/// One row of `featureNames.count` floats per snapshot row, computed by `TabularFeaturizer` from
/// the events strictly before the row's cutoff. Stored in the model file's config (as
/// `tabular`): the names in order and what computes them (the event types with their own
/// columns, the value columns, the type pairs). Event types outside `eventTypes` — rare ones in
/// training and ones never seen in training — are pooled into the group `<other>`.
///
/// The features, in order (`D` ∈ {7, 30, 90} days; `<t>` every group: each of `eventTypes`,
/// then `other_types`; `<v>` each value column; windows are `[cutoff − D days, cutoff)`):
///
/// | name | definition | missing (NaN) |
/// |------|------------|---------------|
/// | `count_<D>d`, `count_all` | history events in the window, in all history | never |
/// | `tenure_days` | days from the first history event to the cutoff | no history |
/// | `recency_days` | days from the last history event to the cutoff | no history |
/// | `active_days_30d` | distinct days `i` in 0…29 with an event in `[cutoff − (i+1)d, cutoff − i·d)` | never |
/// | `events_per_active_week` | `count_all` / distinct 7-day periods before the cutoff with an event | no history |
/// | `trend_30d` | events in `[cutoff − 30d, cutoff)` minus events in `[cutoff − 60d, cutoff − 30d)` | never |
/// | `count_<t>_<D>d`, `count_<t>_all` | events of the group in the window, in all history | never |
/// | `days_since_first_<t>`, `days_since_last_<t>` | days from the group's first (last) event to the cutoff | the group never occurred |
/// | `trend_<t>_30d` | as `trend_30d`, for the group's events | never |
/// | `sum_<v>_30d`, `sum_<v>_all` | the column's sum over the window, over all history | never |
/// | `mean_<v>` | the column's mean over all history events | no history |
/// | `last_<v>` | the column's value on the last history event | no history |
/// | `sum_<v>_<t>_30d`, `sum_<v>_<t>_all` | the column's sums over the events of each of `valueTypes` | never |
/// | `count_<a>_minus_<b>` | `count_<a>_all − count_<b>_all`, for each of `pairs` | never |
/// | `last_of_<a>_vs_<b>` | +1 when the last `a` is later than the last `b` (or only `a` occurred), −1 the other way round, 0 when neither occurred or both last occurred at the same instant | never |
/// | `attribute_…` | the customer attributes as of the cutoff, encoded by `attributes` (`AttributeSpec`; `=` and the brackets of `<other>`, `<missing>` become `_` in the names) | a numeric attribute without a value |
///
/// RFM is `recency_days`, `count_all` (frequency) and `sum_<first value column>_all`
/// (monetary); they are not repeated under other names, so reason codes do not split between
/// copies. NaN marks "missing" exactly where the table says so (XGBoost's default missing
/// value); every other entry is finite for finite values. Empty values in the log are 0.
///
/// Names: `<t>` and `<v>` are the event type's (column's) name with every character that is not
/// a letter, a digit, `_`, `-` or `.` replaced by `_` (XGBoost refuses `[`, `]` and `<` in
/// feature names); a name that would repeat an earlier one gets `_2`, `_3`, … appended.
///
/// Width: at most `9 + 7·(maxEventTypes + 1) + 4·V + 2·V·maxValueTypes + 2·maxPairs`, plus the
/// attributes' inputs.
public struct TabularSpec: Codable, Equatable, Sendable {
    /// Two event types whose relation (count difference, which came last) is a feature.
    public struct Pair: Codable, Equatable, Hashable, Sendable {
        /// The more frequent type in training.
        public var first: String
        /// The less frequent type.
        public var second: String

        public init(first: String, second: String) {
            self.first = first
            self.second = second
        }
    }

    /// The group of event types without their own columns (rare or unseen in training).
    public static let otherGroup = "<other>"
    /// The group's name inside feature names.
    public static let otherGroupLabel = "other_types"
    /// The version of the feature definitions above; bump when they change.
    public static let currentVersion = 1
    /// The recent windows, in days (`HistorySummary`'s).
    public static let windowsInDays: [Int64] = HistorySummary.windowsInDays
    /// The default number of event types with their own columns.
    public static let defaultMaxEventTypes = 30
    /// The default number of event types whose value sums get their own columns.
    public static let defaultMaxValueTypes = 4
    /// The default number of the most frequent types among which pairs are chosen.
    public static let defaultMaxPairTypes = 8
    /// The default number of pairs.
    public static let defaultMaxPairs = 12

    /// The feature-definition version this spec was fitted with (`currentVersion`).
    public var version: Int
    /// Event types with their own columns, most frequent in training first (ties by name).
    public var eventTypes: [String]
    /// The value columns, in order.
    public var valueColumns: [String]
    /// The event types (a prefix of `eventTypes`) whose value sums get their own columns.
    public var valueTypes: [String]
    /// The type pairs, most co-occurring in training first.
    public var pairs: [Pair]
    /// The customer attributes, the last columns.
    public var attributes: AttributeSpec
    /// The feature names, in column order.
    public var featureNames: [String]

    enum CodingKeys: String, CodingKey { case version, eventTypes, valueColumns, valueTypes, pairs, attributes, featureNames }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        eventTypes = try c.decode([String].self, forKey: .eventTypes)
        valueColumns = try c.decode([String].self, forKey: .valueColumns)
        valueTypes = try c.decode([String].self, forKey: .valueTypes)
        pairs = try c.decode([Pair].self, forKey: .pairs)
        // Models trained before attributes existed have none.
        attributes = try c.decodeIfPresent(AttributeSpec.self, forKey: .attributes) ?? .none
        featureNames = try c.decode([String].self, forKey: .featureNames)
    }

    /// The number of features `F` (the row width).
    public var featureCount: Int { featureNames.count }

    /// The groups in feature order: `eventTypes`, then `<other>`.
    public var groups: [String] { eventTypes + [Self.otherGroup] }

    /// Creates a spec from its parts; the feature names follow from them.
    /// - Precondition: `valueTypes` and the pairs' types are among `eventTypes`.
    public init(eventTypes: [String], valueColumns: [String], valueTypes: [String] = [], pairs: [Pair] = [],
                attributes: AttributeSpec = .none) {
        precondition(valueTypes.allSatisfy(eventTypes.contains), "a value type is not among the event types")
        precondition(pairs.allSatisfy { eventTypes.contains($0.first) && eventTypes.contains($0.second) },
                     "a pair type is not among the event types")
        version = Self.currentVersion
        self.eventTypes = eventTypes
        self.valueColumns = valueColumns
        self.valueTypes = valueTypes
        self.pairs = pairs
        self.attributes = attributes
        featureNames = Self.names(eventTypes: eventTypes, valueColumns: valueColumns, valueTypes: valueTypes, pairs: pairs,
                                  attributes: attributes)
    }

    /// A type or column name as it appears inside feature names.
    public static func label(_ name: String) -> String {
        let kept = String(name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." ? $0 : "_" })
        return kept.isEmpty ? "_" : kept
    }

    /// The feature names of a layout, in column order (see the table above).
    public static func names(eventTypes: [String], valueColumns: [String], valueTypes: [String], pairs: [Pair],
                             attributes: AttributeSpec = .none) -> [String] {
        var label = [String: String]()
        for t in eventTypes { label[t] = Self.label(t) }
        let groupLabels = eventTypes.map { label[$0]! } + [otherGroupLabel]
        var names: [String] = windowsInDays.map { "count_\($0)d" } + ["count_all"]
        names += ["tenure_days", "recency_days", "active_days_30d", "events_per_active_week", "trend_30d"]
        for g in groupLabels {
            names += windowsInDays.map { "count_\(g)_\($0)d" } + ["count_\(g)_all"]
            names += ["days_since_first_\(g)", "days_since_last_\(g)", "trend_\(g)_30d"]
        }
        for v in valueColumns.map(Self.label) {
            names += ["sum_\(v)_30d", "sum_\(v)_all", "mean_\(v)", "last_\(v)"]
        }
        for v in valueColumns.map(Self.label) {
            for t in valueTypes { names += ["sum_\(v)_\(label[t]!)_30d", "sum_\(v)_\(label[t]!)_all"] }
        }
        for p in pairs {
            let a = label[p.first]!, b = label[p.second]!
            names += ["count_\(a)_minus_\(b)", "last_of_\(a)_vs_\(b)"]
        }
        names += attributes.inputNames.map(Self.label)
        // Unique names: a repeat gets the first free suffix _2, _3, ….
        var seen = Set<String>()
        return names.map { name in
            var candidate = name, k = 2
            while !seen.insert(candidate).inserted { candidate = "\(name)_\(k)"; k += 1 }
            return candidate
        }
    }

    /// Why a spec read from a file cannot featurize, or `nil` when it can: this version, no type
    /// or column listed twice, value and pair types among the event types, and the feature names
    /// exactly those the parts give.
    public var inconsistency: String? {
        if version != Self.currentVersion { return "tabular feature version \(version), but this version computes version \(Self.currentVersion) features" }
        if Set(eventTypes).count != eventTypes.count || Set(valueColumns).count != valueColumns.count
            || Set(valueTypes).count != valueTypes.count || Set(pairs).count != pairs.count {
            return "an event type, value column or pair is listed twice"
        }
        if eventTypes.contains(Self.otherGroup) { return "'\(Self.otherGroup)' is listed as an event type" }
        if !valueTypes.allSatisfy(eventTypes.contains) || !pairs.allSatisfy({ eventTypes.contains($0.first) && eventTypes.contains($0.second) && $0.first != $0.second }) {
            return "a value type or pair type is not among the event types"
        }
        if let reason = attributes.inconsistency { return reason }
        if featureNames != Self.names(eventTypes: eventTypes, valueColumns: valueColumns, valueTypes: valueTypes, pairs: pairs,
                                      attributes: attributes) {
            return "the tabular feature names do not match the event types, value columns, pairs and attributes"
        }
        return nil
    }

    /// Fits the layout on training rows.
    ///
    /// Counts each event once per customer, up to the customer's latest training cutoff (like
    /// `FeatureSpec.fit`). The `maxEventTypes` most frequent types (ties by name) get their own
    /// columns; the first `maxValueTypes` of them get per-type value sums. Pairs: among the first
    /// `maxPairTypes` types, the `maxPairs` pairs that occur together in the most customers'
    /// histories (ties: the pair of more frequent types first), each ordered more frequent first;
    /// pairs that never occur together are left out.
    /// - Parameters:
    ///   - store: the events.
    ///   - rows: training rows only (never validation or test rows).
    ///   - maxEventTypes: the most event types with their own columns (default 30).
    ///   - maxValueTypes: the most types with per-type value sums (default 4).
    ///   - maxPairTypes: pairs are chosen among this many most frequent types (default 8, at most 64).
    ///   - maxPairs: the most pairs (default 12).
    ///   - attributes: the attributes' encoding (fitted on the same rows).
    /// - Returns: the fitted spec.
    /// - Throws: `EventLogError.invalidOption` for a negative bound, `maxPairTypes > 64`, or no rows.
    /// - Complexity: O(training history events + event names · log).
    public static func fit(store: EventStore, rows: [SnapshotRow], maxEventTypes: Int = defaultMaxEventTypes,
                           maxValueTypes: Int = defaultMaxValueTypes, maxPairTypes: Int = defaultMaxPairTypes,
                           maxPairs: Int = defaultMaxPairs, attributes: AttributeSpec = .none) throws -> TabularSpec {
        guard maxEventTypes >= 0, maxValueTypes >= 0, maxPairTypes >= 0, maxPairs >= 0 else {
            throw EventLogError.invalidOption("the tabular feature bounds must not be negative")
        }
        guard maxPairTypes <= 64 else { throw EventLogError.invalidOption("pairs are chosen among at most 64 event types") }
        guard !rows.isEmpty else { throw EventLogError.invalidOption("no training rows to fit tabular features on") }
        let histories = TrainingHistories(store: store, rows: rows)
        let historyEnd = histories.ends

        // Frequencies by name: codes whose names are equal Strings are one type.
        let codeCounts = histories.eventCounts(in: store)
        var byName = [String: Int]()
        for (code, n) in codeCounts.enumerated() where n > 0 && store.eventNames[code] != otherGroup {
            byName[store.eventNames[code], default: 0] += n
        }
        let ranked = byName.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        let eventTypes = Array(ranked.prefix(maxEventTypes))
        let valueTypes = Array(eventTypes.prefix(maxValueTypes))

        // Pairs: customers whose history holds both types, over a bit set of the pair types.
        let pairTypes = Array(eventTypes.prefix(maxPairTypes))
        let rank = Dictionary(uniqueKeysWithValues: pairTypes.enumerated().map { ($1, $0) })
        let bitOfCode = store.eventNames.map { name -> UInt64 in rank[name].map { 1 << UInt64($0) } ?? 0 }
        let m = pairTypes.count
        var together = [Int](repeating: 0, count: m * m)
        store.events.withUnsafeBufferPointer { events in
            for c in 0..<store.customerCount where historyEnd[c] >= 0 {
                var present: UInt64 = 0
                for k in store.offsets[c]..<historyEnd[c] { present |= bitOfCode[Int(events[k])] }
                guard present.nonzeroBitCount >= 2 else { continue }
                for i in 0..<m where present & (1 << UInt64(i)) != 0 {
                    for j in (i + 1)..<m where present & (1 << UInt64(j)) != 0 { together[i * m + j] += 1 }
                }
            }
        }
        var candidates: [(i: Int, j: Int, n: Int)] = []
        for i in 0..<m { for j in (i + 1)..<m where together[i * m + j] > 0 { candidates.append((i, j, together[i * m + j])) } }
        candidates.sort { $0.n != $1.n ? $0.n > $1.n : ($0.i, $0.j) < ($1.i, $1.j) }
        let pairs = candidates.prefix(maxPairs).map { Pair(first: pairTypes[$0.i], second: pairTypes[$0.j]) }
        return TabularSpec(eventTypes: eventTypes, valueColumns: store.valueColumns, valueTypes: valueTypes, pairs: pairs,
                           attributes: attributes)
    }
}
