import Dispatch
import Foundation

/// Thread control for our own parallel loops (and so for the GEMMs TensorKit splits across them).
///
/// The process-wide count is set once by the executables (`--threads`); code that wants another
/// count for a while, tests above all, binds one with `withThreadCount(_:_:)`, which is scoped to
/// the calling task (or thread) and so never disturbs work running beside it.
public enum Threading {
    nonisolated(unsafe) private static var _threadCount = ProcessInfo.processInfo.activeProcessorCount

    /// The count bound by the innermost `withThreadCount` of this task or thread, if any.
    @TaskLocal private static var scopedThreadCount: Int?

    /// The number of threads `parallelFor` and `parallelRegions` use: the innermost
    /// `withThreadCount` of the calling task or thread, else the process-wide count.
    public static var threadCount: Int { scopedThreadCount ?? _threadCount }

    /// Sets the process-wide thread count of our parallel loops (call once, before work starts).
    ///
    /// Tests and libraries use `withThreadCount(_:_:)` instead, which changes nothing outside its scope.
    public static func setThreadCount(_ count: Int) {
        precondition(count >= 1, "thread count must be positive")
        _threadCount = count
    }

    /// Runs `body` with `threadCount` equal to `count` on the calling task or thread.
    ///
    /// Nothing else sees the change: work running beside it keeps its own count, and the
    /// process-wide count is untouched. The workers of `parallelFor` and `parallelRegions` started
    /// inside `body` inherit the count, so nested parallel loops see it too.
    /// - Precondition: `count >= 1`.
    public static func withThreadCount<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        precondition(count >= 1, "thread count must be positive")
        return try $scopedThreadCount.withValue(count, operation: body)
    }

    /// The calling thread's scoped count, read before dispatching so workers can inherit it.
    @usableFromInline
    static var inheritableThreadCount: Int? { scopedThreadCount }

    /// Runs `body` on a worker with `count` (the dispatching thread's scoped count) bound, so
    /// that what the worker reads is what its caller would have read.
    @usableFromInline
    static func inheriting(_ count: Int?, _ body: () -> Void) {
        guard let count else { return body() }
        $scopedThreadCount.withValue(count, operation: body)
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
        let scoped = inheritableThreadCount
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let start = t * chunk
                let end = min(count, start + chunk)
                if start < end { inheriting(scoped) { body(start..<end) } }
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
        let scoped = scopedThreadCount
        withoutActuallyEscaping(body) { body in
            DispatchQueue.concurrentPerform(iterations: count) { part in inheriting(scoped) { body(part) } }
        }
    }
}
