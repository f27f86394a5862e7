import ChurnSupport
import Foundation
import TensorKit

/// Why a model file was refused.
public enum ModelFileError: CategorizedError, RemedyProviding, Equatable {
    public var category: ErrorCategory { .badData }

    case notAModel(path: String, reason: String)
    case unsupportedFormat(path: String, format: String)
    case invalidConfig(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case wrongShape(path: String, name: String, expected: [Int], found: [Int])
    case unexpectedTensor(path: String, name: String)
    case nonFinite(path: String, name: String)
    /// A tensor besides the parameters (the booster) whose contents are unusable.
    case invalidTensor(path: String, name: String, reason: String)

    /// What the user can do about it.
    public var remedy: String {
        switch self {
        case .notAModel: return "give a model file written by churn-train"
        case .unsupportedFormat: return "use the churn-forecaster version that wrote it, or retrain with this one"
        default: return "the file is damaged or was edited: restore it or retrain with churn-train"
        }
    }

    public var description: String {
        switch self {
        case .notAModel(let path, let reason):
            return "\(path) is not a readable model file: \(reason)"
        case .unsupportedFormat(let path, let format):
            return "\(path) has format '\(format)', but this version reads '\(ModelConfig.format)' (written by a newer or different tool?)"
        case .invalidConfig(let path, let reason):
            return "\(path) has an invalid config: \(reason)"
        case .missingTensor(let path, let name):
            return "\(path) lacks tensor '\(name)'"
        case .wrongShape(let path, let name, let expected, let found):
            return "\(path): tensor '\(name)' has shape \(found), but the config implies \(expected)"
        case .unexpectedTensor(let path, let name):
            return "\(path) holds an unexpected tensor '\(name)'"
        case .nonFinite(let path, let name):
            return "\(path): tensor '\(name)' holds NaN or infinite weights"
        case .invalidTensor(let path, let name, let reason):
            return "\(path): tensor '\(name)' is unusable: \(reason)"
        }
    }
}

/// The model file: a safetensors file holding every parameter as an F32 tensor under its
/// PyTorch name and shape (`embedding.weight`, `lstm.weight_ih_l0`, …, `head.weight`,
/// `head.bias`), the extra tensors the caller names (the booster's `xgboost.model`), nothing
/// else, and two `__metadata__` entries: `format` = `churn-forecaster/1` and `config`, the
/// `ModelConfig` as JSON.
public enum ModelFile {
    /// Writes parameters, extra tensors and config atomically.
    /// - Parameter extraTensors: tensors besides the parameters, under names no parameter has.
    /// - Throws: `ModelError.nonFinite` rather than writing NaN or infinite weights.
    public static func write(parameters: ParameterSet, config: ModelConfig, extraTensors: [String: SafeTensors.Entry] = [:],
                             to url: URL) throws {
        precondition(parameters.shape == config.network, "config does not describe these parameters")
        precondition(extraTensors.keys.allSatisfy { parameters.entry(named: $0) == nil }, "an extra tensor has a parameter's name")
        guard parameters.valuesAreFinite else { throw ModelError.nonFinite("model parameters (not written)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
        var file = SafeTensors.File(tensors: extraTensors, metadata: ["format": ModelConfig.format, "config": configJSON])
        for entry in parameters.entries {
            file.tensors[entry.name] = SafeTensors.Entry(parameters.tensor(named: entry.name)!)
        }
        try SafeTensors.write(file, to: url)
    }

    /// Reads and validates a model file: format, config, every tensor's presence, dtype and
    /// shape against the config, and finiteness of every weight.
    public static func read(from url: URL) throws -> (parameters: ParameterSet, config: ModelConfig) {
        let (parameters, config, _) = try decode(SafeTensors.contents(of: url), path: url.path)
        return (parameters, config)
    }

    /// The largest dimension a model file may declare (vocabulary, embedding, numeric features,
    /// hidden size): far beyond any real model, small enough that no size computation overflows.
    public static let maximumDimension = 1 << 24

    /// Validates a model file held in memory (`read(from:)` without the file system; fuzzing).
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name errors give.
    ///   - extraTensors: the names of tensors besides the parameters that the file may hold;
    ///     the caller validates their contents.
    /// - Returns: the parameters, the config and the extra tensors the file holds.
    /// - Throws: `ModelFileError` naming `path`.
    public static func decode(_ bytes: Data, path: String, extraTensors: Set<String> = [])
        throws -> (parameters: ParameterSet, config: ModelConfig, extras: [String: SafeTensors.Entry]) {
        let file: SafeTensors.File
        do { file = try SafeTensors.decode(bytes) } catch let error as SafeTensorsError {
            throw ModelFileError.notAModel(path: path, reason: "\(error)")
        }
        guard let format = file.metadata["format"] else {
            throw ModelFileError.notAModel(path: path, reason: "a safetensors file without the churn-forecaster 'format' metadata (a foreign model?)")
        }
        guard format.hasPrefix("churn-forecaster/") else {
            throw ModelFileError.notAModel(path: path, reason: "a safetensors file of format '\(format)', not a churn-forecaster model")
        }
        guard format == ModelConfig.format else { throw ModelFileError.unsupportedFormat(path: path, format: format) }
        guard let configText = file.metadata["config"] else { throw ModelFileError.invalidConfig(path: path, reason: "no 'config' metadata") }
        let config: ModelConfig
        do { config = try JSONDecoder().decode(ModelConfig.self, from: Data(configText.utf8)) } catch {
            throw ModelFileError.invalidConfig(path: path, reason: Self.describe(error))
        }
        let n = config.network
        let dimensions = 0...maximumDimension
        guard n.vocabularySize >= 2, dimensions.contains(n.vocabularySize), dimensions.contains(n.embeddingSize),
              dimensions.contains(n.numericSize), n.inputSize >= 1, n.hiddenSize >= 1, n.hiddenSize <= 65_536,
              n.numLayers >= 1, n.numLayers <= 64 else {
            throw ModelFileError.invalidConfig(path: path, reason: "implausible network shape (vocabulary \(n.vocabularySize), embedding \(n.embeddingSize), "
                                               + "numeric features \(n.numericSize), hidden \(n.hiddenSize), layers \(n.numLayers))")
        }
        // Every tensor is checked against the file before anything is allocated for the shape.
        var expected = Set<String>()
        for (name, shape) in n.parameterShapes {
            expected.insert(name)
            guard let tensor = file.tensors[name] else { throw ModelFileError.missingTensor(path: path, name: name) }
            guard tensor.dtype == .f32 else {
                throw ModelFileError.notAModel(path: path, reason: "tensor '\(name)' is \(tensor.dtype.rawValue), expected F32")
            }
            guard tensor.shape == shape else {
                throw ModelFileError.wrongShape(path: path, name: name, expected: shape, found: tensor.shape)
            }
        }
        if let extra = file.tensors.keys.sorted().first(where: { !expected.contains($0) && !extraTensors.contains($0) }) {
            throw ModelFileError.unexpectedTensor(path: path, name: extra)
        }
        let parameters = ParameterSet(shape: n)
        for entry in parameters.entries {
            let values = try file.tensors[entry.name]!.floats()
            guard values.allSatisfy(\.isFinite) else { throw ModelFileError.nonFinite(path: path, name: entry.name) }
            parameters.set(entry.name, Tensor(shape: entry.shape, storage: values))
        }
        return (parameters, config, file.tensors.filter { extraTensors.contains($0.key) && !expected.contains($0.key) })
    }

    /// A decoding error in a few words, naming the JSON key path.
    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default:
            return "\(error)"
        }
    }
}
