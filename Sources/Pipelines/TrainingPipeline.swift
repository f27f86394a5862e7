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

/// The architecture and featurization choices of a training run.
public struct ArchitectureOptions: Sendable {
    public var maxEvents = 256
    public var embeddingSize = 16
    public var hiddenSize = 32
    public var numLayers = 1
    /// A category of an attribute needs this many training rows for its own input (`--attribute-min-count`).
    public var attributeMinCount = AttributeSpec.defaultMinCount
    /// The most categories with their own input per attribute (`--attribute-max-categories`).
    public var attributeMaxCategories = AttributeSpec.defaultMaxCategories

    public init() {}
}

/// What a training run reports besides the model: validation figures of every model.
public struct TrainingSummary: Sendable {
    public var result: TrainingResult
    /// Seconds spent featurizing and fitting the baselines (training phases are in `result.timings`).
    public var featurizeSeconds: Double
    public var baselineSeconds: Double
    /// The booster's record (its features and training times included), nil without XGBoost.
    public var boosting: BoosterRecord?
    public var ensemble: EnsembleWeights?
    /// The customer attributes every model takes, as fitted.
    public var attributes: AttributeSpec
    /// Validation ROC AUC and log loss per model name (the ensemble's cross-fitted).
    public var validationAUC: [String: Double]
    public var validationLogLoss: [String: Double]
    public var trainingSequences: Int
    public var validationSequences: Int
}

/// Featurized snapshot rows as a `SequenceDataset`.
public enum DatasetBuilder {
    /// Featurizes `rows` in order, using both cores; an unlabelled row gets label 0.
    public static func build(featurizer: Featurizer, rows: [SnapshotRow]) -> SequenceDataset {
        let parts = max(1, min(Threading.threadCount, rows.count / 256))
        var pieces = [SequenceDataset](repeating: SequenceDataset(numericSize: featurizer.spec.featureCount), count: parts)
        let chunk = (rows.count + parts - 1) / max(parts, 1)
        pieces.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            Threading.parallelRegions(parts) { p in
                var dataset = SequenceDataset(numericSize: featurizer.spec.featureCount)
                let f = featurizer.spec.featureCount
                var ids = [Int32](), numeric = [Float]()
                for k in (p * chunk) ..< min(rows.count, (p + 1) * chunk) {
                    let row = rows[k]
                    let t = featurizer.length(of: row)
                    if ids.count < t { ids = [Int32](repeating: 0, count: t); numeric = [Float](repeating: 0, count: t * f) }
                    ids.withUnsafeMutableBufferPointer { i in
                        numeric.withUnsafeMutableBufferPointer { n in
                            featurizer.featurize(row, eventIDs: i.baseAddress!, numeric: n.baseAddress!)
                        }
                    }
                    dataset.append(eventIDs: ids[0..<t], numeric: numeric[0..<(t * f)],
                                   label: (row.label ?? false) ? 1 : 0, group: Int(row.customer))
                }
                (base + p).pointee = dataset
            }
        }
        return pieces.dropFirst().reduce(into: pieces[0]) { $0.append(contentsOf: $1) }
    }
}

extension DatasetBuilder {
    /// `rows` as one network batch, in order, featurized in parallel straight into the batch's
    /// arrays: one write per value, where `build` then `batch` would copy the steps twice more.
    public static func batch(featurizer: Featurizer, rows: ArraySlice<SnapshotRow>) -> SequenceBatch {
        let f = featurizer.spec.featureCount
        let lengths = rows.map { featurizer.length(of: $0) }
        var starts = [Int](repeating: 0, count: lengths.count + 1)
        for k in lengths.indices { starts[k + 1] = starts[k] + lengths[k] }
        var ids = [Int32](repeating: 0, count: starts[lengths.count])
        var numeric = [Float](repeating: 0, count: starts[lengths.count] * f)
        var scratch: Float = 0
        let parts = max(1, min(Threading.threadCount, lengths.count / 64))
        let chunk = (lengths.count + parts - 1) / parts
        let first = rows.startIndex
        ids.withUnsafeMutableBufferPointer { i in
            numeric.withUnsafeMutableBufferPointer { n in
                withUnsafeMutablePointer(to: &scratch) { empty in
                    let idBase = i.baseAddress!, numericBase = n.baseAddress ?? empty
                    Threading.parallelRegions(parts) { p in
                        for k in (p * chunk) ..< min(lengths.count, (p + 1) * chunk) {
                            featurizer.featurize(rows[first + k], eventIDs: idBase + starts[k],
                                                 numeric: numericBase + (f == 0 ? 0 : starts[k] * f))
                        }
                    }
                }
            }
        }
        return SequenceBatch(lengths: lengths, eventIDs: ids, numeric: numeric,
                             labels: rows.map { ($0.label ?? false) ? 1 : 0 })
    }
}

/// Snapshot rows featurized a batch at a time, when the trainer asks for them: training memory is
/// the event store, the rows and a few batches, whatever the number of steps. Batches are the
/// same bytes as those of `DatasetBuilder.build` (the featurizer is deterministic), so a model
/// trained on either is the same.
public struct FeaturizedRows: SequenceSource {
    public let featurizer: Featurizer
    public let rows: [SnapshotRow]
    public let lengths: [Int]
    public let labels: [Float]

    public init(featurizer: Featurizer, rows: [SnapshotRow]) {
        self.featurizer = featurizer
        self.rows = rows
        lengths = rows.map { featurizer.length(of: $0) }
        labels = rows.map { ($0.label ?? false) ? 1 : 0 }
    }

    public var count: Int { rows.count }

    public func batch(_ indices: some Collection<Int>) -> SequenceBatch {
        DatasetBuilder.batch(featurizer: featurizer, rows: ArraySlice(indices.map { rows[$0] }))
    }
}

extension SequenceDataset {
    mutating func append(contentsOf other: SequenceDataset) {
        for k in 0..<other.count {
            let s = other.starts[k], n = other.lengths[k], f = other.numericSize
            append(eventIDs: other.eventIDs[s ..< s + n], numeric: other.numeric[s * f ..< (s + n) * f],
                   label: other.labels[k], group: other.groups[k])
        }
    }
}

/// What a training run reports as it goes: the booster's rounds, then the LSTM's batches and epochs.
public enum TrainingProgress {
    case boosting(BoostingRound, maxRounds: Int)
    case lstm(TrainingEvent)
}

/// The phases of a training run that poll for interruption.
public enum TrainingPhase: Sendable {
    /// After each boosting round: stopping loses the booster (it is retrained on `--resume`).
    case boosting
    /// After each LSTM batch: stopping writes a checkpoint.
    case lstm
}

/// From an event store to a trained, calibrated `ForecastModel` with fitted baselines.
public enum TrainingPipeline {
    /// Trains on the labelled rows of `snapshots`: XGBoost on the tabular features (when
    /// `boosting` is given and there are validation customers), the LSTM, the stacking weights of
    /// the two, and the baselines.
    ///
    /// The booster trains first: it takes seconds, so an interruption during it loses little,
    /// and the LSTM's checkpoint stays the only state to resume (the booster is retrained, to the
    /// same bytes, on `--resume`).
    /// - Parameters:
    ///   - boosting: XGBoost's settings (its seed is replaced by `training.seed`); nil trains no booster.
    ///   - checkpoint: where an interruption writes its checkpoint; `resume` continues from it.
    ///   - progress: training events for the executable's progress display.
    ///   - shouldStop: polled after every boosting round and every LSTM batch (Ctrl-C).
    ///   - collective: the processes of a data-parallel run, each with the same store and
    ///     snapshots. They share the LSTM's batches; process 0 alone grows the trees (the others
    ///     sleep meanwhile), fits the stacking and the baselines, and gets the model (the others
    ///     get nil).
    public static func train(store: EventStore, snapshots: [Snapshot], columns: ColumnMapping, labels: SnapshotOptions,
                             architecture: ArchitectureOptions, training: TrainingOptions, boosting: BoosterParameters? = nil,
                             checkpoint: URL?, resume: Bool, collective: any Collective = SingleProcess.shared,
                             progress: (TrainingProgress) -> Void = { _ in }, shouldStop: (TrainingPhase) -> Bool = { _ in false })
        throws -> (model: ForecastModel?, summary: TrainingSummary) {
        let rows = snapshots.flatMap { $0.rows }.filter { $0.label != nil }
        guard !rows.isEmpty else { throw TrainingError.emptyTrainingSet }
        let split = BatchPlanner.splitByCustomer(rows: rows, validationFraction: training.validationFraction, seed: training.seed)
        let trainRows = split.training.map { rows[$0] }, validationRows = split.validation.map { rows[$0] }
        guard !trainRows.isEmpty else { throw TrainingError.emptyTrainingSet }

        let featurizeStart = Date()
        let attributes = try AttributeSpec.fit(store: store, rows: trainRows, minCount: architecture.attributeMinCount,
                                               maxCategories: architecture.attributeMaxCategories)
        let spec = try FeatureSpec.fit(store: store, rows: trainRows, maxEvents: architecture.maxEvents, attributes: attributes)
        let featurizer = Featurizer(spec: spec, store: store)
        // Featurized a batch at a time as training reads them, so memory does not grow with the
        // number of steps (`FeaturizedRows`).
        let trainSet = FeaturizedRows(featurizer: featurizer, rows: trainRows)
        let validationSet = FeaturizedRows(featurizer: featurizer, rows: validationRows)
        let featurizeSeconds = Date().timeIntervalSince(featurizeStart)

        var boosted: (trees: BoostedTrees, validationMargins: [Float])?
        if collective.isRoot, var parameters = boosting, !validationRows.isEmpty {
            parameters.seed = training.seed
            boosted = try BoostedTrees.train(store: store, training: trainRows, validation: validationRows, parameters: parameters,
                                             positiveWeight: training.positiveWeight, attributes: attributes,
                                             progress: { progress(.boosting($0, maxRounds: parameters.maxRounds)) },
                                             shouldStop: { shouldStop(.boosting) })
        }
        collective.wait()

        let shape = NetworkShape(vocabularySize: spec.vocabulary.count, embeddingSize: architecture.embeddingSize,
                                 numericSize: spec.featureCount, hiddenSize: architecture.hiddenSize,
                                 numLayers: architecture.numLayers)
        let network = ChurnNetwork(shape: shape)
        var rng = SeededGenerator(seed: training.seed)
        network.updateParameters { parameters in
            parameters.initialize(using: &rng)
            // Small embeddings to start: standard-normal rows would swamp the standardized numerics.
            let embedding = parameters.entry(named: "embedding.weight")!
            for k in 0..<embedding.count { parameters.values[embedding.offset + k] *= 0.1 }
        }

        let trainer = Trainer(network: network, options: training, train: trainSet, validation: validationSet, collective: collective,
                              auc: { scores, labels in
                                  (try? Metrics.rocAUC(scores: scores.map(Double.init), labels: labels.map { $0 == 1 })) ?? .nan
                              })
        if resume, let checkpoint {
            guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                throw TrainingError.incompatibleCheckpoint(path: checkpoint.path, reason: "no checkpoint exists (nothing to resume)")
            }
            try trainer.restoreCheckpoint(from: checkpoint)
        }
        let result = try trainer.run(checkpoint: checkpoint, progress: { progress(.lstm($0)) }, shouldStop: { shouldStop(.lstm) })
        guard collective.isRoot else {
            return (nil, TrainingSummary(result: result, featurizeSeconds: featurizeSeconds, baselineSeconds: 0, boosting: nil, ensemble: nil,
                                         attributes: attributes, validationAUC: [:], validationLogLoss: [:],
                                         trainingSequences: trainSet.count, validationSequences: validationSet.count))
        }
        let validationLabels = validationRows.map { $0.label! }
        var validationAUC: [String: Double] = [:], validationLogLoss: [String: Double] = [:]
        func record(_ name: String, _ probabilities: [Double], ranking: [Double]? = nil) {
            validationAUC[name] = (try? Metrics.rocAUC(scores: ranking ?? probabilities, labels: validationLabels)) ?? .nan
            validationLogLoss[name] = (try? Metrics.logLoss(probabilities: probabilities, labels: validationLabels)) ?? .nan
        }
        var ensemble: EnsembleWeights?
        if let boosted {
            let logits = result.validationLogits, margins = boosted.validationMargins
            do {
                let weights = try EnsembleWeights.fit(lstmLogits: logits, margins: margins, labels: validationLabels)
                ensemble = weights
                record(ModelRegistry.ensemble, EnsembleWeights.crossFitted(
                    lstmLogits: logits, margins: margins, labels: validationLabels, groups: validationRows.map(\.customer),
                    seed: training.seed, fallback: weights))
            } catch {
                // One class among the validation rows: no stacking; the LSTM stays the headline.
            }
            record(ModelRegistry.xgboost, margins.map { sigmoid(Double($0)) })
        }

        let baselineStart = Date()
        let context = BaselineContext(store: store, eventTypes: spec.eventTypes, horizon: labels.horizon, attributes: attributes)
        let baselines = try FittedBaselines.fit(on: trainRows, in: context)
        if !validationRows.isEmpty {
            record(ModelRegistry.lstm, result.validationLogits.map { result.calibration.probability(logit: $0) })
            for (type, scores) in try baselines.scores(validationRows, in: context).scores {
                if type.scoresAreProbabilities(under: labels.definition) { record(type.name, scores) } else {
                    validationAUC[type.name] = (try? Metrics.rocAUC(scores: scores, labels: validationLabels)) ?? .nan
                }
            }
        }
        let baselineSeconds = Date().timeIntervalSince(baselineStart)
        let positives = rows.filter { $0.label == true }.count
        let data = DataConfig(columns: columns, horizon: labels.horizon, churnDefinition: labels.definition,
                              activeWithin: labels.activeWithin, features: spec)
        let model = ForecastModel(network: network, data: data,
                                  calibration: result.calibration, baselines: baselines, training: training,
                                  history: result.history,
                                  dataSummary: DataSummary(files: [], rowsRead: 0, badRows: 0, customers: Set(rows.map(\.customer)).count,
                                                           events: store.eventCount, cutoffs: snapshots.map { Timestamp.format($0.cutoff) },
                                                           trainingSequences: trainSet.count, validationSequences: validationSet.count,
                                                           churnRate: Double(positives) / Double(rows.count)),
                                  boosted: boosted?.trees, ensemble: ensemble)
        return (model, TrainingSummary(result: result, featurizeSeconds: featurizeSeconds, baselineSeconds: baselineSeconds,
                                       boosting: boosted?.trees.record, ensemble: ensemble, attributes: attributes,
                                       validationAUC: validationAUC, validationLogLoss: validationLogLoss,
                                       trainingSequences: trainSet.count, validationSequences: validationSet.count))
    }
}
