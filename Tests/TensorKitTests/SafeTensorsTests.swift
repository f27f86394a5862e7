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

    /// U8 tensors (raw bytes, e.g. a booster's model) round-trip, and their byte count must match the shape.
    func testByteTensorsRoundTripAndAreChecked() throws {
        let payload: [UInt8] = [0, 1, 2, 0x7B, 0xFF, 0x80]
        let file = SafeTensors.File(tensors: ["blob": .init(bytes: payload), "w": .init(floats: [1, 2], shape: [2])],
                                    metadata: ["format": "test"])
        let decoded = try SafeTensors.decode(try SafeTensors.encode(file))
        XCTAssertEqual(try decoded.tensors["blob"]?.bytes(), payload)
        XCTAssertEqual(decoded.tensors["blob"]?.shape, [6])
        XCTAssertThrowsError(try decoded.tensors["w"]!.bytes())
        XCTAssertThrowsError(try decoded.tensors["blob"]!.floats())
        XCTAssertEqual(try SafeTensors.decode(try SafeTensors.encode(.init(tensors: ["empty": .init(bytes: [])]))).tensors["empty"]?.bytes(), [])
        // A U8 header whose shape claims more bytes than its range holds is refused.
        let header = #"{"blob":{"dtype":"U8","shape":[7],"data_offsets":[0,6]}}"#
        var bytes = Data(withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) })
        bytes.append(Data(header.utf8))
        bytes.append(Data(payload))
        XCTAssertThrowsError(try SafeTensors.decode(bytes)) { error in
            XCTAssertTrue("\(error)".contains("7"), "\(error)")
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

    /// Every single-bit flip is refused or decodes to exactly what it changed:
    /// - a flip in the 8-byte header length is refused (the tensors would no longer tile the data);
    /// - a flip in the JSON header is refused, or decodes the same tensors (dtype, shape, bytes),
    ///   at most renamed, with possibly different metadata values;
    /// - a flip in the data section is accepted (the format has no checksum) and re-encodes to the
    ///   flipped file: it changed that bit of one tensor and nothing else.
    func testEveryBitFlipIsRefusedOrDecodesToWhatItChanged() throws {
        let data = try SafeTensors.encode(sample())
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let dataStart = 8 + headerLength
        func entries(_ file: SafeTensors.File) -> [SafeTensors.Entry] {
            file.tensors.values.sorted { $0.data.lexicographicallyPrecedes($1.data) }
        }
        let original = entries(sample())
        var refusedInHeader = 0, acceptedInHeader = 0
        for byte in 0..<data.count {
            for bit in 0..<8 {
                var corrupt = data
                corrupt[byte] ^= UInt8(1 << bit)
                let flip = "byte \(byte) bit \(bit)"
                let decoded: SafeTensors.File
                do {
                    decoded = try SafeTensors.decode(corrupt)
                } catch {
                    XCTAssert(error is SafeTensorsError, "\(flip): \(error)")
                    XCTAssertLessThan(byte, dataStart, "\(flip): a flip in the data section was refused: \(error)")
                    if byte >= 8 { refusedInHeader += 1 }
                    continue
                }
                XCTAssertGreaterThanOrEqual(byte, 8, "\(flip): a changed header length was accepted")
                if byte < dataStart {
                    acceptedInHeader += 1
                    XCTAssertEqual(entries(decoded), original, "\(flip): a header flip changed a tensor")
                } else {
                    XCTAssertEqual(decoded.metadata, sample().metadata, flip)
                    XCTAssertEqual(try SafeTensors.encode(decoded), corrupt, "\(flip): decoded tensors differ from the flipped bytes")
                }
            }
        }
        print("header bit flips: \(refusedInHeader) refused, \(acceptedInHeader) accepted")
        XCTAssertGreaterThan(refusedInHeader, 0)
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
