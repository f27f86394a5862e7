import Snapshots
import EventLog
import Dispatch
import Foundation

/// Everything needed to featurize a customer at a cutoff, stored in the model file's config.
///
/// Fitted on training snapshots only (`fit`), then used unchanged by train, evaluate and predict,
/// so featurization is identical everywhere. Sequence layout for a customer with history
/// `e_1 … e_n` (time order) before cutoff `c`: the last `min(n, maxEvents)` events oldest first,
/// then one cutoff step whose event id is `<cutoff>` (1). Event id 0 is `<unk>` (types not in
/// the vocabulary).
///
/// Numeric features (raw values, before standardization), in order; `scope` says on which steps
/// a feature is defined — elsewhere it is exactly 0 after standardization:
///
/// | name | scope | raw value |
/// |------|-------|-----------|
/// | `log1p_hours_since_previous_step` | all | event step: hours since the customer's previous event (full history, so the first kept event after truncation still sees its gap); 0 for the first event ever. Cutoff step: hours since the last event (recency) |
/// | `is_first_event` | event | 1 on the customer's first event ever, else 0 |
/// | `log1p_hours_until_cutoff` | all | hours from the step to the cutoff (0 on the cutoff step) |
/// | `value_<col>_signed_log1p` | event | sign(v)·log1p(abs(v)) of each value column |
/// | `log1p_event_count` | cutoff | all history events (not only the kept ones) |
/// | `log1p_tenure_days` | cutoff | days from the first event to the cutoff |
/// | `log1p_events_last_7d`, `_30d`, `_90d` | cutoff | events in `[cutoff − D, cutoff)` |
/// | `log1p_events_beyond_max_events` | cutoff | history events dropped by truncation |
/// | `value_<col>_total_signed_log1p` | cutoff | signed log1p of the column's sum over all history |
/// | `type_<name>_log1p_count_30d` | cutoff | events of that type in `[cutoff − 30d, cutoff)`, for each of `typeAggregates` |
/// | `type_<name>_log1p_count_all` | cutoff | events of that type in all history |
/// | `type_<name>_log1p_days_since_last` | cutoff | days since the type last occurred; 3650 days when it never did |
/// | `attribute_…` | cutoff | the customer attributes as of the cutoff, encoded by `attributes` (`AttributeSpec`: one-hot categories, numbers with a missing flag) |
///
/// The per-type aggregates (for the `maxTypeAggregates` most frequent training event types)
/// give the cutoff step what an analyst's aggregate-count model sees, over the whole history;
/// the recurrent part adds what counts cannot express: order, timing and recent change.
///
/// Standardization: `(raw − mean) / std` with mean and std over the training steps in scope
/// (std below 1e-6 is replaced by 1).
public struct FeatureSpec: Codable, Equatable, Sendable {
    /// On which steps a numeric feature is defined.
    public enum Scope: String, Codable, Sendable {
        /// History-event steps only.
        case event
        /// The final cutoff step only.
        case cutoff
        /// Every step.
        case all
    }

    /// One numeric feature and its standardization.
    public struct NumericFeature: Codable, Equatable, Sendable {
        public var name: String
        public var scope: Scope
        public var mean: Float
        public var std: Float
    }

    /// The vocabulary entry of event types not seen in training (id 0).
    public static let unknownToken = "<unk>"
    /// The vocabulary entry of the final cutoff step (id 1).
    public static let cutoffToken = "<cutoff>"
    /// The id of `<unk>`.
    public static let unknownID: Int32 = 0
    /// The id of `<cutoff>`.
    public static let cutoffID: Int32 = 1
    /// The version of the feature definitions above; bump when they change.
    public static let currentVersion = 2
    /// At most this many event types get per-type aggregates on the cutoff step.
    public static let maxTypeAggregates = 24

    /// The feature-definition version this spec was fitted with (`currentVersion`).
    public var version: Int
    /// Event types with per-type aggregates on the cutoff step (most frequent first).
    public var typeAggregates: [String]
    /// Event names by id: `<unk>`, `<cutoff>`, then event types by training frequency (descending, ties by name).
    public var vocabulary: [String]

    /// The event types of the vocabulary (without `<unk>` and `<cutoff>`), most frequent first.
    public var eventTypes: [String] { Array(vocabulary.dropFirst(2)) }
    /// The value columns, in order.
    public var valueColumns: [String]
    /// The most recent history events kept as steps.
    public var maxEvents: Int
    /// The numeric features in order, with their standardization.
    public var numericFeatures: [NumericFeature]
    /// The customer attributes on the cutoff step (none when the model was trained without).
    public var attributes: AttributeSpec

    /// The number of numeric features `F`.
    public var featureCount: Int { numericFeatures.count }
    /// The numeric feature names in order.
    public var numericFeatureNames: [String] { numericFeatures.map(\.name) }

    enum CodingKeys: String, CodingKey {
        case version, typeAggregates, vocabulary, valueColumns, maxEvents, numericFeatures, attributes
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        typeAggregates = try c.decode([String].self, forKey: .typeAggregates)
        vocabulary = try c.decode([String].self, forKey: .vocabulary)
        valueColumns = try c.decode([String].self, forKey: .valueColumns)
        maxEvents = try c.decode(Int.self, forKey: .maxEvents)
        numericFeatures = try c.decode([NumericFeature].self, forKey: .numericFeatures)
        // Models trained before attributes existed have none.
        attributes = try c.decodeIfPresent(AttributeSpec.self, forKey: .attributes) ?? .none
    }

    /// The feature names and scopes for a set of value columns (standardization: identity).
    public static func layout(valueColumns: [String], typeAggregates: [String] = [], attributes: AttributeSpec = .none) -> [NumericFeature] {
        var features: [(String, Scope)] = [
            ("log1p_hours_since_previous_step", .all),
            ("is_first_event", .event),
            ("log1p_hours_until_cutoff", .all),
        ]
        for v in valueColumns { features.append(("value_\(v)_signed_log1p", .event)) }
        features += [
            ("log1p_event_count", .cutoff),
            ("log1p_tenure_days", .cutoff),
            ("log1p_events_last_7d", .cutoff),
            ("log1p_events_last_30d", .cutoff),
            ("log1p_events_last_90d", .cutoff),
            ("log1p_events_beyond_max_events", .cutoff),
        ]
        for v in valueColumns { features.append(("value_\(v)_total_signed_log1p", .cutoff)) }
        for type in typeAggregates {
            features += [("type_\(type)_log1p_count_30d", .cutoff), ("type_\(type)_log1p_count_all", .cutoff),
                         ("type_\(type)_log1p_days_since_last", .cutoff)]
        }
        for name in attributes.inputNames { features.append((name, .cutoff)) }
        return features.map { NumericFeature(name: $0.0, scope: $0.1, mean: 0, std: 1) }
    }

    /// Why a spec read from a file cannot featurize, or `nil` when it can: the version is this
    /// one's, the vocabulary starts with `<unk>` and `<cutoff>`, the numeric features are exactly
    /// `layout(valueColumns:typeAggregates:)` with finite means and positive finite deviations.
    public var inconsistency: String? {
        if version != Self.currentVersion { return "feature version \(version), but this version computes version \(Self.currentVersion) features" }
        if vocabulary.count < 2 || vocabulary[0] != Self.unknownToken || vocabulary[1] != Self.cutoffToken {
            return "the vocabulary does not start with \(Self.unknownToken), \(Self.cutoffToken)"
        }
        if !(1...1_000_000).contains(maxEvents) { return "maxEvents \(maxEvents) is outside 1…1000000" }
        if Set(typeAggregates).count != typeAggregates.count || Set(valueColumns).count != valueColumns.count {
            return "an event type or value column is listed twice"
        }
        if let reason = attributes.inconsistency { return reason }
        let expected = Self.layout(valueColumns: valueColumns, typeAggregates: typeAggregates, attributes: attributes)
        if numericFeatures.map(\.name) != expected.map(\.name) || numericFeatures.map(\.scope) != expected.map(\.scope) {
            return "the numeric features do not match the value columns, event-type aggregates and attributes"
        }
        if let bad = numericFeatures.first(where: { !$0.mean.isFinite || !$0.std.isFinite || $0.std <= 0 }) {
            return "feature '\(bad.name)' has an invalid standardization (mean \(bad.mean), std \(bad.std))"
        }
        return nil
    }

    /// Creates a spec with identity standardization; the first `maxTypeAggregates` event types
    /// (pass them most frequent first) get per-type aggregates.
    public init(vocabulary eventTypes: [String], valueColumns: [String], maxEvents: Int = 256, attributes: AttributeSpec = .none) {
        version = Self.currentVersion
        vocabulary = [Self.unknownToken, Self.cutoffToken] + eventTypes.filter { $0 != Self.unknownToken && $0 != Self.cutoffToken }
        self.valueColumns = valueColumns
        self.maxEvents = maxEvents
        typeAggregates = Array(vocabulary.dropFirst(2).prefix(Self.maxTypeAggregates))
        self.attributes = attributes
        numericFeatures = Self.layout(valueColumns: valueColumns, typeAggregates: typeAggregates, attributes: attributes)
    }

    /// Fits the vocabulary and the standardization on training rows.
    ///
    /// The vocabulary holds every event type that occurs in the training rows' histories at
    /// least `minCount` times (each event counted once per customer even when several snapshots
    /// overlap), by frequency then name.
    /// - Parameters:
    ///   - store: the events.
    ///   - rows: training rows only (never validation or test rows).
    ///   - maxEvents: the most recent events kept as steps (default 256).
    ///   - minCount: the least count for an event type to get its own id.
    ///   - attributes: the attributes' encoding (fitted on the same rows), standardized here.
    /// - Returns: the fitted spec.
    /// - Throws: `EventLogError.invalidOption` for `maxEvents < 1` or no rows.
    /// - Complexity: O(total history length + total steps × F).
    public static func fit(store: EventStore, rows: [SnapshotRow], maxEvents: Int = 256, minCount: Int = 1,
                           attributes: AttributeSpec = .none) throws -> FeatureSpec {
        guard maxEvents >= 1 else { throw EventLogError.invalidOption("the maximum number of events per sequence must be at least 1") }
        guard !rows.isEmpty else { throw EventLogError.invalidOption("no training rows to fit features on") }
        // Vocabulary: events before each customer's latest training cutoff.
        let counts = TrainingHistories(store: store, rows: rows).eventCounts(in: store)
        var types = (0..<counts.count).filter { counts[$0] >= max(1, minCount) }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : store.eventNames[$0] < store.eventNames[$1] }
            .map { store.eventNames[$0] }
        // Names that differ in bytes but are equal Strings (canonically equivalent Unicode) are
        // one event type: the featurizer maps names to ids by String.
        var seen = Set<String>()
        types = types.filter { seen.insert($0).inserted }
        var spec = FeatureSpec(vocabulary: types, valueColumns: store.valueColumns, maxEvents: maxEvents, attributes: attributes)

        // Standardization over the steps in scope, from raw (identity-standardized) features.
        // Rows are summed in fixed blocks (in parallel) and the block sums added in block order,
        // so the result does not depend on the thread count.
        let featurizer = Featurizer(spec: spec, store: store)
        let f = spec.featureCount
        let scopes = spec.numericFeatures.map(\.scope)
        let blockSize = 4096
        let blockCount = (rows.count + blockSize - 1) / blockSize
        var partials = [[Double]](repeating: [], count: blockCount)   // sum[f], sumSquares[f], eventSteps, cutoffSteps
        partials.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: blockCount) { b in
                var acc = [Double](repeating: 0, count: 2 * f + 2)
                let block = rows[(b * blockSize)..<min(rows.count, (b + 1) * blockSize)]
                let longest = block.map { featurizer.length(of: $0) }.max() ?? 1
                var ids = [Int32](repeating: 0, count: longest)
                var numeric = [Float](repeating: 0, count: longest * f)
                for row in block {
                    let t = featurizer.length(of: row)
                    ids.withUnsafeMutableBufferPointer { idp in
                        numeric.withUnsafeMutableBufferPointer { np in
                            featurizer.featurizeRaw(row, eventIDs: idp.baseAddress!, numeric: np.baseAddress!)
                            for s in 0..<t {
                                let isCutoff = s == t - 1
                                for j in 0..<f {
                                    let scope = scopes[j]
                                    if (scope == .event && isCutoff) || (scope == .cutoff && !isCutoff) { continue }
                                    let v = Double(np[s * f + j])
                                    acc[j] += v
                                    acc[f + j] += v * v
                                }
                            }
                        }
                    }
                    acc[2 * f] += Double(t - 1)
                    acc[2 * f + 1] += 1
                }
                out[b] = acc
            }
        }
        var sum = [Double](repeating: 0, count: f)
        var sumSquares = [Double](repeating: 0, count: f)
        var eventSteps = 0.0, cutoffSteps = 0.0
        for acc in partials {
            for j in 0..<f { sum[j] += acc[j]; sumSquares[j] += acc[f + j] }
            eventSteps += acc[2 * f]
            cutoffSteps += acc[2 * f + 1]
        }
        for j in 0..<f {
            let n: Double
            switch scopes[j] {
            case .event: n = eventSteps
            case .cutoff: n = cutoffSteps
            case .all: n = eventSteps + cutoffSteps
            }
            guard n > 0 else { continue }
            let mean = sum[j] / n
            let variance = max(0, sumSquares[j] / n - mean * mean)
            let std = variance.squareRoot()
            spec.numericFeatures[j].mean = Float(mean)
            spec.numericFeatures[j].std = std < 1e-6 ? 1 : Float(std)
        }
        return spec
    }
}
