// swift-tools-version:6.0
// ChurnForecaster: churn forecasting from raw event logs with a BLAS-backed LSTM.
import PackageDescription

/// Release builds drop exclusivity checks in the numerical modules: their hot loops run on
/// unsafe buffer pointers whose aliasing the code controls.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "ChurnForecaster",
    products: [
        .library(name: "TensorKit", targets: ["TensorKit"]),
        .library(name: "ChurnModel", targets: ["ChurnModel"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "ChurnSimulation", targets: ["ChurnSimulation"]),
        .executable(name: "churn-train", targets: ["churn-train"]),
        .executable(name: "churn-evaluate", targets: ["churn-evaluate"]),
        .executable(name: "churn-predict", targets: ["churn-predict"]),
        .executable(name: "churn-bench", targets: ["churn-bench"]),
        .executable(name: "churn-simulate", targets: ["churn-simulate"]),
    ],
    targets: [
        // System C libraries from Debian packages.
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Libraries: tensors → model; event logs → snapshots; simulation; command-line layer.
        .target(name: "TensorKit", dependencies: ["COpenBLAS"], swiftSettings: fastMath),
        .target(name: "ChurnModel", dependencies: ["TensorKit"], swiftSettings: fastMath),
        .target(name: "EventLog", dependencies: ["CZlib"], swiftSettings: fastMath),
        .target(name: "ChurnSimulation", dependencies: ["CZlib", "TensorKit"], swiftSettings: fastMath),
        .target(name: "ChurnCLI", dependencies: ["TensorKit"]),

        // Thin executables: parse flags, call library code, print, exit.
        .executableTarget(name: "churn-train", dependencies: ["ChurnCLI", "ChurnModel", "EventLog"]),
        .executableTarget(name: "churn-evaluate", dependencies: ["ChurnCLI", "ChurnModel", "EventLog"]),
        .executableTarget(name: "churn-predict", dependencies: ["ChurnCLI", "ChurnModel", "EventLog"]),
        .executableTarget(name: "churn-bench", dependencies: ["ChurnCLI", "ChurnModel", "TensorKit"]),
        .executableTarget(name: "churn-simulate", dependencies: ["ChurnCLI", "ChurnSimulation"]),

        .testTarget(name: "TensorKitTests", dependencies: ["TensorKit"]),
        .testTarget(name: "ChurnModelTests", dependencies: ["ChurnModel", "TensorKit"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog"]),
        .testTarget(name: "ChurnSimulationTests", dependencies: ["ChurnSimulation"]),
        .testTarget(name: "ChurnCLITests", dependencies: ["ChurnCLI"]),
    ],
    swiftLanguageModes: [.v5]
)
