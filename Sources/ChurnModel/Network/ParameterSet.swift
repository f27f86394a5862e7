import ChurnSupport
import TensorKit

/// Every parameter of the network in one contiguous buffer, with named views; gradients share
/// the layout, so an optimizer is one flat loop.
///
/// Names and shapes are PyTorch's (`embedding.weight`, `lstm.weight_ih_l0`, …, `head.bias`),
/// which makes them the interchange format of the model file.
///
/// A network's weights change only inside `ChurnNetwork.updateParameters`, which drops what
/// inference derived from them; a `ParameterSet` that no network owns (a copy of the best or
/// the averaged weights) may be changed directly.
public final class ParameterSet {
    /// One named parameter tensor inside the flat buffer.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let shape: NetworkShape
    public let entries: [Entry]
    public let values: FloatBuffer
    public let gradients: FloatBuffer

    /// Named views of `values`: the weights the layers read.
    public let valueViews: ParameterViews
    /// Named views of `gradients`, in the same layout: where the backward passes accumulate.
    public let gradientViews: ParameterViews

    /// Zero-initialized parameters of `shape`.
    public init(shape: NetworkShape) {
        self.shape = shape
        var entries: [Entry] = []
        var offset = 0
        func add(_ name: String, _ dims: [Int]) -> Int {
            let start = offset
            entries.append(Entry(name: name, shape: dims, offset: start))
            // Keep every tensor 16-float (64-byte) aligned for vector loads.
            offset += (dims.reduce(1, *) + 15) / 16 * 16
            return start
        }
        var named: [String: Int] = [:]
        for (name, dims) in shape.parameterShapes { named[name] = add(name, dims) }
        self.entries = entries
        values = FloatBuffer(count: offset)
        gradients = FloatBuffer(count: offset)
        valueViews = ParameterViews(shape: shape, buffer: values.pointer, offsets: named)
        gradientViews = ParameterViews(shape: shape, buffer: gradients.pointer, offsets: named)
    }

    /// The number of trainable scalars (padding between tensors excluded).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// A copy of one parameter tensor.
    public func tensor(named name: String) -> Tensor? {
        guard let e = entry(named: name) else { return nil }
        return Tensor(shape: e.shape, storage: Array(UnsafeBufferPointer(start: values.pointer + e.offset, count: e.count)))
    }

    /// A copy of one gradient tensor.
    public func gradient(named name: String) -> Tensor? {
        guard let e = entry(named: name) else { return nil }
        return Tensor(shape: e.shape, storage: Array(UnsafeBufferPointer(start: gradients.pointer + e.offset, count: e.count)))
    }

    /// Overwrites one parameter tensor.
    /// - Precondition: `name` exists and `tensor` has its element count.
    public func set(_ name: String, _ tensor: Tensor) {
        guard let e = entry(named: name) else { preconditionFailure("no parameter \(name)") }
        precondition(tensor.count == e.count, "\(name): expected \(e.shape), got \(tensor.shape)")
        tensor.storage.withUnsafeBufferPointer { (values.pointer + e.offset).update(from: $0.baseAddress!, count: e.count) }
    }

    /// PyTorch's default initialization: LSTM and head uniform in ±1/√H (head: ±1/√fan_in, the
    /// same here), embedding standard normal.
    public func initialize(using generator: inout SeededGenerator) {
        values.zero()
        let bound = 1 / Float(shape.hiddenSize).squareRoot()
        for e in entries {
            let t: Tensor = e.name == "embedding.weight"
                ? .normal(shape: e.shape, using: &generator)
                : .uniform(shape: e.shape, bound: bound, using: &generator)
            set(e.name, t)
        }
    }

    /// Copies values (not gradients) from `other` of the same shape.
    public func copyValues(from other: ParameterSet) {
        precondition(other.shape == shape)
        values.pointer.update(from: other.values.pointer, count: values.count)
    }

    /// True when every parameter is finite.
    public var valuesAreFinite: Bool {
        let p = values.pointer
        for i in 0..<values.count where !p[i].isFinite { return false }
        return true
    }
}
