import ChurnSupport
import Dispatch
import Foundation
import XCTest

/// `Threading.withThreadCount` binds a count for its scope only: tests can run side by side.
final class ThreadingTests: XCTestCase {
    func testScopedCountIsVisibleInsideOnlyAndNests() throws {
        let global = Threading.threadCount
        let inner = Threading.withThreadCount(global + 3) { () -> [Int] in
            let outer = Threading.threadCount
            let nested = Threading.withThreadCount(1) { Threading.threadCount }
            return [outer, nested, Threading.threadCount]
        }
        XCTAssertEqual(inner, [global + 3, 1, global + 3])
        XCTAssertEqual(Threading.threadCount, global, "the process-wide count is untouched")
        struct Stop: Error {}
        XCTAssertThrowsError(try Threading.withThreadCount(5) { throw Stop() })
        XCTAssertEqual(Threading.threadCount, global, "the scope ends when its body throws")
    }

    /// Workers of `parallelFor` and `parallelRegions` see their caller's scoped count.
    func testWorkersInheritTheScopedCount() {
        let count = Threading.threadCount + 2
        let caller = pthread_self()
        var offCaller = 0
        let seen = Threading.withThreadCount(count) { () -> [Int] in
            var seen = [Int](repeating: 0, count: 4 + count)
            var elsewhere = [Bool](repeating: false, count: 4 + count)
            seen.withUnsafeMutableBufferPointer { out in
                elsewhere.withUnsafeMutableBufferPointer { away in
                    let out = out, away = away
                    // Slow parts, so that the caller does not run them all before a worker starts.
                    Threading.parallelRegions(4) { part in
                        usleep(20_000)
                        out[part] = Threading.threadCount
                        away[part] = pthread_equal(pthread_self(), caller) == 0
                    }
                    Threading.parallelFor(count, minimumPerThread: 1) { range in
                        usleep(20_000)
                        for i in range {
                            out[4 + i] = Threading.threadCount
                            away[4 + i] = pthread_equal(pthread_self(), caller) == 0
                        }
                    }
                }
            }
            offCaller = elsewhere.filter { $0 }.count
            return seen
        }
        XCTAssertEqual(seen, [Int](repeating: count, count: 4 + count))
        XCTAssertGreaterThan(offCaller, 0, "no part ran on a worker thread: the test proves nothing")
        var unscoped = [Int](repeating: 0, count: 2)
        unscoped.withUnsafeMutableBufferPointer { out in
            let out = out
            Threading.parallelRegions(2) { part in out[part] = Threading.threadCount }
        }
        XCTAssertEqual(unscoped, [Threading.threadCount, Threading.threadCount])
    }

    /// Threads that bind different counts at the same time each see their own.
    func testConcurrentScopesDoNotInterfere() {
        let lanes = 8
        var wrong = [Int](repeating: 0, count: lanes)
        wrong.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                Threading.withThreadCount(lane + 1) {
                    for _ in 0..<20_000 where Threading.threadCount != lane + 1 { out[lane] += 1 }
                }
            }
        }
        XCTAssertEqual(wrong, [Int](repeating: 0, count: lanes))
    }
}
