/// The processes of a data-parallel run and the collective operations between them.
///
/// Every process calls the same operations in the same order, as MPI requires; each one returns
/// the same result on every process. `SingleProcess` is the run of one process, where every
/// operation is the identity; an MPI implementation lives beside the executables, so that no
/// library module links MPI.
public protocol Collective: AnyObject, Sendable {
    /// This process, `0 ..< size`; process 0 writes the outputs.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Replaces `buffer` on every process with the element-wise sum over the processes.
    func sum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Replaces `buffer` on every process with the element-wise sum over the processes.
    func sum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// The concatenation of every process's `local`, in rank order, on every process.
    /// - Precondition: process r passes `counts[r]` values; `counts` is the same everywhere.
    func gather(_ local: [Float], counts: [Int]) -> [Float]
    /// Replaces `buffer` on every process with process 0's.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// Returns when every process has called it; a process waiting here sleeps instead of
    /// spinning, so that it leaves its core to the others (process 0 fitting XGBoost, say).
    func wait()
}

extension Collective {
    /// True on the process that writes the outputs.
    public var isRoot: Bool { rank == 0 }

    /// The contiguous share of `0 ..< count` that this process handles: the first `count % size`
    /// processes take one item more.
    public func share(of count: Int) -> Range<Int> { Self.share(of: count, rank: rank, size: size) }

    /// Every process's share of `0 ..< count`, in rank order.
    public func shares(of count: Int) -> [Range<Int>] { (0..<size).map { Self.share(of: count, rank: $0, size: size) } }

    static func share(of count: Int, rank: Int, size: Int) -> Range<Int> {
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start ..< start + base + (rank < extra ? 1 : 0)
    }

    /// `value` summed over the processes.
    public func sum(_ value: Double) -> Double {
        var x = value
        withUnsafeMutablePointer(to: &x) { sum(UnsafeMutableBufferPointer(start: $0, count: 1)) }
        return x
    }
}

/// A run of one process: every collective operation is the identity.
public final class SingleProcess: Collective {
    public static let shared = SingleProcess()
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func sum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func sum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func gather(_ local: [Float], counts: [Int]) -> [Float] { local }
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func wait() {}
}
