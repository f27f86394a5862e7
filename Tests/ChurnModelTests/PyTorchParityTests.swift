import TensorKit
import XCTest
import _TestSupport
@testable import ChurnModel

/// Compares the network with PyTorch `nn.LSTM` on stored fixtures: forward within 1e-5,
/// gradients within 1e-4, parameters after three optimizer steps within 1e-5.
final class PyTorchParityTests: XCTestCase {
    func checkForwardAndGradients(_ name: String) throws {
        let fixture = try ParityFixture(named: name)
        let network = try fixture.makeNetwork()
        print("\(name):")
        let logits = try network.forward(fixture.batch)
        assertClose(logits, try fixture.tensor("out.logits").storage, tolerance: 1e-5, "logits")
        let loss = BinaryCrossEntropy.forward(logits: logits, labels: fixture.batch.labels!, posWeight: fixture.posWeight)
        assertClose([Float(loss)], try fixture.tensor("out.loss").storage, tolerance: 1e-5, "loss")
        let (hn, cn) = network.finalStates()
        assertClose(hn.storage, try fixture.tensor("out.h_n").storage, tolerance: 1e-5, "h_n")
        assertClose(cn.storage, try fixture.tensor("out.c_n").storage, tolerance: 1e-5, "c_n")
        assertClose(network.topOutputs().storage, fixture.unpad(try fixture.tensor("out.top_hidden")), tolerance: 1e-5, "top hidden (valid steps)")

        // Training's backward (embedding columns of the input gradient only), then the one that
        // also fills the numeric-input gradient: the same parameter gradients.
        for numeric in [false, true] {
            network.computesNumericGradient = numeric
            try computeGradients(network, fixture.batch, posWeight: fixture.posWeight)
            for entry in network.parameters.entries {
                assertClose(network.parameters.gradient(named: entry.name)!.storage,
                            try fixture.tensor("grad." + entry.name).storage, tolerance: 1e-4, "grad " + entry.name)
            }
        }
        assertClose(network.numericGradient.array, fixture.unpad(try fixture.tensor("grad.input.numeric")),
                    tolerance: 1e-4, "grad numeric input")
    }

    func testTwoLayerForwardAndGradientsMatchPyTorch() throws {
        try checkForwardAndGradients("lstm_parity")
    }

    func testSingleLayerForwardAndGradientsMatchPyTorch() throws {
        try checkForwardAndGradients("lstm_single_layer")
    }

    func checkOptimizer(prefix: String, variant: AdamOptimizer.Variant, weightDecay: Float, clip: Float?) throws {
        let fixture = try ParityFixture(named: "lstm_parity")
        let network = try fixture.makeNetwork()
        var optimizer = AdamOptimizer(parameterCount: network.parameters.values.count, variant: variant,
                                      learningRate: 0.01, weightDecay: weightDecay)
        for step in 0..<3 {
            try computeGradients(network, fixture.batch, posWeight: fixture.posWeight)
            if let clip {
                let norm = GradientClipping.clip(network.parameters, maxNorm: clip)
                if step == 0 {
                    assertClose([norm], try fixture.tensor("adam_clip.grad_norm_step0").storage, tolerance: 1e-5, "grad norm before clipping")
                }
            }
            network.updateParameters { optimizer.update($0) }
        }
        print("\(prefix) after 3 steps:")
        for entry in network.parameters.entries {
            assertClose(network.parameters.tensor(named: entry.name)!.storage,
                        try fixture.tensor("\(prefix).\(entry.name)").storage, tolerance: 1e-5, entry.name)
        }
    }

    func testAdamMatchesPyTorch() throws {
        try checkOptimizer(prefix: "adam", variant: .adam, weightDecay: 0, clip: nil)
    }

    func testAdamWMatchesPyTorch() throws {
        try checkOptimizer(prefix: "adamw", variant: .adamW, weightDecay: 0.1, clip: nil)
    }

    func testAdamWithGradientClippingMatchesPyTorch() throws {
        try checkOptimizer(prefix: "adam_clip", variant: .adam, weightDecay: 0, clip: 0.05)
    }
}
