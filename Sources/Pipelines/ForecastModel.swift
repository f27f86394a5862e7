import Reports
import Baselines
import Features
import Snapshots
import ChurnSupport
import ChurnModel
import Evaluation
import EventLog
import Foundation
import TensorKit

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
/// persisted as one safetensors model file.
public final class ForecastModel {
    public let network: ChurnNetwork
    /// Input columns, labels (horizon, churn definition, activity filter) and featurization:
    /// evaluate and predict read, label and featurize exactly as training did.
    public var data: DataConfig
    public var calibration: Calibration
    public var baselines: FittedBaselines?
    public var training: TrainingOptions
    public var history: [EpochRecord]
    public var dataSummary: DataSummary?
    public var createdAt = Date()

    public init(network: ChurnNetwork, data: DataConfig, calibration: Calibration = .identity, baselines: FittedBaselines? = nil,
                training: TrainingOptions = TrainingOptions(), history: [EpochRecord] = [], dataSummary: DataSummary? = nil) {
        self.network = network
        self.data = data
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

    public var features: FeatureSpec { data.features }

    /// The config's `labels` section: input columns and the label definition.
    struct LabelSection: Codable {
        var columns: ColumnMapping
        var horizon: TimeSpan
        var churnDefinition: ChurnDefinition
        var activeWithin: TimeSpan?
    }

    public func write(to url: URL, toolVersion: String) throws {
        let shape = network.shape
        let config = ModelConfig(
            network: shape, calibration: calibration,
            features: try JSONValue(encoding: data.features),
            labels: try JSONValue(encoding: LabelSection(columns: data.columns, horizon: data.horizon,
                                                         churnDefinition: data.churnDefinition, activeWithin: data.activeWithin)),
            hyperparameters: try JSONValue(encoding: Hyperparameters(embeddingSize: shape.embeddingSize, hiddenSize: shape.hiddenSize,
                                                                     numLayers: shape.numLayers, maxEvents: data.features.maxEvents,
                                                                     training: training)),
            baselines: try baselines?.section() ?? .null,
            history: try JSONValue(encoding: history),
            dataSummary: try JSONValue(encoding: dataSummary),
            createdAt: createdAt, toolVersion: toolVersion)
        try ModelFile.write(parameters: network.parameters, config: config, to: url)
    }

    /// Reads a model file and checks that its feature spec fits its network.
    public static func read(from url: URL) throws -> ForecastModel {
        try decode(SafeTensors.contents(of: url), path: url.path)
    }

    /// Reads a model file held in memory (`read(from:)` without the file system; fuzzing).
    /// - Parameter path: the name errors give.
    public static func decode(_ bytes: Data, path: String) throws -> ForecastModel {
        let (parameters, config) = try ModelFile.decode(bytes, path: path)
        func section<T: Decodable>(_ value: JSONValue, _ name: String, as type: T.Type) throws -> T {
            do { return try value.decode(T.self) } catch {
                throw ModelFileError.invalidConfig(path: path, reason: "section '\(name)' is malformed (\(ModelFile.describe(error)))")
            }
        }
        let spec = try section(config.features, "features", as: FeatureSpec.self)
        let labels = try section(config.labels, "labels", as: LabelSection.self)
        let hyper = try section(config.hyperparameters, "hyperparameters", as: Hyperparameters.self)
        let baselines: FittedBaselines?
        do { baselines = try FittedBaselines(section: config.baselines) } catch {
            throw ModelFileError.invalidConfig(path: path, reason: "section 'baselines' is malformed (\(ModelFile.describe(error)))")
        }
        let history = try section(config.history, "history", as: [EpochRecord].self)
        let summary = try section(config.dataSummary, "dataSummary", as: DataSummary?.self)
        if let reason = spec.inconsistency { throw ModelFileError.invalidConfig(path: path, reason: reason) }
        // Evaluate and predict read the labels' columns and featurize with the spec's.
        guard spec.valueColumns == labels.columns.values else {
            throw ModelFileError.invalidConfig(path: path, reason: "the value columns of 'features' and 'labels' differ")
        }
        // The bounds of `TimeSpan(parsing:)`: instants ± spans never overflow.
        let spans = 1 ..< Int64(1e18)
        guard spans.contains(labels.horizon.microseconds), spans.contains(labels.activeWithin?.microseconds ?? 1) else {
            throw ModelFileError.invalidConfig(path: path, reason: "the horizon or active-within span is not a positive duration below 10¹⁸ µs")
        }
        guard config.calibration.a.isFinite, config.calibration.b.isFinite else {
            throw ModelFileError.invalidConfig(path: path, reason: "the calibration is not finite")
        }
        let shape = config.network
        guard spec.vocabulary.count == shape.vocabularySize, spec.featureCount == shape.numericSize else {
            throw ModelFileError.invalidConfig(path: path, reason: "the feature spec (\(spec.vocabulary.count) event types, \(spec.featureCount) numeric features) does not match the network \(shape)")
        }
        let data = DataConfig(columns: labels.columns, horizon: labels.horizon, churnDefinition: labels.churnDefinition,
                              activeWithin: labels.activeWithin, features: spec)
        let model = ForecastModel(network: ChurnNetwork(shape: shape, parameters: parameters), data: data, calibration: config.calibration,
                                  baselines: baselines, training: hyper.training, history: history, dataSummary: summary)
        return model
    }
}
