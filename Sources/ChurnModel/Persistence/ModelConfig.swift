import ChurnSupport
import Foundation

/// Platt calibration: `probability = sigmoid(a · logit + b)`; identity is `a = 1, b = 0`.
public struct Calibration: Codable, Equatable, Sendable {
    public var a: Double
    public var b: Double

    public init(a: Double = 1, b: Double = 0) {
        self.a = a
        self.b = b
    }

    public static let identity = Calibration()

    public func probability(logit: Float) -> Double {
        let z = a * Double(logit) + b
        return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
    }
}

/// Everything besides the weights that the model file carries, stored as the JSON string
/// `config` in the safetensors `__metadata__`.
///
/// The network shape and calibration are typed here; sections owned by other layers (features,
/// labels, baselines, training history, data summary) are kept as JSON so that this library
/// round-trips them without knowing their schema.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// The `format` metadata value this version writes and reads.
    public static let format = "churn-forecaster/1"

    public var network: NetworkShape
    public var calibration: Calibration
    /// Featurization: input columns, vocabulary, numeric features and their normalization, max events.
    public var features: JSONValue
    /// Churn definition and horizon.
    public var labels: JSONValue
    public var hyperparameters: JSONValue
    public var baselines: JSONValue
    public var history: JSONValue
    public var dataSummary: JSONValue
    /// The gradient-boosted part, when the model has one: the tabular feature definitions
    /// (`tabular`), the booster's settings and training record (`xgboost`) and the stacking
    /// weights of the headline forecast (`ensemble`). Absent (not `null`) in a model without one.
    public var tabular: JSONValue?
    public var xgboost: JSONValue?
    public var ensemble: JSONValue?
    public var createdAt: String
    public var toolVersion: String

    public init(network: NetworkShape, calibration: Calibration = .identity,
                features: JSONValue = .null, labels: JSONValue = .null, hyperparameters: JSONValue = .null,
                baselines: JSONValue = .null, history: JSONValue = .null, dataSummary: JSONValue = .null,
                tabular: JSONValue? = nil, xgboost: JSONValue? = nil, ensemble: JSONValue? = nil,
                createdAt: Date = Date(), toolVersion: String) {
        self.network = network
        self.calibration = calibration
        self.features = features
        self.labels = labels
        self.hyperparameters = hyperparameters
        self.baselines = baselines
        self.history = history
        self.dataSummary = dataSummary
        self.tabular = tabular
        self.xgboost = xgboost
        self.ensemble = ensemble
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.toolVersion = toolVersion
    }
}
