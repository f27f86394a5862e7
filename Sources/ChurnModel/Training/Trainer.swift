import Evaluation
import ChurnSupport
import Foundation
import TensorKit

/// Why training stopped without a model.
public enum TrainingError: CategorizedError, Equatable {
    public var category: ErrorCategory {
        switch self {
        case .interrupted: return .interrupted
        case .incompatibleCheckpoint: return .invalidArgument
        case .nonFinite, .diverged, .emptyTrainingSet: return .badData
        }
    }

    case nonFinite(epoch: Int, batch: Int, what: String)
    case diverged(epoch: Int, batch: Int, loss: Double)
    /// `epoch` counts from 1, as the progress lines do; `batch` is the last batch completed.
    case interrupted(checkpoint: String, epoch: Int, batch: Int)
    case emptyTrainingSet
    case incompatibleCheckpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case .nonFinite(let epoch, let batch, let what):
            return "\(what) became NaN or infinite in epoch \(epoch), batch \(batch); no model was written"
        case .diverged(let epoch, let batch, let loss):
            return String(format: "training diverged: the training loss reached %.3g by epoch %d, batch %d (always predicting 50%% scores 0.69); ", loss, epoch, batch)
                + "no model was written"
        case .interrupted(let path, let epoch, let batch):
            return "interrupted in epoch \(epoch) after batch \(batch); checkpoint written to \(path)"
        case .emptyTrainingSet:
            return "no training sequences"
        case .incompatibleCheckpoint(let path, let reason):
            return "cannot resume from \(path): \(reason)"
        }
    }
}

/// What the trainer reports while it runs (the executable draws progress from these).
public enum TrainingEvent {
    case batch(epoch: Int, batch: Int, batches: Int, loss: Double, sequencesPerSecond: Double)
    case epoch(EpochRecord, isBest: Bool)
    case resumed(epoch: Int, batch: Int)
}

/// Seconds spent in each phase of training (this run only, not before a resume).
public struct TrainingTimings: Sendable {
    public var forward = 0.0
    public var backward = 0.0
    public var optimizer = 0.0
    /// Time the training step waited for its batch (featurized inline, or not yet ready).
    public var batching = 0.0
    /// Time spent featurizing the next batch beside the current step (overlapped with training).
    public var prefetching = 0.0
    /// Time spent summing gradients over the processes (0 with one process).
    public var reduction = 0.0
    public var validation = 0.0
}

/// The outcome of a completed run: the best weights are in the network.
public struct TrainingResult: Sendable {
    public var timings: TrainingTimings
    public var history: [EpochRecord]
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    public var calibration: Calibration
    public var validationLogits: [Float]
}

/// Mini-batch training of a `ChurnNetwork` with AdamW, a warm-up + cosine learning-rate
/// schedule, gradient clipping, early stopping on validation loss (restoring the best weights),
/// Platt calibration on the validation set, and resumable checkpoints.
///
/// Epoch e's batch order comes from a generator seeded by (seed, e), so a resumed run replays
/// exactly the batches an uninterrupted one would have. While a step trains, the next batch is
/// featurized on a background thread.
///
/// Data-parallel over a `Collective` of processes that all hold the same training and
/// validation sets: each process featurizes and differentiates its share of every batch, the
/// gradients and losses are summed over the processes before the (identical) optimizer step,
/// each process scores its share of the validation set, and process 0 writes the checkpoints.
/// The weights then differ from those of one process only by the order of floating-point sums.
public final class Trainer {
    public let network: ChurnNetwork
    public let options: TrainingOptions
    public let train: any SequenceSource
    public let validation: any SequenceSource
    public let collective: any Collective
    /// ROC AUC of (scores, labels), supplied by the evaluation layer.
    let auc: ([Float], [Float]) -> Double

    private var optimizer: AdamOptimizer
    private let best: ParameterSet
    /// The exponential moving average of the weights (when `options.averageDecay > 0`).
    private let average: ParameterSet
    /// The raw weights while the average is swapped into the network for validation.
    private let raw: ParameterSet
    private var state = State()
    private var timings = TrainingTimings()

    @inline(__always) static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Progress that a checkpoint captures besides the weights and optimizer moments.
    struct State: Codable {
        var epoch = 0
        var batch = 0
        var epochLossSum = 0.0
        var epochSequences = 0
        var bestValidationLoss = Double.infinity
        var bestEpoch = -1
        var epochsWithoutImprovement = 0
        var history: [EpochRecord] = []
        var parameterCount = 0
        var options = TrainingOptions()

        init() {}

        private enum CodingKeys: String, CodingKey {
            case epoch, batch, epochLossSum, epochSequences, bestValidationLoss, bestEpoch, epochsWithoutImprovement
            case history, parameterCount, options
        }

        /// Reads a state; a `null` best loss (none yet) reads as +∞.
        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            epoch = try c.decode(Int.self, forKey: .epoch)
            batch = try c.decode(Int.self, forKey: .batch)
            epochLossSum = try c.decode(Double.self, forKey: .epochLossSum)
            epochSequences = try c.decode(Int.self, forKey: .epochSequences)
            bestValidationLoss = try c.decodeIfPresent(Double.self, forKey: .bestValidationLoss) ?? .infinity
            bestEpoch = try c.decode(Int.self, forKey: .bestEpoch)
            epochsWithoutImprovement = try c.decode(Int.self, forKey: .epochsWithoutImprovement)
            history = try c.decode([EpochRecord].self, forKey: .history)
            parameterCount = try c.decode(Int.self, forKey: .parameterCount)
            options = try c.decode(TrainingOptions.self, forKey: .options)
        }

        /// Writes the state; before the first validation the best loss is +∞, written as `null`
        /// like every non-finite number in the project's JSON.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(epoch, forKey: .epoch)
            try c.encode(batch, forKey: .batch)
            try c.encode(epochLossSum, forKey: .epochLossSum)
            try c.encode(epochSequences, forKey: .epochSequences)
            if bestValidationLoss.isFinite { try c.encode(bestValidationLoss, forKey: .bestValidationLoss) } else {
                try c.encodeNil(forKey: .bestValidationLoss)
            }
            try c.encode(bestEpoch, forKey: .bestEpoch)
            try c.encode(epochsWithoutImprovement, forKey: .epochsWithoutImprovement)
            try c.encode(history, forKey: .history)
            try c.encode(parameterCount, forKey: .parameterCount)
            try c.encode(options, forKey: .options)
        }
    }

    public init(network: ChurnNetwork, options: TrainingOptions, train: any SequenceSource, validation: any SequenceSource,
                collective: any Collective = SingleProcess.shared, auc: @escaping ([Float], [Float]) -> Double) {
        self.network = network
        self.options = options
        self.train = train
        self.validation = validation
        self.collective = collective
        self.auc = auc
        optimizer = AdamOptimizer(parameterCount: network.parameters.values.count, variant: .adamW,
                                  learningRate: options.learningRate, weightDecay: options.weightDecay)
        best = ParameterSet(shape: network.shape)
        best.copyValues(from: network.parameters)
        average = ParameterSet(shape: network.shape)
        average.copyValues(from: network.parameters)
        raw = ParameterSet(shape: network.shape)
        state.parameterCount = network.parameters.values.count
        state.options = options
    }

    var batchesPerEpoch: Int { (train.count + options.batchSize - 1) / options.batchSize }

    /// The learning rate at global step `step`: linear warm-up over the first 5% of steps (at
    /// most 200), then cosine decay to 5% of the peak at the last planned step.
    func learningRate(step: Int) -> Float {
        let total = max(1, options.epochs * batchesPerEpoch)
        let warmup = max(1, min(200, total / 20))
        if step < warmup { return options.learningRate * Float(step + 1) / Float(warmup) }
        let progress = min(1, Double(step - warmup) / Double(max(1, total - warmup)))
        let floor = 0.05
        return options.learningRate * Float(floor + (1 - floor) * 0.5 * (1 + cos(Double.pi * progress)))
    }

    func epochOrder(_ epoch: Int) -> [[Int]] {
        var rng = SeededGenerator(seed: options.seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1))
        return Batching.lengthGroupedBatches(lengths: train.lengths, rows: Array(0..<train.count),
                                             batchSize: options.batchSize, using: &rng)
    }

    /// Trains to completion (or early stop), leaving the best weights in `network`.
    /// - Parameters:
    ///   - checkpoint: where an interruption writes its checkpoint.
    ///   - shouldStop: polled after every batch; when true, a checkpoint is written and
    ///     `TrainingError.interrupted` thrown.
    public func run(checkpoint: URL?, progress: (TrainingEvent) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }) throws -> TrainingResult {
        guard train.count > 0 else { throw TrainingError.emptyTrainingSet }
        if state.epoch > 0 || state.batch > 0 { progress(.resumed(epoch: state.epoch, batch: state.batch)) }
        var stoppedEarly = false
        let prefetcher = BatchPrefetcher(source: train)
        while state.epoch < options.epochs {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            // Sequences of this epoch trained since `epochStart` (a resumed epoch's earlier ones
            // are in `state.epochSequences` but not in the time).
            var timedSequences = 0
            let batches = epochOrder(state.epoch)
            // This process's share of batch k: positions `share` of its rows.
            func local(_ k: Int) -> (rows: [Int], first: Int) {
                let share = collective.share(of: batches[k].count)
                return (Array(batches[k][share]), share.lowerBound)
            }
            var lr: Float = options.learningRate
            while state.batch < batches.count {
                let indices = batches[state.batch], mine = local(state.batch)
                lr = learningRate(step: optimizer.step)
                optimizer.learningRate = lr
                let t0 = Self.now()
                let batch = prefetcher.take(mine.rows)
                timings.batching += Self.now() - t0
                if state.batch + 1 < batches.count { prefetcher.request(local(state.batch + 1).rows) }
                let loss = try step(batch, batchSize: indices.count, firstRow: mine.first)
                state.epochLossSum += loss * Double(indices.count)
                state.epochSequences += indices.count
                timedSequences += indices.count
                state.batch += 1
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
                progress(.batch(epoch: state.epoch, batch: state.batch, batches: batches.count, loss: loss,
                                sequencesPerSecond: Double(timedSequences) / max(elapsed, 1e-9)))
                // Every process stops after the same batch when any one of them is asked to.
                if collective.sum(shouldStop() ? 1 : 0) > 0 {
                    if let checkpoint, collective.isRoot { try saveCheckpoint(to: checkpoint) }
                    throw TrainingError.interrupted(checkpoint: checkpoint?.path ?? "(none)", epoch: state.epoch + 1, batch: state.batch)
                }
            }
            timings.prefetching = prefetcher.seconds
            if collective.size > 1 { synchronizeState() }
            let tv = Self.now()
            let (validationLoss, validationAUC, _) = try withEvaluatedWeights { try evaluateValidation() }
            timings.validation += Self.now() - tv
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            let record = EpochRecord(epoch: state.epoch + 1, trainLoss: state.epochLossSum / Double(max(1, state.epochSequences)),
                                     validationLoss: validationLoss, validationAUC: validationAUC,
                                     learningRate: Double(lr), seconds: seconds,
                                     sequencesPerSecond: Double(timedSequences) / max(seconds, 1e-9))
            // A mean training loss far above that of always predicting 50% (logit 0) means the
            // weights have blown up without reaching NaN (e.g. an absurd learning rate).
            let positiveRate = train.positiveRate
            let coinFlipLoss = log(2.0) * (1 + Double(options.positiveWeight - 1) * positiveRate)
            guard record.trainLoss <= 3 * coinFlipLoss else {
                throw TrainingError.diverged(epoch: record.epoch, batch: batches.count, loss: record.trainLoss)
            }
            state.history.append(record)
            // Without a validation set every epoch counts as the best.
            let improved = validation.count == 0 || validationLoss < state.bestValidationLoss - 1e-6
            if improved {
                state.bestValidationLoss = validation.count == 0 ? record.trainLoss : validationLoss
                state.bestEpoch = state.epoch
                state.epochsWithoutImprovement = 0
                best.copyValues(from: averaging ? average : network.parameters)
            } else {
                state.epochsWithoutImprovement += 1
            }
            progress(.epoch(record, isBest: improved))
            state.epoch += 1
            state.batch = 0
            state.epochLossSum = 0
            state.epochSequences = 0
            if state.epochsWithoutImprovement >= options.patience {
                stoppedEarly = state.epoch < options.epochs
                break
            }
        }
        network.updateParameters { $0.copyValues(from: best) }
        let (_, _, logits) = try evaluateValidation()
        let calibration = PlattScaling.fit(logits: logits, labels: validation.labels)
        if let checkpoint, collective.isRoot { try? FileManager.default.removeItem(at: checkpoint) }
        return TrainingResult(timings: timings, history: state.history, bestEpoch: state.bestEpoch + 1, stoppedEarly: stoppedEarly,
                              calibration: calibration, validationLogits: logits)
    }

    /// One optimizer step on a batch of `batchSize` sequences of which this process holds
    /// `batch`, from position `firstRow` on (all of it, from 0, with one process); returns the
    /// batch's mean loss.
    func step(_ batch: SequenceBatch, batchSize: Int, firstRow: Int) throws -> Double {
        let t0 = Self.now()
        network.parameters.gradients.zero()
        if options.dropout > 0 {
            // Masks from (seed, step, position): a resumed run draws exactly the masks it would
            // have, and a split batch the masks of the whole one.
            network.dropout = .init(rate: options.dropout, seed: options.seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(optimizer.step) &+ 1,
                                    firstRow: firstRow)
        }
        defer { network.dropout = nil }
        let logits = try network.forward(batch)
        let labels = batch.labels!
        let localLoss = logits.isEmpty ? 0 : network.head.loss(outputs: logits, labels: labels, positiveWeight: options.positiveWeight)
        let t1 = Self.now()
        timings.forward += t1 - t0
        let loss = collective.size == 1 ? localLoss : collective.sum(localLoss * Double(logits.count)) / Double(batchSize)
        timings.reduction += Self.now() - t1
        guard loss.isFinite else { throw TrainingError.nonFinite(epoch: state.epoch + 1, batch: state.batch + 1, what: "the training loss") }
        // Far above any sane binary cross-entropy (ln 2 ≈ 0.69 is a coin flip): the weights have
        // blown up without becoming NaN yet, e.g. with an absurd learning rate.
        guard loss <= 100 * Double(max(1, options.positiveWeight)) else {
            throw TrainingError.diverged(epoch: state.epoch + 1, batch: state.batch + 1, loss: loss)
        }
        let tb = Self.now()
        if !logits.isEmpty {
            network.backward(network.head.lossGradient(outputs: logits, labels: labels, positiveWeight: options.positiveWeight,
                                                       meanOver: batchSize))
        }
        let tr = Self.now()
        timings.backward += tr - tb
        if collective.size > 1 {
            let g = network.parameters.gradients
            collective.sum(UnsafeMutableBufferPointer(start: g.pointer, count: g.count))
        }
        let t2 = Self.now()
        timings.reduction += t2 - tr
        defer { timings.optimizer += Self.now() - t2 }
        let norm = GradientClipping.clip(network.parameters, maxNorm: options.clipNorm > 0 ? options.clipNorm : .infinity)
        guard norm.isFinite else { throw TrainingError.nonFinite(epoch: state.epoch + 1, batch: state.batch + 1, what: "the gradient") }
        network.updateParameters { optimizer.update($0) }
        guard network.parameters.valuesAreFinite else {
            throw TrainingError.nonFinite(epoch: state.epoch + 1, batch: state.batch + 1, what: "the weights")
        }
        if averaging { updateAverage() }
        return loss
    }

    var averaging: Bool { options.averageDecay > 0 }

    /// Gives every process process 0's weights, average and optimizer moments. An allreduce may
    /// add in another order on each process, leaving their weights apart in the last bits; once
    /// an epoch this puts them back together, before validation judges them.
    func synchronizeState() {
        let collective = self.collective
        func broadcast(_ buffer: FloatBuffer) { collective.broadcast(UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count)) }
        network.updateParameters { broadcast($0.values) }
        broadcast(average.values)
        optimizer.withMoments { m, v in collective.broadcast(m); collective.broadcast(v) }
    }

    /// `average ← d·average + (1 − d)·weights` with `d = min(averageDecay, (1 + t) / (10 + t))`,
    /// t the optimizer steps so far (after this step's update).
    func updateAverage() {
        let t = Float(optimizer.step)
        let d = min(options.averageDecay, (1 + t) / (10 + t))
        let a = average.values.pointer, w = network.parameters.values.pointer
        for i in 0..<average.values.count { a[i] = d * a[i] + (1 - d) * w[i] }
    }

    /// Runs `body` with the weights that validation judges (the average when averaging) in the
    /// network, then puts the raw weights back.
    func withEvaluatedWeights<R>(_ body: () throws -> R) rethrows -> R {
        guard averaging else { return try body() }
        raw.copyValues(from: network.parameters)
        network.updateParameters { $0.copyValues(from: average) }
        defer { network.updateParameters { $0.copyValues(from: raw) } }
        return try body()
    }

    /// Loss, AUC and logits of the current weights on the validation set, each process scoring
    /// its share (scores are batch-invariant, so the logits are those of one process).
    func evaluateValidation() throws -> (loss: Double, auc: Double, logits: [Float]) {
        guard validation.count > 0 else { return (.nan, .nan, []) }
        let shares = collective.shares(of: validation.count)
        let logits = collective.gather(try network.scores(validation, rows: shares[collective.rank]), counts: shares.map(\.count))
        let loss = network.head.loss(outputs: logits, labels: validation.labels, positiveWeight: 1)
        return (loss, auc(logits, validation.labels), logits)
    }

    // MARK: Checkpoints

    /// Writes weights, best weights, optimizer moments and progress atomically.
    public func saveCheckpoint(to url: URL) throws {
        let count = network.parameters.values.count
        let stateJSON = String(decoding: try JSONOutput.encode(state), as: UTF8.self)
        var moments = (optimizer.firstMoment, optimizer.secondMoment)
        let file = SafeTensors.File(tensors: [
            "parameters": .init(floats: network.parameters.values.array, shape: [count]),
            "best": .init(floats: best.values.array, shape: [count]),
            "average": .init(floats: average.values.array, shape: [count]),
            "adam.m": .init(floats: moments.0, shape: [count]),
            "adam.v": .init(floats: moments.1, shape: [count]),
        ], metadata: ["format": "churn-forecaster-checkpoint/1", "state": stateJSON,
                      "adam_step": String(optimizer.step)])
        moments = ([], [])
        try SafeTensors.write(file, to: url)
    }

    /// Restores a checkpoint written by `saveCheckpoint` for the same network and options.
    public func restoreCheckpoint(from url: URL) throws {
        let file = try SafeTensors.read(from: url)
        guard file.metadata["format"] == "churn-forecaster-checkpoint/1",
              let stateText = file.metadata["state"], let step = file.metadata["adam_step"].flatMap(Int.init) else {
            throw TrainingError.incompatibleCheckpoint(path: url.path, reason: "not a churn-forecaster checkpoint")
        }
        let decoder = JSONDecoder()
        // Checkpoints of earlier versions wrote +∞ as the string "inf".
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let restored: State
        do { restored = try decoder.decode(State.self, from: Data(stateText.utf8)) } catch {
            throw TrainingError.incompatibleCheckpoint(path: url.path, reason: "its training state is unreadable")
        }
        let count = network.parameters.values.count
        guard restored.parameterCount == count else {
            throw TrainingError.incompatibleCheckpoint(path: url.path, reason: "it was written for a network of another shape")
        }
        guard restored.options == options else {
            throw TrainingError.incompatibleCheckpoint(path: url.path, reason: "it was written with other training options; rerun with the same flags")
        }
        func floats(_ name: String) throws -> [Float] {
            guard let entry = file.tensors[name], entry.elementCount == count else {
                throw TrainingError.incompatibleCheckpoint(path: url.path, reason: "tensor \(name) missing or of the wrong size")
            }
            return try entry.floats()
        }
        let values = try floats("parameters"), bestValues = try floats("best"), averageValues = try floats("average")
        network.updateParameters { parameters in
            values.withUnsafeBufferPointer { parameters.values.pointer.update(from: $0.baseAddress!, count: count) }
        }
        bestValues.withUnsafeBufferPointer { best.values.pointer.update(from: $0.baseAddress!, count: count) }
        averageValues.withUnsafeBufferPointer { average.values.pointer.update(from: $0.baseAddress!, count: count) }
        optimizer.restore(step: step, firstMoment: try floats("adam.m"), secondMoment: try floats("adam.v"))
        state = restored
    }
}

extension ChurnNetwork {
    /// Logits for the rows `rows` of `dataset` (default all), in row order, computed in batches
    /// of `batchSize`.
    public func scores(_ dataset: any SequenceSource, rows: Range<Int>? = nil, batchSize: Int = 256) throws -> [Float] {
        let rows = rows ?? 0 ..< dataset.count
        var logits: [Float] = []
        logits.reserveCapacity(rows.count)
        for range in Batching.scoringBatches(lengths: Array(dataset.lengths[rows]), batchSize: batchSize) {
            logits += try forward(dataset.batch(range.lowerBound + rows.lowerBound ..< range.upperBound + rows.lowerBound))
        }
        return logits
    }
}

/// Featurizes the next batch on a background thread while the trainer runs the current one, so
/// that featurizing overlaps training; at most one batch waits ready.
final class BatchPrefetcher: @unchecked Sendable {
    let source: any SequenceSource
    private let queue = DispatchQueue(label: "churn.batch-prefetch")
    private var pending: (rows: [Int], done: DispatchSemaphore)?
    /// Written by the background thread before it signals, read after waiting.
    private var ready: SequenceBatch?
    /// Seconds the background thread spent featurizing.
    private(set) var seconds = 0.0

    init(source: any SequenceSource) { self.source = source }

    /// Starts featurizing `rows` in the background.
    func request(_ rows: [Int]) {
        let done = DispatchSemaphore(value: 0)
        pending = (rows, done)
        let threads = Threading.threadCount
        queue.async { [self] in
            let t0 = Trainer.now()
            let batch = Threading.withThreadCount(threads) { source.batch(rows) }
            seconds += Trainer.now() - t0
            ready = batch
            done.signal()
        }
    }

    /// The batch of `rows`: the one requested last if it is of these rows (waiting for it),
    /// else featurized here.
    func take(_ rows: [Int]) -> SequenceBatch {
        if let (requested, done) = pending {
            pending = nil
            done.wait()
            let batch = ready!
            ready = nil
            if requested == rows { return batch }
        }
        return source.batch(rows)
    }
}

/// Platt scaling: the `(a, b)` minimizing the log loss of `sigmoid(a·logit + b)`, by Newton's
/// method in Double with a tiny ridge for separable data.
public enum PlattScaling {
    public static func fit(logits: [Float], labels: [Float], iterations: Int = 50) -> Calibration {
        let positives = labels.reduce(0, +)
        guard !logits.isEmpty, positives > 0, positives < Float(labels.count) else { return .identity }
        var a = 1.0, b = 0.0
        let ridge = 1e-6 * Double(logits.count)
        for _ in 0..<iterations {
            var ga = ridge * (a - 1), gb = 0.0, haa = ridge, hab = 0.0, hbb = 1e-9
            for (z, y) in zip(logits, labels) {
                let x = Double(z)
                let p = 1 / (1 + exp(-(a * x + b)))
                let r = p - Double(y), w = max(p * (1 - p), 1e-12)
                ga += r * x; gb += r
                haa += w * x * x; hab += w * x; hbb += w
            }
            let det = haa * hbb - hab * hab
            guard det > 0 else { break }
            let da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det
            a -= da; b -= db
            if abs(da) + abs(db) < 1e-10 { break }
        }
        guard a.isFinite, b.isFinite else { return .identity }
        return Calibration(a: a, b: b)
    }
}
