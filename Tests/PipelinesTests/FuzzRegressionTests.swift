import Reports
import Baselines
import Features
import Snapshots
import EventLog
import Foundation
import XCTest
import Pipelines

/// Replays every input in `Fuzz/crashes/TARGET` (inputs that once crashed a libFuzzer harness,
/// see `scripts/fuzz.sh`) and the committed seeds through the same library calls as the
/// harnesses: each must now be refused with an error or accepted, never crash.
final class FuzzRegressionTests: XCTestCase {
    /// The repository's `Fuzz` directory, found from this source file.
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

    func inputs(_ target: String) throws -> [(name: String, bytes: Data)] {
        var found: [(String, Data)] = []
        for kind in ["crashes", "seeds"] {
            let directory = Self.fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where !name.hasPrefix(".") {
                found.append(("\(kind)/\(target)/\(name)", try Data(contentsOf: directory.appendingPathComponent(name))))
            }
        }
        if found.isEmpty { throw XCTSkip("no fuzz inputs under \(Self.fuzzDirectory.path)") }
        return found
    }

    func testCSVInputs() throws {
        for (name, bytes) in try inputs("csv") where !bytes.isEmpty {
            let flags = bytes[bytes.startIndex]
            let options = LoadOptions(columns: ColumnMapping(values: flags & 1 != 0 ? ["amount"] : []), strict: flags & 2 != 0,
                                      threads: 1, chunkSize: 16 + Int(flags >> 4))
            var loader = CSVEventReader(options: options)
            do {
                try loader.add(source: MemoryByteSource(Array(bytes.dropFirst())), name: name)
                let (store, report) = try loader.finish()
                XCTAssertEqual(report.rowsRead, report.rowsLoaded + report.badRows, name)
                let cutoff = SnapshotBuilder.defaultCutoff(store: store, horizon: .days(30))
                let snapshot = SnapshotBuilder.make(store: store, cutoff: cutoff, options: SnapshotOptions(horizon: .days(30)))
                if !snapshot.rows.isEmpty {
                    let spec = try FeatureSpec.fit(store: store, rows: snapshot.rows, maxEvents: 4)
                    XCTAssertNil(spec.inconsistency, name)
                    let featurizer = Featurizer(spec: spec, store: store)
                    for row in snapshot.rows { XCTAssert(featurizer.featurize(row).numeric.allSatisfy(\.isFinite), name) }
                }
            } catch let error as EventLogError {
                XCTAssertFalse(error.description.isEmpty, name)
            }
        }
    }

    func testTimestampInputs() throws {
        for (name, bytes) in try inputs("timestamp") {
            let text = String(decoding: bytes, as: UTF8.self)
            if let t = bytes.withUnsafeBytes({ Timestamp.parse($0.bindMemory(to: UInt8.self)) }) {
                XCTAssertEqual(Timestamp.parse(Timestamp.format(t)), t, name)
            }
            if let span = TimeSpan(parsing: text) { XCTAssertGreaterThan(span.microseconds, 0, name) }
        }
    }

    func testModelFileInputs() throws {
        for (name, bytes) in try inputs("modelfile") {
            guard let model = try? ForecastModel.decode(bytes, path: name) else { continue }
            XCTAssert(model.network.parameters.valuesAreFinite, name)
            XCTAssertNil(model.features.inconsistency, name)
            // As churn-predict: a store with the model's value columns, featurized and scored.
            let values = model.data.columns.values
            let store = EventStore(customerIDs: ["a", "b"], eventNames: ["login"], valueColumns: values, customers: [0, 1],
                                   times: [0, Timestamp.microsecondsPerDay], events: [0, 0], values: values.map { _ in [1, 2] })
            let snapshot = SnapshotBuilder.make(store: store, cutoff: SnapshotBuilder.defaultAsOf(store: store),
                                                options: SnapshotOptions(horizon: model.data.horizon, activeWithin: model.data.activeWithin),
                                                labels: .none)
            XCTAssertEqual(try Scorer(model: model, store: store).logits(rows: snapshot.rows).count, snapshot.rows.count, name)
        }
    }
}
