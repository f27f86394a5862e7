import ChurnModel
import ChurnSupport
import EventLog
import Features
import Foundation
import Snapshots
import XCTest
@testable import Pipelines

/// Training from rows featurized a batch at a time gives the model that training from the
/// featurized dataset held in memory gives: the same batches, bit for bit.
final class FeaturizedRowsTests: XCTestCase {
    func testOnTheFlyBatchesTrainTheSameModelAsTheMaterializedDataset() throws {
        let data = AttributeEndToEndTests.makeData()
        var reader = CSVEventReader(options: LoadOptions(attributeColumns: ["plan"]))
        try reader.add(source: MemoryByteSource(data.log), name: "log.csv")
        let store = try reader.finish().store
        let cutoffs = try SnapshotBuilder.cutoffs(latest: Timestamp.parse("2024-05-01")!, count: 2, every: .days(30))
        let rows = try SnapshotBuilder.make(store: store, cutoffs: cutoffs, options: SnapshotOptions(horizon: .days(30)), labels: .window)
            .flatMap(\.rows).filter { $0.label != nil }
        let split = BatchPlanner.splitByCustomer(rows: rows, validationFraction: 0.2, seed: 3)
        let train = split.training.map { rows[$0] }, validation = split.validation.map { rows[$0] }
        let attributes = try AttributeSpec.fit(store: store, rows: train, minCount: 5)
        let spec = try FeatureSpec.fit(store: store, rows: train, maxEvents: 32, attributes: attributes)
        let featurizer = Featurizer(spec: spec, store: store)

        let onTheFly = FeaturizedRows(featurizer: featurizer, rows: train)
        let materialized = DatasetBuilder.build(featurizer: featurizer, rows: train)
        XCTAssertEqual(onTheFly.lengths, materialized.lengths)
        XCTAssertEqual(onTheFly.labels, materialized.labels)
        let some = [5, 0, 17, 3]
        XCTAssertEqual(onTheFly.batch(some).eventIDs, materialized.batch(some).eventIDs)
        XCTAssertEqual(onTheFly.batch(some).numeric.map(\.bitPattern), materialized.batch(some).numeric.map(\.bitPattern))

        func trained(_ trainSet: any SequenceSource, _ validationSet: any SequenceSource) throws -> [Float] {
            let shape = NetworkShape(vocabularySize: spec.vocabulary.count, embeddingSize: 4, numericSize: spec.featureCount,
                                     hiddenSize: 8, numLayers: 1)
            let network = ChurnNetwork(shape: shape)
            var rng = SeededGenerator(seed: 11)
            network.updateParameters { $0.initialize(using: &rng) }
            var options = TrainingOptions()
            options.epochs = 2
            options.batchSize = 32
            let trainer = Trainer(network: network, options: options, train: trainSet, validation: validationSet, auc: { _, _ in 0.5 })
            _ = try trainer.run(checkpoint: nil)
            return network.parameters.values.array
        }
        let a = try trained(onTheFly, FeaturizedRows(featurizer: featurizer, rows: validation))
        let b = try trained(materialized, DatasetBuilder.build(featurizer: featurizer, rows: validation))
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
        XCTAssertTrue(a.allSatisfy(\.isFinite))
    }
}
