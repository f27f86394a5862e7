import ChurnSupport

/// The settings of one gradient-boosting run: binary logistic trees grown with the histogram
/// method, scored by log loss.
///
/// The defaults suit churn tables of about 10 thousand to 1 million rows: shallow trees, a small
/// learning rate with up to 1,000 rounds, row and column subsampling, and early stopping after 50
/// rounds without a better validation log loss. The objective (`binary:logistic`), the metric
/// (`logloss`) and the tree method (`hist`) are fixed.
public struct BoosterParameters: Codable, Equatable, Sendable {
    /// The deepest a tree grows (XGBoost's `max_depth`).
    public var maxDepth: Int
    /// The shrinkage applied to each new tree (`eta`).
    public var learningRate: Double
    /// The fraction of rows each tree sees (`subsample`), in (0, 1].
    public var subsample: Double
    /// The fraction of columns each tree sees (`colsample_bytree`), in (0, 1].
    public var colsampleByTree: Double
    /// The least hessian sum a child needs (`min_child_weight`).
    public var minChildWeight: Double
    /// L2 regularization of the leaf weights (`lambda`).
    public var lambda: Double
    /// L1 regularization of the leaf weights (`alpha`).
    public var alpha: Double
    /// The most boosting rounds (one tree each).
    public var maxRounds: Int
    /// Stop after this many rounds without a lower validation log loss; nil never stops early.
    /// Ignored without a validation set. With one, the model keeps the best round's trees either way.
    public var earlyStoppingRounds: Int?
    /// The most histogram bins per feature (`max_bin`).
    public var maxBins: Int
    /// The seed of the row and column sampling.
    public var seed: UInt64
    /// XGBoost's thread count (`nthread`); a model is reproducible for a seed and thread count.
    public var threads: Int

    /// The churn defaults; `threads` defaults to `Threading.threadCount` when the value is made.
    public init(maxDepth: Int = 4, learningRate: Double = 0.05, subsample: Double = 0.8,
                colsampleByTree: Double = 0.8, minChildWeight: Double = 1, lambda: Double = 1, alpha: Double = 0,
                maxRounds: Int = 1000, earlyStoppingRounds: Int? = 50, maxBins: Int = 256, seed: UInt64 = 0,
                threads: Int = Threading.threadCount) {
        self.maxDepth = maxDepth
        self.learningRate = learningRate
        self.subsample = subsample
        self.colsampleByTree = colsampleByTree
        self.minChildWeight = minChildWeight
        self.lambda = lambda
        self.alpha = alpha
        self.maxRounds = maxRounds
        self.earlyStoppingRounds = earlyStoppingRounds
        self.maxBins = maxBins
        self.seed = seed
        self.threads = threads
    }

    /// Throws `BoostingError.invalidParameter` naming the first value out of range.
    public func validate() throws {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw BoostingError.invalidParameter(message()) }
        }
        try require((1...32).contains(maxDepth), "maxDepth must be in 1...32, got \(maxDepth)")
        try require(learningRate.isFinite && learningRate > 0 && learningRate <= 1,
                    "learningRate must be in (0, 1], got \(learningRate)")
        try require(subsample.isFinite && subsample > 0 && subsample <= 1, "subsample must be in (0, 1], got \(subsample)")
        try require(colsampleByTree.isFinite && colsampleByTree > 0 && colsampleByTree <= 1,
                    "colsampleByTree must be in (0, 1], got \(colsampleByTree)")
        try require(minChildWeight.isFinite && minChildWeight >= 0, "minChildWeight must be finite and ≥ 0, got \(minChildWeight)")
        try require(lambda.isFinite && lambda >= 0, "lambda must be finite and ≥ 0, got \(lambda)")
        try require(alpha.isFinite && alpha >= 0, "alpha must be finite and ≥ 0, got \(alpha)")
        try require(maxRounds >= 1 && maxRounds <= 100_000, "maxRounds must be in 1...100000, got \(maxRounds)")
        if let rounds = earlyStoppingRounds {
            try require(rounds >= 1, "earlyStoppingRounds must be ≥ 1 (or nil), got \(rounds)")
        }
        try require((2...65_536).contains(maxBins), "maxBins must be in 2...65536, got \(maxBins)")
        try require(seed <= UInt64(Int64.max), "seed must be at most \(Int64.max), got \(seed)")
        try require((1...1024).contains(threads), "threads must be in 1...1024, got \(threads)")
    }

    /// The XGBoost parameters, in the order they are set.
    var xgboostParameters: [(name: String, value: String)] {
        [
            ("objective", "binary:logistic"), ("eval_metric", "logloss"), ("tree_method", "hist"),
            ("verbosity", "0"), ("nthread", "\(threads)"), ("seed", "\(seed)"),
            ("max_depth", "\(maxDepth)"), ("eta", "\(learningRate)"), ("subsample", "\(subsample)"),
            ("colsample_bytree", "\(colsampleByTree)"), ("min_child_weight", "\(minChildWeight)"),
            ("lambda", "\(lambda)"), ("alpha", "\(alpha)"), ("max_bin", "\(maxBins)"),
        ]
    }
}
