import COpenBLAS
import Dispatch
import Foundation

/// Thread control for BLAS and for our own parallel loops.
public enum Threading {
    nonisolated(unsafe) private static var _threadCount = ProcessInfo.processInfo.activeProcessorCount

    /// The number of threads BLAS and `parallelFor` use.
    public static var threadCount: Int { _threadCount }

    /// Sets the thread count of OpenBLAS and of `parallelFor` (call once, before work starts).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be positive")
        _threadCount = count
        openblas_set_num_threads(Int32(count))
    }

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

    /// Runs `body(part)` for `part` in `0..<count` concurrently, with OpenBLAS limited to one
    /// thread inside, so that each part may call BLAS on its own rows without the two pools
    /// competing for the same cores. Used for the time loops, whose small per-step GEMMs
    /// parallelize worse across a batch split than inside BLAS.
    public static func parallelRegions(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(threadCount)) }
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count) { body($0) }
        }
    }
}
