import CXGBoost
import ChurnSupport
import Foundation

/// A trained ensemble of gradient-boosted trees for a binary outcome (XGBoost `binary:logistic`).
///
/// Features are row-major `Float` arrays of `rowCount × featureCount` values; NaN marks a missing
/// value (each split sends it the way training learned). A booster owns its XGBoost handle and
/// frees it when it goes away; its methods may be called from several threads (they take turns).
///
/// The model file is XGBoost's JSON model (`serialized()`), which Python's
/// `xgboost.Booster().load_model(bytearray(bytes))` reads too; `init(serialized:)` checks it
/// before XGBoost sees it, so a truncated or damaged file throws and never crashes.
public final class Booster: @unchecked Sendable {
    /// The number of features every row must have.
    public let featureCount: Int
    /// The threads XGBoost predicts with.
    public let threads: Int
    let handle: BoosterHandle
    private let lock = NSLock()

    /// Takes ownership of `handle`.
    init(handle: BoosterHandle, featureCount: Int, threads: Int) {
        self.handle = handle
        self.featureCount = featureCount
        self.threads = threads
    }

    deinit { XGBoosterFree(handle) }

    /// Loads a model from the bytes `serialized()` returned (or Python's `save_raw("json")`).
    /// - Parameter threads: the threads XGBoost predicts with.
    /// - Throws: `BoostingError.corruptModel` for bytes that are not a complete JSON model of a
    ///   `binary:logistic` tree ensemble; `.invalidParameter` for a thread count below 1.
    public convenience init(serialized bytes: [UInt8], threads: Int = Threading.threadCount) throws {
        guard (1...1024).contains(threads) else { throw BoostingError.invalidParameter("threads must be in 1...1024, got \(threads)") }
        let featureCount = try ModelValidation.featureCount(ofSerialized: bytes)
        XGBoost.silenceCallingThread()
        let handle = try Booster.createHandle(caching: [])
        do {
            try bytes.withUnsafeBytes { buffer in
                try XGBoost.check(XGBoosterLoadModelFromBuffer(handle, buffer.baseAddress, bst_ulong(buffer.count)),
                                  "XGBoosterLoadModelFromBuffer", failure: { .corruptModel($0) })
            }
            for (name, value) in [("nthread", "\(threads)"), ("verbosity", "0"), ("eval_metric", "logloss")] {
                try XGBoost.check(XGBoosterSetParam(handle, name, value), "XGBoosterSetParam(\(name))")
            }
            var loaded: bst_ulong = 0
            try XGBoost.check(XGBoosterGetNumFeature(handle, &loaded), "XGBoosterGetNumFeature")
            guard loaded == bst_ulong(featureCount) else {
                throw BoostingError.corruptModel("XGBoost read \(loaded) features where the model declares \(featureCount)")
            }
        } catch {
            XGBoosterFree(handle)
            throw error
        }
        self.init(handle: handle, featureCount: featureCount, threads: threads)
    }

    /// A new booster handle that caches predictions for `matrices` (the training and validation sets).
    static func createHandle(caching matrices: [DMatrix]) throws -> BoosterHandle {
        var handles: [DMatrixHandle?] = matrices.map(\.handle)
        var out: BoosterHandle?
        try XGBoost.check(XGBoosterCreate(&handles, bst_ulong(handles.count), &out), "XGBoosterCreate")
        guard let out else { throw BoostingError.library(call: "XGBoosterCreate", message: "no booster returned") }
        return out
    }

    /// The number of boosting rounds (trees) the model holds.
    public var roundCount: Int {
        get throws {
            try locked {
                var rounds: Int32 = 0
                try XGBoost.check(XGBoosterBoostedRounds(handle, &rounds), "XGBoosterBoostedRounds")
                return Int(rounds)
            }
        }
    }

    /// The model as XGBoost's JSON model bytes; the same model always gives the same bytes.
    public func serialized() throws -> [UInt8] {
        try locked {
            var length: bst_ulong = 0
            var pointer: UnsafePointer<CChar>?
            try XGBoost.check(XGBoosterSaveModelToBuffer(handle, "{\"format\": \"json\"}", &length, &pointer),
                              "XGBoosterSaveModelToBuffer")
            guard let pointer else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
        }
    }

    // MARK: - Prediction

    /// The untransformed scores (log odds), one per row.
    /// - Parameter features: `rowCount × featureCount` row-major values, NaN for missing.
    /// - Throws: `BoostingError.shapeMismatch` when `features` does not hold `featureCount` values per row.
    public func margins(features: [Float], rowCount: Int) throws -> [Float] {
        try predict(features, rowCount: rowCount, type: 1, width: 1)
    }

    /// The predicted probabilities `σ(margin)`, one per row.
    public func probabilities(features: [Float], rowCount: Int) throws -> [Float] {
        try predict(features, rowCount: rowCount, type: 0, width: 1)
    }

    /// Each feature's contribution to each row's margin (TreeSHAP), row-major
    /// `rowCount × (featureCount + 1)`: the last value of a row is the bias, and a row's values sum
    /// to its margin.
    public func featureContributions(features: [Float], rowCount: Int) throws -> [Float] {
        try predict(features, rowCount: rowCount, type: 2, width: featureCount + 1)
    }

    /// XGBoost's log loss of the model on the rows (the metric training reports).
    /// - Parameter labels: one label in [0, 1] per row.
    public func logLoss(features: [Float], labels: [Float]) throws -> Double {
        try Booster.checkRows(features, labels: labels, weights: nil, featureCount: featureCount, what: "the evaluation set")
        return try locked {
            XGBoost.silenceCallingThread()
            let matrix = try DMatrix.labeled(features, labels: labels, weights: nil, featureCount: featureCount, threads: threads)
            let losses = try Booster.evaluate(handle, round: 0, on: [(matrix, "data")])
            return losses[0]
        }
    }

    /// `type`: XGBoost's prediction type (0 value, 1 margin, 2 contributions); `width` values per row.
    private func predict(_ features: [Float], rowCount: Int, type: Int, width: Int) throws -> [Float] {
        guard rowCount >= 0, features.count == rowCount * featureCount else {
            throw BoostingError.shapeMismatch(
                "expected \(max(rowCount, 0)) rows × \(featureCount) features = \(max(rowCount, 0) * featureCount) values, got \(features.count)"
                + (rowCount > 0 && features.count % rowCount == 0 ? " (\(features.count / rowCount) features per row)" : ""))
        }
        try Booster.checkFinite(features, what: "features")
        if rowCount == 0 { return [] }
        return try locked {
            XGBoost.silenceCallingThread()
            let matrix = try features.withUnsafeBufferPointer {
                try DMatrix(features: $0, rowCount: rowCount, featureCount: featureCount, threads: threads)
            }
            let config = "{\"type\": \(type), \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}"
            var shape: UnsafePointer<bst_ulong>?
            var dimensions: bst_ulong = 0
            var result: UnsafePointer<Float>?
            try XGBoost.check(XGBoosterPredictFromDMatrix(handle, matrix.handle, config, &shape, &dimensions, &result),
                              "XGBoosterPredictFromDMatrix")
            var count = 1
            if let shape { for d in 0..<Int(dimensions) { count *= Int(shape[d]) } }
            guard let result, count == rowCount * width else {
                throw BoostingError.library(call: "XGBoosterPredictFromDMatrix",
                                            message: "returned \(count) values for \(rowCount) rows × \(width)")
            }
            return Array(UnsafeBufferPointer(start: result, count: count))
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: - Checks and evaluation shared with training

    /// Throws unless `features` holds `featureCount` values per label, the labels lie in [0, 1]
    /// and the weights (one per row) are finite, non-negative and not all zero.
    static func checkRows(_ features: [Float], labels: [Float], weights: [Float]?, featureCount: Int, what: String) throws {
        guard !labels.isEmpty else { throw BoostingError.invalidData("\(what) has no rows") }
        guard features.count == labels.count * featureCount else {
            throw BoostingError.shapeMismatch("\(what): expected \(labels.count) rows × \(featureCount) features = "
                                              + "\(labels.count * featureCount) values, got \(features.count)")
        }
        if let i = labels.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw BoostingError.invalidData("\(what): label \(labels[i]) of row \(i) is not in [0, 1]")
        }
        if let weights {
            guard weights.count == labels.count else {
                throw BoostingError.shapeMismatch("\(what): \(weights.count) weights for \(labels.count) rows")
            }
            if let i = weights.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
                throw BoostingError.invalidData("\(what): weight \(weights[i]) of row \(i) is not finite and ≥ 0")
            }
            guard weights.contains(where: { $0 > 0 }) else { throw BoostingError.invalidData("\(what): every weight is 0") }
        }
        try checkFinite(features, what: "\(what): features")
    }

    /// Throws when a value is infinite (NaN is a missing value and allowed).
    static func checkFinite(_ features: [Float], what: String) throws {
        if let i = features.firstIndex(where: { $0.isInfinite }) {
            throw BoostingError.invalidData("\(what): value \(i) is infinite (use NaN for a missing value)")
        }
    }

    /// XGBoost's log loss on each named matrix after `round` (XGBoosterEvalOneIter, parsed).
    static func evaluate(_ handle: BoosterHandle, round: Int, on sets: [(DMatrix, String)]) throws -> [Double] {
        var handles: [DMatrixHandle?] = sets.map { $0.0.handle }
        let names = sets.map { strdup($0.1) }
        defer { names.forEach { free($0) } }
        var namePointers: [UnsafePointer<CChar>?] = names.map { UnsafePointer($0) }
        var result: UnsafePointer<CChar>?
        try XGBoost.check(XGBoosterEvalOneIter(handle, Int32(round), &handles, &namePointers, bst_ulong(sets.count), &result),
                          "XGBoosterEvalOneIter")
        let text = result.map { String(cString: $0) } ?? ""
        return try sets.map { try logLoss(named: $0.1, in: text) }
    }

    /// The value of `<name>-logloss:<value>` in an evaluation line like
    /// `[3]\ttrain-logloss:0.5312\tvalidation-logloss:0.5687`.
    static func logLoss(named name: String, in text: String) throws -> Double {
        let key = "\(name)-logloss:"
        for field in text.split(separator: "\t") where field.hasPrefix(key) {
            if let value = Double(field.dropFirst(key.count).trimmingCharacters(in: .whitespacesAndNewlines)) { return value }
        }
        throw BoostingError.library(call: "XGBoosterEvalOneIter", message: "no \(key) value in \"\(text)\"")
    }
}

extension DMatrix {
    /// A matrix of `labels.count` rows with their labels and weights set.
    static func labeled(_ features: [Float], labels: [Float], weights: [Float]?, featureCount: Int,
                        threads: Int) throws -> DMatrix {
        let matrix = try features.withUnsafeBufferPointer {
            try DMatrix(features: $0, rowCount: labels.count, featureCount: featureCount, threads: threads)
        }
        try matrix.set("label", labels)
        if let weights { try matrix.set("weight", weights) }
        return matrix
    }
}
