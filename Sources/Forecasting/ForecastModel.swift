import ChurnModel
import Evaluation
import EventLog
import Foundation
import TensorKit

/// How labels were defined at training time; evaluate and predict default to the same.
public struct LabelSpec: Codable, Equatable, Sendable {
    public var horizon: TimeSpan
    public var definition: ChurnDefinition
    public var activeWithin: TimeSpan?

    public init(horizon: TimeSpan, definition: ChurnDefinition, activeWithin: TimeSpan?) {
        self.horizon = horizon
        self.definition = definition
        self.activeWithin = activeWithin
    }

    public var snapshotOptions: SnapshotOptions {
        SnapshotOptions(horizon: horizon, definition: definition, activeWithin: activeWithin)
    }
}

/// The baselines fitted on the training snapshots (SPEC §5 "fitted baseline parameters").
public struct FittedBaselines: Codable, Equatable, Sendable {
    /// Logistic regression on recency, frequency, monetary value and tenure.
    public var rfmLogistic: LogisticRegression
    /// Logistic regression on counts per event type over 7/30/90 days and all history.
    public var aggregateLogistic: LogisticRegression
    /// The event types the aggregate features count, in feature order.
    public var aggregateEventTypes: [String]
}

/// A summary of the data a model was trained on.
public struct DataSummary: Codable, Equatable, Sendable {
    public var files: [String]
    public var rowsRead: Int
    public var badRows: Int
    public var customers: Int
    public var events: Int
    public var cutoffs: [String]
    public var trainingSequences: Int
    public var validationSequences: Int
    public var churnRate: Double
}

/// A trained forecaster: the network and everything needed to featurize, score and compare,
/// persisted as one model file (SPEC §5).
public final class ForecastModel {
    public let network: ChurnNetwork
    public var features: FeatureSpec
    public var columns: ColumnMapping
    public var labels: LabelSpec
    public var calibration: Calibration
    public var baselines: FittedBaselines?
    public var training: TrainingOptions
    public var history: [EpochRecord]
    public var dataSummary: DataSummary?
    public var createdAt = Date()

    public init(network: ChurnNetwork, features: FeatureSpec, columns: ColumnMapping, labels: LabelSpec,
                calibration: Calibration = .identity, baselines: FittedBaselines? = nil,
                training: TrainingOptions = TrainingOptions(), history: [EpochRecord] = [], dataSummary: DataSummary? = nil) {
        self.network = network
        self.features = features
        self.columns = columns
        self.labels = labels
        self.calibration = calibration
        self.baselines = baselines
        self.training = training
        self.history = history
        self.dataSummary = dataSummary
    }

    /// Hyperparameters stored in the config besides the training options.
    struct Hyperparameters: Codable {
        var embeddingSize: Int
        var hiddenSize: Int
        var numLayers: Int
        var maxEvents: Int
        var training: TrainingOptions
    }

    /// The features section: the data layer's spec plus the input columns it was fitted on.
    struct FeatureSection: Codable {
        var columns: ColumnMapping
        var spec: FeatureSpec
    }

    public func write(to url: URL, toolVersion: String) throws {
        let shape = network.shape
        let config = ModelConfig(
            network: shape, calibration: calibration,
            features: try JSONValue(encoding: FeatureSection(columns: columns, spec: features)),
            labels: try JSONValue(encoding: labels),
            hyperparameters: try JSONValue(encoding: Hyperparameters(embeddingSize: shape.embeddingSize, hiddenSize: shape.hiddenSize,
                                                                     numLayers: shape.numLayers, maxEvents: features.maxEvents,
                                                                     training: training)),
            baselines: try JSONValue(encoding: baselines),
            history: try JSONValue(encoding: history),
            dataSummary: try JSONValue(encoding: dataSummary),
            createdAt: createdAt, toolVersion: toolVersion)
        try ModelFile.write(parameters: network.parameters, config: config, to: url)
    }

    /// Reads a model file and checks that its feature spec fits its network.
    public static func read(from url: URL) throws -> ForecastModel {
        let (parameters, config) = try ModelFile.read(from: url)
        func section<T: Decodable>(_ value: JSONValue, _ name: String, as type: T.Type) throws -> T {
            do { return try value.decode(T.self) } catch {
                throw ModelFileError.invalidConfig(path: url.path, reason: "section '\(name)' is malformed (\(error))")
            }
        }
        let featureSection = try section(config.features, "features", as: FeatureSection.self)
        let labels = try section(config.labels, "labels", as: LabelSpec.self)
        let hyper = try section(config.hyperparameters, "hyperparameters", as: Hyperparameters.self)
        let baselines = try section(config.baselines, "baselines", as: FittedBaselines?.self)
        let history = try section(config.history, "history", as: [EpochRecord].self)
        let summary = try section(config.dataSummary, "dataSummary", as: DataSummary?.self)
        let shape = config.network
        guard featureSection.spec.vocabulary.count == shape.vocabularySize,
              featureSection.spec.featureCount == shape.numericSize else {
            throw ModelFileError.invalidConfig(path: url.path, reason: "the feature spec (\(featureSection.spec.vocabulary.count) event types, \(featureSection.spec.featureCount) numeric features) does not match the network \(shape)")
        }
        let model = ForecastModel(network: ChurnNetwork(shape: shape, parameters: parameters), features: featureSection.spec,
                                  columns: featureSection.columns, labels: labels, calibration: config.calibration,
                                  baselines: baselines, training: hyper.training, history: history, dataSummary: summary)
        return model
    }
}

extension JSONValue {
    /// The JSON form of an encodable value.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Decodes this JSON as `T`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }
}
