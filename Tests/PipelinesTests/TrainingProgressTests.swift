import ChurnModel
import ChurnSupport
import Evaluation
import Foundation
import Pipelines
import XCTest

/// Training events become the progress a person sees: a bar per epoch, a line per epoch result.
final class TrainingProgressTests: XCTestCase {
    func testEventsMapToBarStepsAndLines() {
        let step = TrainingEvent.batch(epoch: 1, batch: 7, batches: 20, loss: 0.25, sequencesPerSecond: 640)
            .progress(epochs: 5, batchSize: 64, checkpoint: nil)
        XCTAssertEqual(step, .step(phase: "epoch 2/5", done: 7, total: 20, unit: "batches", rate: 10, detail: "640 seq/s  loss 0.2500"))
        let record = EpochRecord(epoch: 2, trainLoss: 0.5, validationLoss: 0.4, validationAUC: 0.7, learningRate: 0.001,
                                 seconds: 1.5, sequencesPerSecond: 1000)
        XCTAssertEqual(TrainingEvent.epoch(record, isBest: true).progress(epochs: 5, batchSize: 64, checkpoint: nil),
                       .line("epoch 2/5  train loss 0.5000  val loss 0.4000  val AUC 0.7000  lr 0.001  1000 seq/s  1.5s  *best"))
        XCTAssertEqual(TrainingEvent.resumed(epoch: 0, batch: 3).progress(epochs: 5, batchSize: 64, checkpoint: URL(fileURLWithPath: "/m.ckpt")),
                       .line("resuming from /m.ckpt: epoch 1, batch 4"))
    }
}
