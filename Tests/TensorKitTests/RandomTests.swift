import ChurnSupport
import XCTest
@testable import TensorKit

final class RandomTests: XCTestCase {
    /// The stream is pinned: a change here would silently change every seeded result.
    func testStreamIsPinnedAcrossPlatforms() {
        var rng = SeededGenerator(seed: 1)
        let first = (0..<3).map { _ in rng.next() }
        var again = SeededGenerator(seed: 1)
        XCTAssertEqual(first, (0..<3).map { _ in again.next() })
        XCTAssertEqual(first, Self.pinned, "xoshiro256** stream changed")
    }

    /// Computed independently (SplitMix64 seeding + xoshiro256** in Python).
    static let pinned: [UInt64] = [0xB3F2_AF6D_0FC7_10C5, 0x853B_5596_4736_4CEA, 0x92F8_9756_082A_4514]

    func testDifferentSeedsGiveDifferentStreams() {
        var a = SeededGenerator(seed: 1), b = SeededGenerator(seed: 2)
        XCTAssertNotEqual(a.next(), b.next())
    }

    func testFloatsAndIntsStayInRange() {
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<10_000 {
            let f = rng.nextFloat()
            XCTAssert(f >= 0 && f < 1)
            let i = rng.nextInt(below: 7)
            XCTAssert(i >= 0 && i < 7)
        }
    }

    func testGaussianMomentsAreStandard() {
        var rng = SeededGenerator(seed: 3)
        let xs = (0..<100_000).map { _ in rng.nextGaussian() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
    }

    func testStateRoundTripsThroughCodable() throws {
        var rng = SeededGenerator(seed: 5)
        _ = rng.next()
        let restored = try JSONDecoder().decode(SeededGenerator.self, from: JSONEncoder().encode(rng))
        var copy = restored
        XCTAssertEqual(copy.next(), rng.next())
    }

    func testShuffleIsDeterministicPermutation() {
        var a = SeededGenerator(seed: 4), b = SeededGenerator(seed: 4)
        var x = Array(0..<50), y = Array(0..<50)
        a.shuffle(&x); b.shuffle(&y)
        XCTAssertEqual(x, y)
        XCTAssertNotEqual(x, Array(0..<50))
        XCTAssertEqual(x.sorted(), Array(0..<50))
    }

    func testUniformInitializerRespectsBound() {
        var rng = SeededGenerator(seed: 8)
        let t = Tensor.uniform(shape: [64, 16], bound: 0.25, using: &rng)
        XCTAssert(t.storage.allSatisfy { abs($0) <= 0.25 })
        XCTAssertGreaterThan(t.storage.max()!, 0.2)
        XCTAssertLessThan(t.storage.min()!, -0.2)
    }
}
