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
    /// Decay of the exponential moving average of the weights that validation, early stopping
    /// and the saved model use (0 = use the raw weights). The effective decay in step t is
    /// `min(averageDecay, (1 + t) / (10 + t))`, so the average follows the weights early on.
    public var averageDecay: Float = 0.999
    /// Dropout rate on the LSTM input and on the last hidden state during training (0 = off).
    public var dropout: Float = 0.1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, weightDecay, patience, validationFraction, clipNorm, positiveWeight, seed, averageDecay, dropout
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        weightDecay = try c.decode(Float.self, forKey: .weightDecay)
        patience = try c.decode(Int.self, forKey: .patience)
        validationFraction = try c.decode(Double.self, forKey: .validationFraction)
        clipNorm = try c.decode(Float.self, forKey: .clipNorm)
        positiveWeight = try c.decode(Float.self, forKey: .positiveWeight)
        seed = try c.decode(UInt64.self, forKey: .seed)
        // Model files written before weight averaging existed trained without it.
        averageDecay = try c.decodeIfPresent(Float.self, forKey: .averageDecay) ?? 0
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0
    }
}
