import ChurnSupport
import EventLog
import Features
import Foundation
import GradientBoosting
import Snapshots

/// What the model file records about the booster besides its trees (config section `xgboost`).
public struct BoosterRecord: Codable, Equatable, Sendable {
    /// The settings it was trained with (seed and thread count included: together with the data
    /// they determine the booster's bytes).
    public var parameters: BoosterParameters
    /// Trees kept: the round with the lowest validation log loss.
    public var rounds: Int
    /// Rounds grown before early stopping.
    public var roundsGrown: Int
    /// Validation log loss of the kept trees.
    public var validationLogLoss: Double?
    /// Seconds to compute the tabular features and to grow the trees.
    public var featureSeconds: Double
    public var trainingSeconds: Double
}

/// The gradient-boosted part of a forecaster: XGBoost on the tabular features of each snapshot
/// row at its cutoff (`TabularSpec`), trained on the LSTM's training customers with early
/// stopping on its validation customers.
public struct BoostedTrees: @unchecked Sendable {
    /// The tabular feature layout, fitted on the training rows.
    public let spec: TabularSpec
    /// The trees; `booster.featureCount == spec.featureCount`.
    public let booster: Booster
    public let record: BoosterRecord

    /// The model file's tensor holding the booster's JSON model bytes.
    public static let tensorName = "xgboost.model"

    public init(spec: TabularSpec, booster: Booster, record: BoosterRecord) {
        precondition(booster.featureCount == spec.featureCount, "the booster and the tabular spec differ in width")
        self.spec = spec
        self.booster = booster
        self.record = record
    }

    /// Fits the tabular spec on `training` and grows trees on it, stopping early on `validation`.
    /// - Parameters:
    ///   - positiveWeight: the loss weight of churners (as the LSTM's).
    ///   - attributes: the customer attributes' encoding (the table's last columns).
    ///   - progress: after every round, with the most rounds.
    ///   - shouldStop: polled after every round (Ctrl-C); training then throws `BoostingError.interrupted`.
    /// - Returns: the trees and their validation margins (in `validation` order).
    /// - Throws: `BoostingError`, `EventLogError` for rows the spec cannot be fitted on.
    public static func train(store: EventStore, training: [SnapshotRow], validation: [SnapshotRow],
                             parameters: BoosterParameters, positiveWeight: Float, attributes: AttributeSpec = .none,
                             progress: (BoostingRound) -> Void = { _ in }, shouldStop: () -> Bool = { false })
        throws -> (trees: BoostedTrees, validationMargins: [Float]) {
        let featureStart = Date()
        let spec = try TabularSpec.fit(store: store, rows: training, attributes: attributes)
        let featurizer = TabularFeaturizer(spec: spec, store: store)
        let trainX = featurizer.features(training), validX = featurizer.features(validation)
        let featureSeconds = Date().timeIntervalSince(featureStart)
        func labels(_ rows: [SnapshotRow]) -> [Float] { rows.map { $0.label == true ? 1 : 0 } }
        let trainY = labels(training)
        let weights = positiveWeight == 1 ? nil : trainY.map { $0 == 1 ? positiveWeight : 1 }

        let trainStart = Date()
        var grown = 0
        var best: Double?
        let booster = try Booster.train(
            features: trainX, labels: trainY, weights: weights, featureCount: spec.featureCount,
            validation: validation.isEmpty ? nil : (validX, labels(validation)), parameters: parameters,
            progress: { round in
                grown = round.round + 1
                if round.isBest { best = round.validationLogLoss }
                progress(round)
            },
            shouldStop: shouldStop)
        let record = BoosterRecord(parameters: parameters, rounds: try booster.roundCount, roundsGrown: grown,
                                   validationLogLoss: best, featureSeconds: featureSeconds,
                                   trainingSeconds: Date().timeIntervalSince(trainStart))
        let margins = validation.isEmpty ? [] : try booster.margins(features: validX, rowCount: validation.count)
        return (BoostedTrees(spec: spec, booster: booster, record: record), margins)
    }

    /// The booster's untransformed margins of feature rows.
    public func margins(features: [Float], rowCount: Int) throws -> [Float] {
        try booster.margins(features: features, rowCount: rowCount)
    }
}
