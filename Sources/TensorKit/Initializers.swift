import ChurnSupport

extension Tensor {
    /// A tensor with elements uniform in `[-bound, bound)`, as PyTorch's `nn.LSTM` and
    /// `nn.Linear` initialize with `bound = 1/√hidden` (or `1/√fan_in`).
    public static func uniform(shape: [Int], bound: Float, using generator: inout SeededGenerator) -> Tensor {
        var tensor = Tensor(shape: shape)
        for i in 0..<tensor.count {
            tensor.storage[i] = (generator.nextFloat() * 2 - 1) * bound
        }
        return tensor
    }

    /// A tensor with standard-normal elements times `scale`, as PyTorch's `nn.Embedding` initializes.
    public static func normal(shape: [Int], scale: Float = 1, using generator: inout SeededGenerator) -> Tensor {
        var tensor = Tensor(shape: shape)
        for i in 0..<tensor.count {
            tensor.storage[i] = Float(generator.nextGaussian()) * scale
        }
        return tensor
    }
}
