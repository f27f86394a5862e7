/// A dense, row-major Float32 tensor: a shape and contiguous storage.
///
/// `Tensor` is a value type (copy-on-write through its array storage). Hot code works on raw
/// pointers obtained with `withUnsafeMutableBufferPointer`; the tensor itself carries no strides,
/// views or autograd — the model layers own their forward and backward passes.
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` over `storage`.
    /// - Precondition: `storage.count` equals the product of `shape`.
    public init(shape: [Int], storage: [Float]) {
        precondition(storage.count == shape.reduce(1, *),
                     "storage of \(storage.count) elements does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    public var count: Int { storage.count }
}
