import ChurnSupport
import Foundation
import XCTest
@testable import TensorKit

final class SafeTensorsTests: XCTestCase {
    func sample() -> SafeTensors.File {
        SafeTensors.File(tensors: ["b.weight": .init(floats: [1, 2, 3, 4, 5, 6], shape: [2, 3]),
                                   "a.ids": .init(int32s: [7, -8], shape: [2])],
                         metadata: ["format": "test/1"])
    }

    func testRoundTripAndDeterministicEncoding() throws {
        let data = try SafeTensors.encode(sample())
        XCTAssertEqual(data, try SafeTensors.encode(sample()))
        let decoded = try SafeTensors.decode(data)
        XCTAssertEqual(decoded.tensors, sample().tensors)
        XCTAssertEqual(decoded.metadata, ["format": "test/1"])
        XCTAssertEqual(try decoded.tensors["a.ids"]!.int32s(), [7, -8])
        XCTAssertEqual(data.count % 8, 0)
    }

    func refuses(_ data: Data, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.decode(data), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssert(message.contains(text), "message '\(message)' lacks '\(text)'", file: file, line: line)
        }
    }

    func testTruncatedFilesAreRefused() throws {
        let data = try SafeTensors.encode(sample())
        for cut in [0, 4, 7, 8, 20, data.count - 1, data.count - 4] {
            XCTAssertThrowsError(try SafeTensors.decode(data.prefix(cut)), "cut at \(cut)")
        }
        refuses(data.prefix(data.count - 4), containing: "data section")
        refuses(data.prefix(5), containing: "shorter than the 8-byte")
    }

    func testHeaderLengthBeyondFileIsRefused() throws {
        var data = try SafeTensors.encode(sample())
        data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(data.count).littleEndian) { Data($0) })
        refuses(data, containing: "runs past the end")
        data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { Data($0) })
        refuses(data, containing: "implausibly large")
    }

    func testForeignFilesAreRefused() {
        refuses(Data("customer_id,timestamp\nc1,2024-01-01\n".utf8), containing: "header")
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<200 {
            let random = Data((0..<Int(rng.nextInt(below: 300))).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            XCTAssertThrowsError(try SafeTensors.decode(random))
        }
    }

    /// Every single-bit flip either is detected or decodes to something self-consistent: never a crash.
    func testBitFlipsNeverCrash() throws {
        let data = try SafeTensors.encode(sample())
        var refused = 0
        for byte in 0..<data.count {
            for bit in [0, 3, 6] {
                var corrupt = data
                corrupt[byte] ^= UInt8(1 << bit)
                if (try? SafeTensors.decode(corrupt)) == nil { refused += 1 }
            }
        }
        XCTAssertGreaterThan(refused, 0)
    }

    func header(_ json: String, dataBytes: Int) -> Data {
        var out = withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { Data($0) }
        out.append(Data(json.utf8))
        out.append(Data(count: dataBytes))
        return out
    }

    func testInconsistentHeadersAreRefused() {
        refuses(header(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataBytes: 12),
                containing: "overlaps")
        refuses(header(#"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, dataBytes: 8), containing: "for shape [3]")
        refuses(header(#"{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#, dataBytes: 4), containing: "unsupported dtype")
        refuses(header(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, dataBytes: 16), containing: "cover 8")
        refuses(header(#"{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataBytes: 8), containing: "invalid shape")
        refuses(header(#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,80]}}"#, dataBytes: 8), containing: "spans bytes")
        refuses(header(#"{"x":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#, dataBytes: 4), containing: "whole numbers")
        refuses(header(#"{"x":{"dtype":"F32","shape":[2]}}"#, dataBytes: 8), containing: "lacks")
        refuses(header(#"{"__metadata__":{"k":3}}"#, dataBytes: 0), containing: "not a string")
        refuses(header("[1,2]", dataBytes: 0), containing: "JSON object")
        refuses(header("{not json", dataBytes: 0), containing: "not valid JSON")
    }

    func testAtomicWriteReplacesFileAndLeavesNoTemporaries() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try SafeTensors.write(sample(), to: url)
        try SafeTensors.write(sample(), to: url)
        XCTAssertEqual(try SafeTensors.read(from: url).metadata["format"], "test/1")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["m.safetensors"])
        XCTAssertThrowsError(try SafeTensors.write(sample(), to: directory.appendingPathComponent("missing/dir/m.safetensors")))
    }
}
