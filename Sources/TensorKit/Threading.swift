import COpenBLAS
import Dispatch
import Foundation

/// Thread control for BLAS and for our own parallel loops.
public enum Threading {
    nonisolated(unsafe) private static var _threadCount = ProcessInfo.processInfo.activeProcessorCount

    /// The number of threads BLAS and `parallelFor` use.
    public static var threadCount: Int { _threadCount }

    /// Sets the thread count of our parallel loops and GEMMs (call once, before work starts).
    ///
    /// OpenBLAS itself always runs single-threaded: all parallelism is ours (row blocks of large
    /// GEMMs, sequence blocks of the time loops), so no idle BLAS pool spins against our threads
    /// on a small machine.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be positive")
        _threadCount = count
        openblas_set_num_threads(1)
    }

    /// Runs `body` with OpenBLAS using its own pool of `threadCount` threads (for measuring the
    /// library's native sgemm rate), then pins it back to one thread.
    public static func withNativeBLASThreads<T>(_ body: () throws -> T) rethrows -> T {
        openblas_set_num_threads(Int32(threadCount))
        defer { openblas_set_num_threads(1) }
        return try body()
    }

    /// Pins OpenBLAS to one thread before the first GEMM (its default is every core).
    @usableFromInline static let configureBLAS: Void = { openblas_set_num_threads(1) }()

    /// Runs `body(range)` over `0..<count` split into contiguous chunks across the threads.
    ///
    /// Work below `minimumPerThread` items per thread runs inline on the caller, so that small
    /// loops do not pay for dispatch.
    @inlinable
    public static func parallelFor(_ count: Int, minimumPerThread: Int = 4096,
                                   _ body: (Range<Int>) -> Void) {
        let threads = min(threadCount, max(1, count / max(1, minimumPerThread)))
        if threads <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        let chunk = (count + threads - 1) / threads
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let start = t * chunk
                let end = min(count, start + chunk)
                if start < end { body(start..<end) }
            }
        }
    }

    /// Runs `body(part)` for `part` in `0..<count` concurrently. Used for the time loops: each
    /// part runs its own block of sequences, small per-step GEMMs included, with no barrier
    /// between steps.
    public static func parallelRegions(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count) { body($0) }
        }
    }
}
