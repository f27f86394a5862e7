import ChurnSupport
import EventLog
import Features
import Snapshots

/// Logistic regression on recency, frequency, monetary value and tenure (log-scaled), plus the
/// model's customer attributes.
public struct RFMLogistic: StoredBaseline, Equatable {
    public static let name = "rfm_logistic"
    public static let displayName = "RFM logistic regression"
    public static let outputsProbability = true
    public static let fitting = BaselineFitting.training

    public var regression: LogisticRegression

    public init(regression: LogisticRegression) { self.regression = regression }

    public static func fit(on rows: [SnapshotRow], in context: BaselineContext) throws -> RFMLogistic {
        RFMLogistic(regression: try LogisticRegression.fit(features: features(rows, context), labels: rows.map { $0.label! },
                                                           featureNames: BaselineFeatures.rfmNames + context.attributes.inputNames))
    }

    public func scores(_ rows: [SnapshotRow], in context: BaselineContext) throws -> [Double] {
        try regression.predictProbabilities(features: Self.features(rows, context))
    }

    static func features(_ rows: [SnapshotRow], _ context: BaselineContext) -> [[Double]] {
        zip(rows, context.attributeInputs(rows)).map { BaselineFeatures.rfm(context.store.aggregates(of: $0)) + $1 }
    }

    private static let key = "rfmLogistic"

    public init?(section: [String: JSONValue]) throws {
        guard let value = section[Self.key] else { return nil }
        self.init(regression: try value.decode(LogisticRegression.self))
    }

    public func store(in section: inout [String: JSONValue]) throws {
        section[Self.key] = try JSONValue(encoding: regression)
    }
}
