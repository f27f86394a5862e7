/// A growable, 64-byte-aligned Float32 buffer with a stable pointer between resizes.
///
/// Model parameters, gradients and workspaces live in `FloatBuffer`s so that hot loops run on
/// raw pointers without array copy-on-write checks or exclusivity bookkeeping. `reserve` only
/// reallocates when the capacity grows, so a workspace sized by the first batch is reused
/// without allocation afterwards.
public final class FloatBuffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var count: Int
    public private(set) var capacity: Int

    public init(count: Int = 0, repeating value: Float = 0) {
        capacity = max(count, 16)
        pointer = Self.allocate(capacity)
        self.count = count
        pointer.update(repeating: value, count: capacity)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: count)
    }

    /// Sets the element count to `count`, growing the allocation if needed.
    ///
    /// Contents up to the old count are kept when the buffer grows; new elements are zero.
    public func resize(_ count: Int) {
        if count > capacity {
            let newCapacity = max(count, capacity + capacity / 2)
            let newPointer = Self.allocate(newCapacity)
            newPointer.update(from: pointer, count: self.count)
            (newPointer + self.count).update(repeating: 0, count: newCapacity - self.count)
            pointer.deallocate()
            pointer = newPointer
            capacity = newCapacity
        }
        self.count = count
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public subscript(index: Int) -> Float {
        get { assert(index >= 0 && index < count); return pointer[index] }
        set { assert(index >= 0 && index < count); pointer[index] = newValue }
    }
}
