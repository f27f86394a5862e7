/// Hyperparameters of a training run; stored in the model config and in checkpoints.
public struct TrainingOptions: Codable, Equatable, Sendable {
    public var epochs = 30
    public var batchSize = 64
    public var learningRate: Float = 5e-3
    public var weightDecay: Float = 1e-2
    /// Epochs without a better validation loss before stopping.
    public var patience = 5
    public var validationFraction = 0.2
    /// Global gradient-norm bound (0 disables clipping).
    public var clipNorm: Float = 1.0
    /// Weight of the positive (churn) class in the loss; 1 is unweighted.
    public var positiveWeight: Float = 1
    public var seed: UInt64 = 1

    public init() {}
}

/// One epoch of the training history (stored in the model config for the report's curves).
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public var validationAUC: Double
    public var learningRate: Double
    public var seconds: Double
    public var sequencesPerSecond: Double
}
