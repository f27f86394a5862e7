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

    func writeModel(_ name: String = "m.safetensors") throws -> (URL, ParameterSet, ModelConfig) {
        var rng = SeededGenerator(seed: 1)
        let parameters = ParameterSet(shape: shape)
        parameters.initialize(using: &rng)
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

    func testBitFlippedFilesNeverCrash() throws {
        let (url, _, _) = try writeModel()
        let data = try Data(contentsOf: url)
        var rng = SeededGenerator(seed: 2)
        var refused = 0
        for _ in 0..<300 {
            var corrupt = data
            corrupt[rng.nextInt(below: corrupt.count)] ^= UInt8(1 << rng.nextInt(below: 8))
            try corrupt.write(to: url)
            if (try? ModelFile.read(from: url)) == nil { refused += 1 }
        }
        XCTAssertGreaterThan(refused, 0)
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
