/// One model's predictions for a comparison.
public struct ModelScores: Sendable {
    /// The name used in metrics.json (`lstm`, `recency`, `rfm_logistic`, `bg_nbd`, …).
    public var name: String
    /// Ranking scores, higher = more likely to churn (n).
    public var scores: [Double]
    /// Churn probabilities for log loss, Brier and ECE, or nil for a rule without probabilities.
    public var probabilities: [Double]?

    public init(name: String, scores: [Double], probabilities: [Double]?) {
        self.name = name
        self.scores = scores
        self.probabilities = probabilities
    }

    /// A model whose scores are probabilities (used for both roles).
    public init(name: String, probabilities: [Double]) {
        self.init(name: name, scores: probabilities, probabilities: probabilities)
    }
}

/// The `models` and `differences` sections of metrics.json for several models.
public struct ModelComparison: Codable, Equatable, Sendable {
    /// Metrics per model name.
    public var models: [String: MetricSet]
    /// AUC(reference) − AUC(model) and log loss(reference) − log loss(model) with their paired
    /// intervals, per non-reference model name.
    public var differences: [String: AUCDifference]

    /// Evaluates every model on the same customers and compares each with the reference.
    ///
    /// All AUC intervals and paired differences come from one set of resamples (`Bootstrap.compare`).
    /// With a single class in the labels nothing throws: AUC-based values are NaN (null in JSON),
    /// `differences` is empty, and every `MetricSet` carries a `.singleClass` warning.
    /// - Parameters:
    ///   - models: The models, each with n scores in the same customer order.
    ///   - labels: `true` for churned customers (n).
    ///   - reference: Name of the model the differences are taken from (e.g. `lstm`).
    ///   - bootstrap: Resampling settings (default 1000 resamples, seed 0).
    /// - Throws: `EvaluationError` for empty or mismatched input, duplicate names, or an unknown reference.
    /// - Complexity: O(M · n log n + resamples · M · n).
    public static func evaluate(models: [ModelScores], labels: [Bool], reference: String,
                                bootstrap: Bootstrap = Bootstrap()) throws -> ModelComparison {
        guard let referenceIndex = models.firstIndex(where: { $0.name == reference }) else {
            throw EvaluationError.invalidParameter("reference model \(reference) is not among the models")
        }
        guard Set(models.map(\.name)).count == models.count else {
            throw EvaluationError.invalidParameter("model names must be unique")
        }
        var sets: [String: MetricSet] = [:]
        for model in models {
            sets[model.name] = try MetricSet.compute(scores: model.scores, labels: labels,
                                                     probabilities: model.probabilities, bootstrap: nil)
        }
        var differences: [String: AUCDifference] = [:]
        let positives = labels.lazy.filter { $0 }.count
        if positives > 0 && positives < labels.count {
            let comparison = try bootstrap.compare(models: models.map(\.scores), labels: labels, reference: referenceIndex)
            var logLoss = [BootstrapInterval?](repeating: nil, count: models.count)
            if models[referenceIndex].probabilities != nil {
                let losses = try models.map { try $0.probabilities.map { try Metrics.logLosses(probabilities: $0, labels: labels) } }
                logLoss = try bootstrap.compareMeans(losses: losses, reference: referenceIndex)
            }
            for (m, model) in models.enumerated() {
                let interval = comparison.intervals[m]
                sets[model.name]?.rocAUCCI95 = interval.bounds
                if interval.skipped > 0 {
                    sets[model.name]?.warnings.append(.bootstrapResamplesSkipped(skipped: interval.skipped, of: interval.resamples))
                }
                if m != referenceIndex { differences[model.name] = AUCDifference(comparison.differences[m], logLoss: logLoss[m]) }
            }
        }
        return ModelComparison(models: sets, differences: differences)
    }
}
