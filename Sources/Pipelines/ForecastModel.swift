import Reports
import Baselines
import Features
import Snapshots
import ChurnSupport
import ChurnModel
import Evaluation
import EventLog
import Foundation
import GradientBoosting
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
    /// XGBoost on the tabular features, when the model has it.
    public var boosted: BoostedTrees?
    /// The stacking weights of the headline forecast; only with `boosted`.
    public var ensemble: EnsembleWeights?
    public var createdAt = Date()

    public init(network: ChurnNetwork, data: DataConfig, calibration: Calibration = .identity, baselines: FittedBaselines? = nil,
                training: TrainingOptions = TrainingOptions(), history: [EpochRecord] = [], dataSummary: DataSummary? = nil,
                boosted: BoostedTrees? = nil, ensemble: EnsembleWeights? = nil) {
        precondition(ensemble == nil || boosted != nil, "an ensemble needs the booster")
        self.boosted = boosted
        self.ensemble = ensemble
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

    /// The forecast scoring reports unless told otherwise: the ensemble when the model has one.
    public var defaultScorer: ScorerChoice { ensemble != nil ? .ensemble : .lstm }

    /// `choice` when the model can make it, the headline for nil.
    /// - Throws: `PipelineError.scorerUnavailable` otherwise.
    public func scorer(_ choice: ScorerChoice?) throws -> ScorerChoice {
        guard let choice else { return defaultScorer }
        guard scorers.contains(choice) else {
            throw PipelineError.scorerUnavailable(requested: choice.rawValue, available: scorers.map(\.rawValue))
        }
        return choice
    }

    /// The forecasts this model can make, headline first.
    public var scorers: [ScorerChoice] { ensemble != nil ? [.ensemble, .lstm, .xgboost] : boosted != nil ? [.lstm, .xgboost] : [.lstm] }

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
            tabular: try boosted.map { try JSONValue(encoding: $0.spec) },
            xgboost: try boosted.map { try JSONValue(encoding: $0.record) },
            ensemble: try ensemble.map { try JSONValue(encoding: $0) },
            createdAt: createdAt, toolVersion: toolVersion)
        var extras: [String: SafeTensors.Entry] = [:]
        if let boosted { extras[BoostedTrees.tensorName] = SafeTensors.Entry(bytes: try boosted.booster.serialized()) }
        try ModelFile.write(parameters: network.parameters, config: config, extraTensors: extras, to: url)
    }

    /// Reads a model file and checks that its feature spec fits its network.
    public static func read(from url: URL) throws -> ForecastModel {
        try decode(SafeTensors.contents(of: url), path: url.path)
    }

    /// Reads a model file held in memory (`read(from:)` without the file system; fuzzing).
    /// - Parameter path: the name errors give.
    public static func decode(_ bytes: Data, path: String) throws -> ForecastModel {
        let (parameters, config, extras) = try ModelFile.decode(bytes, path: path, extraTensors: [BoostedTrees.tensorName])
        func section<T: Decodable>(_ value: JSONValue, _ name: String, as type: T.Type) throws -> T {
            try Self.section(value, name, as: type, path: path)
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
        let (boosted, ensemble) = try decodeBoosted(config: config, extras: extras, columns: labels.columns,
                                                    attributes: spec.attributes, path: path)
        let model = ForecastModel(network: ChurnNetwork(shape: shape, parameters: parameters), data: data, calibration: config.calibration,
                                  baselines: baselines, training: hyper.training, history: history, dataSummary: summary,
                                  boosted: boosted, ensemble: ensemble)
        return model
    }

    /// A config section decoded as `T`, or `ModelFileError.invalidConfig` naming it.
    private static func section<T: Decodable>(_ value: JSONValue, _ name: String, as type: T.Type, path: String) throws -> T {
        do { return try value.decode(T.self) } catch {
            throw ModelFileError.invalidConfig(path: path, reason: "section '\(name)' is malformed (\(ModelFile.describe(error)))")
        }
    }

    /// The booster, its tabular spec and the stacking weights: all three or none (a model
    /// trained without XGBoost), a booster XGBoost loads whose width is the spec's, finite weights.
    private static func decodeBoosted(config: ModelConfig, extras: [String: SafeTensors.Entry], columns: ColumnMapping,
                                      attributes: AttributeSpec, path: String) throws -> (BoostedTrees?, EnsembleWeights?) {
        let tensor = extras[BoostedTrees.tensorName]
        switch (tensor, config.tabular, config.xgboost) {
        case (nil, nil, nil):
            guard config.ensemble == nil else {
                throw ModelFileError.invalidConfig(path: path, reason: "section 'ensemble' without a booster")
            }
            return (nil, nil)
        case (let tensor?, let tabularJSON?, let recordJSON?):
            let spec = try section(tabularJSON, "tabular", as: TabularSpec.self, path: path)
            let record = try section(recordJSON, "xgboost", as: BoosterRecord.self, path: path)
            if let reason = spec.inconsistency { throw ModelFileError.invalidConfig(path: path, reason: reason) }
            guard spec.valueColumns == columns.values else {
                throw ModelFileError.invalidConfig(path: path, reason: "the value columns of 'tabular' and 'labels' differ")
            }
            guard spec.attributes == attributes else {
                throw ModelFileError.invalidConfig(path: path, reason: "the attributes of 'tabular' and 'features' differ")
            }
            let booster: Booster
            do {
                guard tensor.dtype == .u8, tensor.shape.count == 1 else {
                    throw BoostingError.corruptModel("it is \(tensor.dtype.rawValue) of shape \(tensor.shape), not a U8 byte string")
                }
                booster = try Booster(serialized: try tensor.bytes())
            } catch let error as BoostingError {
                throw ModelFileError.invalidTensor(path: path, name: BoostedTrees.tensorName, reason: "\(error)")
            }
            guard booster.featureCount == spec.featureCount else {
                throw ModelFileError.invalidTensor(path: path, name: BoostedTrees.tensorName,
                                                   reason: "the booster reads \(booster.featureCount) features, 'tabular' defines \(spec.featureCount)")
            }
            let ensemble = try config.ensemble.map { try section($0, "ensemble", as: EnsembleWeights.self, path: path) }
            if let ensemble, !ensemble.isFinite {
                throw ModelFileError.invalidConfig(path: path, reason: "the ensemble weights are not finite")
            }
            return (BoostedTrees(spec: spec, booster: booster, record: record), ensemble)
        default:
            throw ModelFileError.invalidConfig(
                path: path, reason: "the booster needs the tensor '\(BoostedTrees.tensorName)' and the sections 'tabular' and 'xgboost'; "
                    + "the file holds \(tensor == nil ? "no" : "the") tensor, \(config.tabular == nil ? "no" : "a") 'tabular' and "
                    + "\(config.xgboost == nil ? "no" : "an") 'xgboost' section")
        }
    }
}
