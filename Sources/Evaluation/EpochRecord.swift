import Foundation

/// One epoch of the training history (stored in the model config for the report's curves).
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var validationLoss: Double
    public var validationAUC: Double
    public var learningRate: Double
    public var seconds: Double
    public var sequencesPerSecond: Double

    public init(epoch: Int, trainLoss: Double, validationLoss: Double, validationAUC: Double, learningRate: Double,
                seconds: Double, sequencesPerSecond: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.validationLoss = validationLoss
        self.validationAUC = validationAUC
        self.learningRate = learningRate
        self.seconds = seconds
        self.sequencesPerSecond = sequencesPerSecond
    }
}

extension EpochRecord {
    private enum CodingKeys: String, CodingKey {
        case epoch, trainLoss, validationLoss, validationAUC, learningRate, seconds, sequencesPerSecond
    }

    /// Reads a record; `null` (an undefined metric) reads as NaN.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func number(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? .nan }
        self.init(epoch: try c.decode(Int.self, forKey: .epoch), trainLoss: try number(.trainLoss),
                  validationLoss: try number(.validationLoss), validationAUC: try number(.validationAUC),
                  learningRate: try number(.learningRate), seconds: try number(.seconds),
                  sequencesPerSecond: try number(.sequencesPerSecond))
    }

    /// Writes a record; an undefined metric (NaN, e.g. the validation AUC when the validation
    /// customers all have the same label) is written as `null`, since JSON has no NaN.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func put(_ value: Double, _ key: CodingKeys) throws {
            if value.isFinite { try c.encode(value, forKey: key) } else { try c.encodeNil(forKey: key) }
        }
        try c.encode(epoch, forKey: .epoch)
        try put(trainLoss, .trainLoss)
        try put(validationLoss, .validationLoss)
        try put(validationAUC, .validationAUC)
        try put(learningRate, .learningRate)
        try put(seconds, .seconds)
        try put(sequencesPerSecond, .sequencesPerSecond)
    }
}
