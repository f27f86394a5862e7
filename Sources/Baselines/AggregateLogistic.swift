import ChurnSupport
import EventLog
import Features
import Snapshots

/// Logistic regression on counts per event type over 7, 30 and 90 days and all history, overall
/// counts, recency, tenure and value sums (log-scaled): the analyst's well-made aggregates, plus
/// the model's customer attributes.
public struct AggregateLogistic: StoredBaseline, Equatable {
    public static let name = "aggregate_logistic"
    public static let displayName = "aggregate-count logistic regression"
    public static let outputsProbability = true
    public static let fitting = BaselineFitting.training
    /// At most this many event types get counts of their own, for a stable fit.
    public static let maxEventTypes = 30

    public var regression: LogisticRegression
    /// The event types counted separately, in feature order.
    public var eventTypes: [String]

    public init(regression: LogisticRegression, eventTypes: [String]) {
        self.regression = regression
        self.eventTypes = eventTypes
    }

    public static func fit(on rows: [SnapshotRow], in context: BaselineContext) throws -> AggregateLogistic {
        let types = Array(context.eventTypes.prefix(maxEventTypes))
        let regression = try LogisticRegression.fit(
            features: features(rows, context, types), labels: rows.map { $0.label! },
            featureNames: BaselineFeatures.aggregateNames(eventTypes: types, valueColumns: context.store.valueColumns)
                + context.attributes.inputNames)
        return AggregateLogistic(regression: regression, eventTypes: types)
    }

    public func scores(_ rows: [SnapshotRow], in context: BaselineContext) throws -> [Double] {
        try regression.predictProbabilities(features: Self.features(rows, context, eventTypes))
    }

    static func features(_ rows: [SnapshotRow], _ context: BaselineContext, _ types: [String]) -> [[Double]] {
        let index = BaselineFeatures.typeIndex(store: context.store, eventTypes: types)
        return zip(rows, context.attributeInputs(rows)).map {
            BaselineFeatures.aggregate(store: context.store, row: $0, typeIndex: index, typeCount: types.count) + $1
        }
    }

    private static let regressionKey = "aggregateLogistic", typesKey = "aggregateEventTypes"

    public init?(section: [String: JSONValue]) throws {
        guard let regression = section[Self.regressionKey], let types = section[Self.typesKey] else { return nil }
        self.init(regression: try regression.decode(LogisticRegression.self), eventTypes: try types.decode([String].self))
    }

    public func store(in section: inout [String: JSONValue]) throws {
        section[Self.regressionKey] = try JSONValue(encoding: regression)
        section[Self.typesKey] = try JSONValue(encoding: eventTypes)
    }
}
