import ChurnSupport
import Foundation
import TensorKit
import XCTest
@testable import ChurnModel

final class ModelFileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    let shape = NetworkShape(vocabularySize: 9, embeddingSize: 4, numericSize: 3, hiddenSize: 6, numLayers: 2)

    func writeModel(_ name: String = "m.safetensors", adjust: (ParameterSet) -> Void = { _ in }) throws
        -> (URL, ParameterSet, ModelConfig) {
        var rng = SeededGenerator(seed: 1)
        let parameters = ParameterSet(shape: shape)
        parameters.initialize(using: &rng)
        adjust(parameters)
        let config = ModelConfig(network: shape, calibration: Calibration(a: 0.9, b: -0.2),
                                 features: .object(["vocabulary": .array([.string("<unk>"), .string("<cutoff>")])]),
                                 toolVersion: "test")
        let url = directory.appendingPathComponent(name)
        try ModelFile.write(parameters: parameters, config: config, to: url)
        return (url, parameters, config)
    }

    func testRoundTripKeepsWeightsConfigAndPyTorchNames() throws {
        let (url, parameters, config) = try writeModel()
        let (loaded, loadedConfig) = try ModelFile.read(from: url)
        XCTAssertEqual(loadedConfig, config)
        XCTAssertEqual(loaded.values.array, parameters.values.array)
        let raw = try SafeTensors.read(from: url)
        XCTAssertEqual(raw.metadata["format"], "churn-forecaster/1")
        XCTAssertEqual(raw.tensors["lstm.weight_ih_l0"]?.shape, [24, 7])
        XCTAssertEqual(raw.tensors["lstm.weight_ih_l1"]?.shape, [24, 6])
        XCTAssertEqual(raw.tensors["lstm.bias_hh_l1"]?.shape, [24])
        XCTAssertEqual(raw.tensors["embedding.weight"]?.shape, [9, 4])
        XCTAssertEqual(raw.tensors["head.weight"]?.shape, [1, 6])
        XCTAssertEqual(raw.tensors["head.bias"]?.shape, [1])
        XCTAssertEqual(raw.tensors.count, 11)
    }

    func expectRefusal(_ url: URL, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelFile.read(from: url), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssert(message.contains(text), "'\(message)' lacks '\(text)'", file: file, line: line)
            XCTAssert(message.contains(url.lastPathComponent), "'\(message)' does not name the file", file: file, line: line)
        }
    }

    func testTruncatedFileIsRefused() throws {
        let (url, _, _) = try writeModel()
        let data = try Data(contentsOf: url)
        try data.prefix(data.count / 2).write(to: url)
        expectRefusal(url, containing: "not a readable model file")
    }

    /// Every single-bit flip of a model file is refused, or loads the original network but for
    /// what the flip hit (the file has no checksum, so a flipped weight cannot be detected):
    /// - a flip in the 8-byte header length is refused;
    /// - a flip in the JSON header is refused, or loads the same network shape and bitwise the
    ///   same weights (only config values such as the calibration or a vocabulary name change);
    /// - a flip in the weights is refused exactly when it makes that weight NaN or infinite, and
    ///   otherwise changes that one bit of that one weight.
    func testEveryBitFlipIsRefusedOrChangesOnlyWhatItHit() throws {
        // One weight in [1, 2): flipping its top exponent bit makes it infinite or NaN.
        let (url, parameters, config) = try writeModel { $0.values[0] = 1.5 }
        let data = try Data(contentsOf: url)
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let dataStart = 8 + headerLength
        // The weights as the file holds them: every tensor, in the order of the data section.
        func weights(_ parameters: ParameterSet) -> [UInt32] {
            parameters.entries.map(\.name).sorted().flatMap { parameters.tensor(named: $0)!.storage.map(\.bitPattern) }
        }
        let original = weights(parameters)
        XCTAssertEqual(data.count - dataStart, 4 * original.count, "the data section is the weights")
        enum Region: String { case length, header, weights }
        var refused: [String: Int] = [:], accepted: [String: Int] = [:]
        for byte in 0..<data.count {
            let region: Region = byte < 8 ? .length : byte < dataStart ? .header : .weights
            // Every bit of the header and of the first and last weight; one bit of each other byte
            // (cycling through the positions), which keeps the test quick.
            let exhaustive = region != .weights || byte < dataStart + 4 || byte >= data.count - 4
            for bit in exhaustive ? Array(0..<8) : [(byte * 5) % 8] {
                var corrupt = data
                corrupt[byte] ^= UInt8(1 << bit)
                let flip = "byte \(byte) (\(region.rawValue)) bit \(bit)"
                let loaded: (parameters: ParameterSet, config: ModelConfig, extras: [String: SafeTensors.Entry])
                do {
                    loaded = try ModelFile.decode(corrupt, path: "m.safetensors")
                } catch {
                    refused[region.rawValue, default: 0] += 1
                    XCTAssert(error is ModelFileError, "\(flip): \(error)")
                    if region == .weights {
                        let start = dataStart + (byte - dataStart) / 4 * 4
                        let weight = corrupt.withUnsafeBytes {
                            Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
                        }
                        XCTAssertFalse(weight.isFinite, "\(flip): the finite weight \(weight) was refused: \(error)")
                    }
                    continue
                }
                accepted[region.rawValue, default: 0] += 1
                XCTAssertNotEqual(region, .length, "\(flip): a changed header length was accepted")
                XCTAssertEqual(loaded.config.network, config.network, "\(flip): the network shape changed")
                let loadedWeights = weights(loaded.parameters)
                XCTAssertEqual(loadedWeights.count, original.count, flip)
                guard loadedWeights.count == original.count else { continue }
                let changed = zip(loadedWeights, original).map { $0 ^ $1 }.filter { $0 != 0 }
                if region == .weights {
                    XCTAssertEqual(changed, [UInt32(1) << UInt32(8 * ((byte - dataStart) % 4) + bit)],
                                   "\(flip): not exactly the flipped bit of one weight changed")
                } else {
                    XCTAssertEqual(changed, [], "\(flip): a header flip changed weights")
                }
            }
        }
        print("bit flips refused \(refused.sorted { $0.key < $1.key }), accepted \(accepted.sorted { $0.key < $1.key })")
        XCTAssertEqual(refused["length"], 64, "every flip of the header length is refused")
        XCTAssertGreaterThan(refused["header", default: 0], 0)
        XCTAssertGreaterThanOrEqual(refused["weights", default: 0], 1, "the flip of 1.5's top exponent bit (to NaN) is refused")
        XCTAssertGreaterThan(accepted["weights", default: 0], 0)
    }

    func testOversizedHeaderLengthIsRefused() throws {
        let (url, _, _) = try writeModel()
        var data = try Data(contentsOf: url)
        data.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1 << 50).littleEndian) { Data($0) })
        try data.write(to: url)
        expectRefusal(url, containing: "implausibly large")
    }

    func testForeignSafetensorsIsRefused() throws {
        let url = directory.appendingPathComponent("foreign.safetensors")
        try SafeTensors.write(SafeTensors.File(tensors: ["w": .init(floats: [1], shape: [1])]), to: url)
        expectRefusal(url, containing: "foreign model")
        let text = directory.appendingPathComponent("events.csv")
        try Data("customer_id,timestamp,event\n".utf8).write(to: text)
        expectRefusal(text, containing: "not a readable model file")
    }

    func rewrite(_ url: URL, _ change: (inout SafeTensors.File) -> Void) throws {
        var file = try SafeTensors.read(from: url)
        change(&file)
        try SafeTensors.write(file, to: url)
    }

    func testFutureFormatVersionIsRefused() throws {
        let (url, _, _) = try writeModel()
        try rewrite(url) { $0.metadata["format"] = "churn-forecaster/2" }
        expectRefusal(url, containing: "newer or different tool")
    }

    func testWrongShapeMissingAndExtraTensorsAreRefused() throws {
        let (url, _, _) = try writeModel()
        try rewrite(url) { $0.tensors["head.weight"] = .init(floats: [1, 2], shape: [1, 2]) }
        expectRefusal(url, containing: "shape [1, 2]")
        let (url2, _, _) = try writeModel("b.safetensors")
        try rewrite(url2) { $0.tensors["lstm.bias_hh_l1"] = nil }
        expectRefusal(url2, containing: "lacks tensor 'lstm.bias_hh_l1'")
        let (url3, _, _) = try writeModel("c.safetensors")
        try rewrite(url3) { $0.tensors["lstm.weight_ih_l2"] = .init(floats: [1], shape: [1]) }
        expectRefusal(url3, containing: "unexpected tensor")
    }

    func testNaNWeightsAreRefusedAndNeverWritten() throws {
        let (url, parameters, config) = try writeModel()
        try rewrite(url) { $0.tensors["head.bias"] = .init(floats: [.nan], shape: [1]) }
        expectRefusal(url, containing: "NaN")
        parameters.values[3] = .infinity
        let target = directory.appendingPathComponent("nan.safetensors")
        XCTAssertThrowsError(try ModelFile.write(parameters: parameters, config: config, to: target))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
    }

    func testBrokenConfigIsRefused() throws {
        let (url, _, _) = try writeModel()
        try rewrite(url) { $0.metadata["config"] = #"{"network": 3}"# }
        expectRefusal(url, containing: "invalid config")
        try rewrite(url) { $0.metadata["config"] = "{" }
        expectRefusal(url, containing: "not valid JSON")
    }

    func testMissingFileIsUnreadable() {
        XCTAssertThrowsError(try ModelFile.read(from: directory.appendingPathComponent("absent.safetensors"))) { error in
            guard case SafeTensorsError.unreadable = error else { return XCTFail("\(error)") }
        }
    }
}
