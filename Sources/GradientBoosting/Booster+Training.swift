import CXGBoost
import ChurnSupport
import Foundation

/// What training reports after each boosting round.
public struct BoostingRound: Equatable, Sendable {
    /// The round just finished, from 0; the model then holds `round + 1` trees.
    public var round: Int
    /// XGBoost's (weighted) log loss on the training rows.
    public var trainingLogLoss: Double
    /// XGBoost's log loss on the validation rows; nil without a validation set.
    public var validationLogLoss: Double?
    /// Whether this round has the lowest validation log loss so far (every round without validation).
    public var isBest: Bool
}

extension Booster {
    /// Trains a booster round by round, stopping early on the validation log loss, and returns the
    /// model cut to its best round.
    ///
    /// Each round grows one tree (XGBoosterUpdateOneIter) and evaluates the log loss on the
    /// training and validation rows (XGBoosterEvalOneIter). With a validation set, training stops
    /// once `parameters.earlyStoppingRounds` rounds have passed without a strictly lower validation
    /// log loss (or after `maxRounds`), and the model keeps exactly the trees of the round with the
    /// lowest validation log loss (XGBoosterSlice); without one it keeps all `parameters.maxRounds`
    /// trees. The returned booster is reloaded from its own model bytes, so it holds no training
    /// state and predicts exactly like `Booster(serialized: booster.serialized())`. The same data, seed and thread count give the
    /// same model bytes.
    /// - Parameters:
    ///   - features: `labels.count × featureCount` row-major values, NaN for missing.
    ///   - labels: one label in [0, 1] per row (1 = churned).
    ///   - weights: one non-negative weight per row, or nil for equal weights.
    ///   - validation: rows for early stopping, in the same layout.
    ///   - progress: called after every round.
    ///   - shouldStop: polled after every round; when true, training throws `BoostingError.interrupted`.
    /// - Throws: `BoostingError` for bad parameters, mismatched sizes, labels outside [0, 1] or
    ///   infinite features, and the interruption.
    public static func train(features: [Float], labels: [Float], weights: [Float]? = nil, featureCount: Int,
                             validation: (features: [Float], labels: [Float])? = nil,
                             parameters: BoosterParameters = BoosterParameters(),
                             progress: (BoostingRound) -> Void = { _ in },
                             shouldStop: () -> Bool = { false }) throws -> Booster {
        try parameters.validate()
        guard featureCount >= 1 else { throw BoostingError.invalidParameter("featureCount must be ≥ 1, got \(featureCount)") }
        try checkRows(features, labels: labels, weights: weights, featureCount: featureCount, what: "the training set")
        if let validation {
            try checkRows(validation.features, labels: validation.labels, weights: nil, featureCount: featureCount,
                          what: "the validation set")
        }
        XGBoost.silenceCallingThread()
        let threads = parameters.threads
        let train = try DMatrix.labeled(features, labels: labels, weights: weights, featureCount: featureCount, threads: threads)
        let valid = try validation.map {
            try DMatrix.labeled($0.features, labels: $0.labels, weights: nil, featureCount: featureCount, threads: threads)
        }
        let sets = [(train, "train")] + (valid.map { [($0, "validation")] } ?? [])
        let booster = Booster(handle: try createHandle(caching: sets.map(\.0)), featureCount: featureCount, threads: threads)
        for (name, value) in parameters.xgboostParameters {
            try XGBoost.check(XGBoosterSetParam(booster.handle, name, value), "XGBoosterSetParam(\(name))",
                              failure: { .invalidParameter("XGBoost refused \(name)=\(value): \($0)") })
        }

        var best: (round: Int, loss: Double)?
        for round in 0..<parameters.maxRounds {
            try XGBoost.check(XGBoosterUpdateOneIter(booster.handle, Int32(round), train.handle), "XGBoosterUpdateOneIter")
            let losses = try evaluate(booster.handle, round: round, on: sets)
            guard losses.allSatisfy(\.isFinite) else {
                throw BoostingError.invalidData("the log loss became non-finite in round \(round) (\(losses))")
            }
            let validationLoss = valid == nil ? nil : losses[1]
            let isBest: Bool
            if let best, let validationLoss { isBest = validationLoss < best.loss } else { isBest = true }
            if isBest { best = (round, validationLoss ?? losses[0]) }
            progress(BoostingRound(round: round, trainingLogLoss: losses[0], validationLogLoss: validationLoss, isBest: isBest))
            if shouldStop() { throw BoostingError.interrupted(round: round + 1) }
            if valid != nil, let patience = parameters.earlyStoppingRounds, let best, round - best.round >= patience { break }
        }

        // Keep exactly the best round's trees, then reload so the result holds no training state.
        let bestRounds = (best?.round ?? parameters.maxRounds - 1) + 1
        var kept = booster
        if try booster.roundCount > bestRounds {
            var sliced: BoosterHandle?
            try XGBoost.check(XGBoosterSlice(booster.handle, 0, Int32(bestRounds), 1, &sliced), "XGBoosterSlice")
            guard let sliced else { throw BoostingError.library(call: "XGBoosterSlice", message: "no booster returned") }
            kept = Booster(handle: sliced, featureCount: featureCount, threads: threads)
        }
        return try Booster(serialized: try kept.serialized(), threads: threads)
    }
}
