import ChurnSupport
import EventLog
import Snapshots

/// Every model the tools compare, by name: the forecaster's own models (the ensemble, the LSTM,
/// XGBoost) and the baselines, in report order.
///
/// Train, evaluate, predict and the reports take names, display names and order from here, so a
/// new baseline is one file and one line in `baselines`.
public enum ModelRegistry {
    /// The stacked forecast of the LSTM and XGBoost, the headline of a model with a booster.
    public static let ensemble = "ensemble"
    /// The sequence model, the headline of a model without a booster.
    public static let lstm = "lstm"
    /// Gradient-boosted trees on the tabular features.
    public static let xgboost = "xgboost"

    /// The forecaster's own models with their display names, in report order.
    public static let forecasters: [(name: String, displayName: String)] = [
        (ensemble, "Ensemble (LSTM + XGBoost)"), (lstm, "LSTM"), (xgboost, "XGBoost"),
    ]

    /// The baselines, in report order.
    public static let baselines: [any Baseline.Type] = [
        AggregateLogistic.self,
        RFMLogistic.self,
        BGNBDBaseline.self,
        RecencyRule.self,
    ]

    /// The baselines whose fit the model file keeps.
    public static var storedBaselines: [any StoredBaseline.Type] { baselines.compactMap { $0 as? any StoredBaseline.Type } }

    /// All model names in report order.
    public static var order: [String] { forecasters.map(\.name) + baselines.map { $0.name } }

    /// The name reports show for `model` (the name itself for models not registered).
    public static func displayName(_ model: String) -> String {
        if let own = forecasters.first(where: { $0.name == model }) { return own.displayName }
        return baselines.first { $0.name == model }?.displayName ?? model
    }

    /// The registered baseline named `name`.
    public static func baseline(named name: String) -> (any Baseline.Type)? {
        baselines.first { $0.name == name }
    }
}

/// The fitted baselines of a model file, by name.
public struct FittedBaselines: Sendable {
    public var fits: [String: any StoredBaseline]

    public init(fits: [String: any StoredBaseline] = [:]) { self.fits = fits }

    /// Fits every `.training` baseline of the registry on the labelled `rows`.
    public static func fit(on rows: [SnapshotRow], in context: BaselineContext) throws -> FittedBaselines {
        var fits: [String: any StoredBaseline] = [:]
        for type in ModelRegistry.storedBaselines where type.fitting == .training {
            fits[type.name] = try type.fit(on: rows, in: context)
        }
        return FittedBaselines(fits: fits)
    }

    /// The model file's `baselines` section (`null` for a model without baselines).
    public func section() throws -> JSONValue {
        var object: [String: JSONValue] = [:]
        for type in ModelRegistry.storedBaselines { try fits[type.name]?.store(in: &object) }
        return .object(object)
    }

    /// Reads the `baselines` section; `nil` when it is `null`.
    public init?(section: JSONValue) throws {
        guard case .object(let object) = section else {
            if case .null = section { return nil }
            throw DecodingError.typeMismatch([String: JSONValue].self,
                                             .init(codingPath: [], debugDescription: "the baselines section is not an object"))
        }
        var fits: [String: any StoredBaseline] = [:]
        for type in ModelRegistry.storedBaselines {
            if let fit = try type.init(section: object) { fits[type.name] = fit }
        }
        self.init(fits: fits)
    }

    /// Scores of every registered baseline on `rows`, in registry order: stored fits as they
    /// are, `.scoredRows` baselines fitted on `rows` first. A baseline that cannot be fitted is
    /// left out, with a warning.
    public func scores(_ rows: [SnapshotRow], in context: BaselineContext)
        throws -> (scores: [(type: any Baseline.Type, scores: [Double])], warnings: [String]) {
        var out: [(type: any Baseline.Type, scores: [Double])] = []
        var warnings: [String] = []
        for type in ModelRegistry.baselines {
            switch type.fitting {
            case .training:
                guard let fit = fits[type.name] else { continue }
                out.append((type, try fit.scores(rows, in: context)))
            case .scoredRows:
                do {
                    out.append((type, try type.fit(on: rows, in: context).scores(rows, in: context)))
                } catch {
                    warnings.append("\(type.displayName) could not be fitted (\(error)); it is left out")
                }
            }
        }
        return (out, warnings)
    }
}
