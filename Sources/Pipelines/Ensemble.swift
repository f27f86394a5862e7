import Baselines
import ChurnSupport
import Foundation

/// Which forecast a scoring run reports.
public enum ScorerChoice: String, CaseIterable, Sendable {
    /// The stacked forecast `sigmoid(a · lstm_logit + b · xgboost_margin + c)` (the default when
    /// the model has a booster).
    case ensemble
    /// The LSTM alone, Platt-calibrated (the default without a booster).
    case lstm
    /// XGBoost alone, `sigmoid(margin)`.
    case xgboost

    /// The forecast's name in metrics.json and the reports (`ModelRegistry`).
    public var modelName: String {
        switch self {
        case .ensemble: return ModelRegistry.ensemble
        case .lstm: return ModelRegistry.lstm
        case .xgboost: return ModelRegistry.xgboost
        }
    }
}

/// The stacking weights of the headline forecast (config section `ensemble`):
/// `ensemble_logit = a · lstm_logit + b · xgboost_margin + c`, `churn_probability = sigmoid(ensemble_logit)`,
/// with `lstm_logit` the head's raw output (before Platt calibration) and `xgboost_margin` the
/// booster's untransformed margin.
///
/// `a, b, c` come from a logistic regression of the validation labels on the two validation
/// scores, so the forecast is calibrated by construction. The validation figures of the ensemble
/// are cross-fitted: each fold of validation customers is scored with weights fitted on the
/// other folds, so no weight is judged on the rows that fitted it.
public struct EnsembleWeights: Codable, Equatable, Sendable {
    public struct Weights: Codable, Equatable, Sendable {
        public var lstm: Double
        public var xgboost: Double
    }

    public var weights: Weights
    public var bias: Double

    /// Folds of the cross-fitted validation scores.
    public static let folds = 5

    public init(lstm: Double, xgboost: Double, bias: Double) {
        weights = Weights(lstm: lstm, xgboost: xgboost)
        self.bias = bias
    }

    /// Whether every weight is finite (a model file's are checked on reading).
    public var isFinite: Bool { weights.lstm.isFinite && weights.xgboost.isFinite && bias.isFinite }

    /// `a · lstm_logit + b · xgboost_margin + c`, in double precision.
    public func logit(lstm: Float, xgboost: Float) -> Double {
        weights.lstm * Double(lstm) + weights.xgboost * Double(xgboost) + bias
    }

    /// `sigmoid(logit(lstm:xgboost:))`.
    public func probability(lstm: Float, xgboost: Float) -> Double { sigmoid(logit(lstm: lstm, xgboost: xgboost)) }

    /// Fits the weights on validation scores.
    ///
    /// The regression is L2-regularized only nominally (scikit-learn's `C = 100` on standardized
    /// inputs, which matters only when the two scores are collinear); its weights are converted
    /// back to raw score units.
    /// - Throws: `EvaluationError` for mismatched, non-finite or single-class input.
    public static func fit(lstmLogits: [Float], margins: [Float], labels: [Bool]) throws -> EnsembleWeights {
        let rows = zip(lstmLogits, margins).map { [Double($0), Double($1)] }
        let regression = try LogisticRegression.fit(features: rows, labels: labels, featureNames: ["lstm", "xgboost"], c: 100)
        let a = regression.weights[0] / regression.stds[0], b = regression.weights[1] / regression.stds[1]
        return EnsembleWeights(lstm: a, xgboost: b, bias: regression.intercept - a * regression.means[0] - b * regression.means[1])
    }

    /// Cross-fitted ensemble probabilities of validation rows: the customers are dealt into
    /// `folds` folds (seeded shuffle), and each fold is scored with weights fitted on the others.
    /// A fold whose complement holds one class only is scored with `fallback`.
    /// - Parameters:
    ///   - groups: the customer of each row; rows of one customer share a fold.
    /// - Complexity: O(folds · n).
    public static func crossFitted(lstmLogits: [Float], margins: [Float], labels: [Bool], groups: [Int32],
                                   seed: UInt64, fallback: EnsembleWeights, folds: Int = folds) -> [Double] {
        precondition(lstmLogits.count == labels.count && margins.count == labels.count && groups.count == labels.count)
        var customers = Array(Set(groups)).sorted()
        var generator = SeededGenerator(seed: seed ^ 0x5eed_f01d)
        generator.shuffle(&customers)
        let foldOf = Dictionary(uniqueKeysWithValues: customers.enumerated().map { ($1, $0 % folds) })
        let fold = groups.map { foldOf[$0]! }
        var out = [Double](repeating: .nan, count: labels.count)
        for k in 0..<folds {
            let fitRows = fold.indices.filter { fold[$0] != k }, scoreRows = fold.indices.filter { fold[$0] == k }
            guard !scoreRows.isEmpty else { continue }
            let weights = (try? fit(lstmLogits: fitRows.map { lstmLogits[$0] }, margins: fitRows.map { margins[$0] },
                                    labels: fitRows.map { labels[$0] })) ?? fallback
            for i in scoreRows { out[i] = weights.probability(lstm: lstmLogits[i], xgboost: margins[i]) }
        }
        return out
    }
}

/// The logistic function, computed without overflow.
@inline(__always) func sigmoid(_ z: Double) -> Double {
    z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z))
}
