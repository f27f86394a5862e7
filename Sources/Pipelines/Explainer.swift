import Baselines
import ChurnModel
import EventLog
import Features
import Foundation
import GradientBoosting
import Snapshots
import TensorKit

/// One reason of a forecast: a group of inputs and how much it moves the forecast.
public struct Reason: Sendable {
    public var group: ReasonGroup
    /// Signed, in probability points of the forecast (0.12: twelve points up).
    public var contribution: Double
    /// The same in logit units of the scorer (before the conversion to probability points).
    public var logit: Double
    /// With the customer's own values; empty for reasons not among the ones described.
    public var description: String
}

/// Why one customer gets its forecast: `base + Σ reasons.contribution = probability`.
public struct Explanation: Sendable {
    public var probability: Double
    /// The base value, the same for every customer (`Explainer.baseProbability`).
    public var base: Double
    /// Every group with a non-zero contribution, largest contribution first.
    public var reasons: [Reason]
    /// The LSTM part's integration error in logit units: its attributions' sum minus the change
    /// of its logit from the reference input (0 for `--scorer xgboost`).
    public var integrationError: Double
}

/// Reason codes for every forecast of a model, faithful to the model that makes it.
///
/// - **XGBoost**: TreeSHAP from the library (the exact contribution of every table column to the
///   margin, plus the expected margin as bias), summed per `ReasonGroup`; a pair's columns split
///   equally between their two types.
/// - **LSTM**: integrated gradients through the network's own backward pass, from a reference
///   input `x'` to the customer's `x`: every event step's inputs (its embedding and numeric
///   features) go from 0 to their values, the cutoff step's from the reference cutoff step (the
///   `<cutoff>` embedding; each feature at its training mean, i.e. 0 after standardization, except
///   the features every customer has at the same value there) to the customer's. The attribution
///   of an input is `(x − x') · ∫₀¹ ∂logit/∂x (x' + α(x − x')) dα`, by the `steps`-point
///   midpoint rule; an event step's attributions go to its event type, a cutoff-step feature's to its
///   group (`FeatureSpec.cutoffStepGroups`). `x'` has the customer's number of steps; the logit
///   difference between it and the one-step reference (a customer with no history) goes to
///   `activity`, the length of the history. The attributions then sum to the logit minus the
///   one-step reference's logit, up to the integration error (`Explanation.integrationError`).
/// - **Ensemble**: the parts' attributions weighted by the stacking weights in logit space.
///
/// Logit attributions become probability points by one factor per customer, `(p − p₀) / Σ`
/// with `p₀ = sigmoid(L₀)` the base value (`L₀`: the scorer's logit of the reference — the
///  LSTM's one-step reference logit, XGBoost's expected margin — through the scorer's formula),
/// so the contributions sum to `p − p₀` exactly and keep the signs and ratios of the logit ones.
public final class Explainer {
    public let model: ForecastModel
    public let store: EventStore
    public let choice: ScorerChoice
    /// Midpoint-rule points of the integrated gradients.
    public let steps: Int
    /// The base value of every explanation, `sigmoid(baseLogit)`.
    public private(set) var baseProbability: Double = 0
    /// The scorer's logit of the reference (`L₀`).
    public var baseLogit: Double { referenceCombinedLogit }

    private let cutoffGroups: [ReasonGroup?]
    private let columnGroups: [[ReasonGroup]]?
    /// The reference cutoff step (I values: the `<cutoff>` embedding, then the numeric features).
    private let baseline: [Float]
    /// The LSTM's logit of the one-step reference.
    private var referenceLogit: Float = 0
    private let describer: ReasonDescriber
    private let known: Set<String>

    /// - Throws: `PipelineError.scorerUnavailable` when the model cannot make `choice`.
    public init(model: ForecastModel, store: EventStore, choice: ScorerChoice, steps: Int = 8) throws {
        precondition(steps >= 1)
        self.model = model
        self.store = store
        self.choice = try model.scorer(choice)
        self.steps = steps
        let spec = model.features
        cutoffGroups = spec.cutoffStepGroups
        columnGroups = model.boosted?.spec.columnGroups
        let shape = model.network.shape
        let E = shape.embeddingSize
        var base = [Float](repeating: 0, count: shape.inputSize)
        let embedding = model.network.parameters.entry(named: "embedding.weight")!
        for e in 0..<E { base[e] = model.network.parameters.values[embedding.offset + Int(FeatureSpec.cutoffID) * E + e] }
        // Features with the same value for every customer on the cutoff step keep it: the
        // featurizer's own arithmetic, so the difference is exactly 0.
        for (j, feature) in spec.numericFeatures.enumerated() where cutoffGroups[j] == nil && feature.scope != .event {
            base[E + j] = (0 - feature.mean) * (1 / feature.std)
        }
        baseline = base
        describer = ReasonDescriber(store: store, attributes: spec.attributes)
        known = Set(spec.eventTypes).union(model.boosted?.spec.eventTypes ?? [])
        let reference = SequenceBatch(lengths: [1], eventIDs: [FeatureSpec.cutoffID], numeric: Array(base[E...]), labels: nil)
        referenceLogit = try model.network.forward(reference, mode: .inference)[0]
        baseProbability = sigmoid(referenceCombinedLogit)
    }

    /// The reference's logit under the scorer (`L₀`).
    private var referenceCombinedLogit: Double {
        let bias = model.boosted.map { _ in xgboostBias } ?? 0
        switch choice {
        case .lstm: return Double(model.calibration.a) * Double(referenceLogit) + Double(model.calibration.b)
        case .xgboost: return bias
        case .ensemble:
            let w = model.ensemble!
            return w.weights.lstm * Double(referenceLogit) + w.weights.xgboost * bias + w.bias
        }
    }

    /// XGBoost's expected margin (the bias column of its contributions), found on first use.
    private lazy var xgboostBias: Double = {
        guard let trees = model.boosted else { return 0 }
        let x = [Float](repeating: .nan, count: trees.spec.featureCount)
        let c = (try? trees.booster.featureContributions(features: x, rowCount: 1)) ?? []
        return c.last.map(Double.init) ?? 0
    }()

    /// Explains a batch scored with the booster when `choice` needs it, whose forecasts under
    /// `choice` are `probabilities`; describes the `describe` reasons of largest magnitude of
    /// each customer.
    public func explain(_ batch: ScoredBatch, probabilities: [Double], describe: Int) throws -> [Explanation] {
        let rows = batch.rows
        let B = rows.count
        var lstm = [[ReasonGroup: Double]](repeating: [:], count: B)
        var integrationError = [Double](repeating: 0, count: B)
        if choice != .xgboost { (lstm, integrationError) = try refinedIntegratedGradients(batch.sequences, logits: batch.logits) }
        var trees = [[ReasonGroup: Double]](repeating: [:], count: B)
        if choice != .lstm, let groups = columnGroups, let x = batch.tabular, let boosted = model.boosted {
            let width = groups.count + 1
            let contributions = try boosted.booster.featureContributions(features: x, rowCount: B)
            for r in 0..<B {
                for (j, gs) in groups.enumerated() {
                    let c = Double(contributions[r * width + j])
                    guard c != 0 else { continue }
                    for g in gs { trees[r][g, default: 0] += c / Double(gs.count) }
                }
            }
        }
        precondition(probabilities.count == B, "one probability per row")
        let p0 = baseProbability
        var out: [Explanation] = []
        out.reserveCapacity(B)
        for r in 0..<B {
            var logit: [ReasonGroup: Double] = [:]
            switch choice {
            case .lstm:
                let a = Double(model.calibration.a)
                for (g, v) in lstm[r] { logit[g] = a * v }
            case .xgboost:
                logit = trees[r]
            case .ensemble:
                let w = model.ensemble!.weights
                for (g, v) in lstm[r] { logit[g, default: 0] += w.lstm * v }
                for (g, v) in trees[r] { logit[g, default: 0] += w.xgboost * v }
            }
            let p = probabilities[r]
            let total = logit.values.reduce(0, +)
            // One factor per customer turns logit units into probability points.
            let factor = abs(total) > 1e-12 ? (p - p0) / total : p0 * (1 - p0)
            var reasons = logit.compactMap { g, v -> Reason? in
                v == 0 ? nil : Reason(group: g, contribution: v * factor, logit: v, description: "")
            }
            reasons.sort { $0.contribution != $1.contribution ? $0.contribution > $1.contribution : $0.group.key < $1.group.key }
            if describe > 0 {
                let top = reasons.indices.sorted { abs(reasons[$0].contribution) > abs(reasons[$1].contribution) }.prefix(describe)
                let texts = describer.describe(top.map { reasons[$0].group }, row: rows[rows.startIndex + r], known: known)
                for (i, text) in zip(top, texts) { reasons[i].description = text }
            }
            out.append(Explanation(probability: p, base: p0, reasons: reasons, integrationError: integrationError[r]))
        }
        return out
    }

    /// A row's integration error is refined while it exceeds this many logit units.
    public static let refinementThreshold = 0.1

    /// `integratedGradients` with `steps` points, then again for the rows whose integration error
    /// is still above `refinementThreshold` (long sequences whose gradient spikes somewhere
    /// along the path): the worst sixteenth of the batch with 4× the points, then the worst
    /// sixty-fourth of it with 16×, so refining costs at most half of the first pass. Each row
    /// keeps its most refined result.
    private func refinedIntegratedGradients(_ sequences: SequenceBatch, logits: [Float]) throws -> ([[ReasonGroup: Double]], [Double]) {
        var (groups, errors) = try integratedGradients(sequences, logits: logits, steps: steps)
        var starts = [Int](), s = 0
        for n in sequences.lengths { starts.append(s); s += n }
        let f = model.network.shape.numericSize
        for (factor, share) in [(4, 16), (16, 64)] {
            let pending = errors.indices.filter { abs(errors[$0]) > Self.refinementThreshold }
                .sorted { abs(errors[$0]) > abs(errors[$1]) }.prefix(max(1, sequences.count / share))
            if pending.isEmpty { break }
            var ids: [Int32] = [], numeric: [Float] = []
            for r in pending {
                let range = starts[r] ..< starts[r] + sequences.lengths[r]
                ids += sequences.eventIDs[range]
                numeric += sequences.numeric[(range.lowerBound * f) ..< (range.upperBound * f)]
            }
            let subset = SequenceBatch(lengths: pending.map { sequences.lengths[$0] }, eventIDs: ids, numeric: numeric)
            let (refined, refinedErrors) = try integratedGradients(subset, logits: pending.map { logits[$0] }, steps: steps * factor)
            for (k, r) in pending.enumerated() {
                groups[r] = refined[k]
                errors[r] = refinedErrors[k]
            }
        }
        return (groups, errors)
    }

    /// The LSTM's integrated gradients per group (logit units) of `sequences` with `steps`
    /// points, and each row's integration error against its inference `logits`.
    private func integratedGradients(_ sequences: SequenceBatch, logits: [Float], steps: Int) throws -> ([[ReasonGroup: Double]], [Double]) {
        let network = model.network, spec = model.features
        let shape = network.shape
        let E = shape.embeddingSize, F = shape.numericSize, I = shape.inputSize
        let S = sequences.totalSteps, B = sequences.count
        var meanGradient = [Float](repeating: 0, count: S * I)
        let ones = [Float](repeating: 1, count: B)
        network.computesInputGradient = true
        network.computesParameterGradients = false
        defer {
            network.computesInputGradient = false
            network.computesParameterGradients = true
            network.inputPath = nil
        }
        // The midpoint rule: measured more accurate here than as many Gauss–Legendre points
        // (the gradient along the path is not smooth where units saturate).
        let w = 1 / Float(steps)
        for k in 0..<steps {
            network.inputPath = .init(alpha: (Float(k) + 0.5) * w, lastStepBaseline: baseline)
            _ = try network.forward(sequences, mode: .training)
            network.backward(ones)
            let g = network.inputGradient.pointer
            meanGradient.withUnsafeMutableBufferPointer { m in
                for i in 0..<(S * I) { m[i] += g[i] * w }
            }
        }
        network.inputPath = .init(alpha: 0, lastStepBaseline: baseline)
        let atReference = try network.forward(sequences, mode: .training)
        network.inputPath = nil

        let embedding = network.parameters.entry(named: "embedding.weight")!
        let weights = network.parameters.values
        var groups = [[ReasonGroup: Double]](repeating: [:], count: B)
        var errors = [Double](repeating: 0, count: B)
        var start = 0
        for b in 0..<B {
            let n = sequences.lengths[b]
            var acc: [ReasonGroup: Double] = [:]
            for s in start..<(start + n) {
                let id = sequences.eventIDs[s]
                let g = meanGradient.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) + s * I }
                let numeric = sequences.numeric.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) + s * F }
                if s < start + n - 1 {
                    var sum = 0.0
                    for e in 0..<E { sum += Double(weights[embedding.offset + Int(id) * E + e] * g[e]) }
                    for j in 0..<F { sum += Double(numeric[j] * g[E + j]) }
                    acc[spec.stepGroup(eventID: id), default: 0] += sum
                } else {
                    for e in 0..<E {
                        let delta = weights[embedding.offset + Int(id) * E + e] - baseline[e]
                        if delta != 0 { acc[.activity, default: 0] += Double(delta * g[e]) }
                    }
                    for j in 0..<F {
                        let delta = numeric[j] - baseline[E + j]
                        guard delta != 0 else { continue }
                        acc[cutoffGroups[j] ?? .activity, default: 0] += Double(delta * g[E + j])
                    }
                }
            }
            // The reference of the customer's length against the one-step reference: the length of the history.
            acc[.activity, default: 0] += Double(atReference[b] - referenceLogit)
            errors[b] = acc.values.reduce(0, +) - Double(logits[b] - referenceLogit)
            groups[b] = acc
            start += n
        }
        return (groups, errors)
    }
}
