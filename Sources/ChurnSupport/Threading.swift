import Dispatch
import Foundation

/// Thread control for our own parallel loops (and so for the GEMMs TensorKit splits across them).
public enum Threading {
    nonisolated(unsafe) private static var _threadCount = ProcessInfo.processInfo.activeProcessorCount

    /// The number of threads `parallelFor` and `parallelRegions` use.
    public static var threadCount: Int { _threadCount }

    /// Sets the thread count of our parallel loops (call once, before work starts).
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be positive")
        _threadCount = count
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
