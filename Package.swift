// swift-tools-version:6.0
// ChurnForecaster: churn forecasting from raw event logs with a BLAS-backed LSTM.
//
// The data flows one way, and the module list follows it:
// CSV → EventLog (reader, store) → Snapshots (cutoffs, labels) → Features → ChurnModel (LSTM)
// and Baselines → Evaluation (metrics) → Reports; Pipelines tie the stages together for the
// executables, which parse flags with ChurnCommandLine. GradientBoosting wraps XGBoost's trees.
// Only TensorKit and the modules above it link OpenBLAS.
import PackageDescription

/// Release builds drop exclusivity checks in the numerical modules: their hot loops run on
/// unsafe buffer pointers whose aliasing the code controls. No flag targets the building
/// machine's CPU: the vector kernels are C (`CKernels`), compiled for every x86-64 instruction
/// set in one binary and chosen at run time, so one build runs anywhere at that machine's speed.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "ChurnForecaster",
    products: [
        // MARK: - Public API
        .library(name: "ChurnSupport", targets: ["ChurnSupport"]),
        .library(name: "TensorKit", targets: ["TensorKit"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "Snapshots", targets: ["Snapshots"]),
        .library(name: "Features", targets: ["Features"]),
        .library(name: "ChurnModel", targets: ["ChurnModel"]),
        .library(name: "GradientBoosting", targets: ["GradientBoosting"]),
        .library(name: "Baselines", targets: ["Baselines"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Pipelines", targets: ["Pipelines"]),
        .library(name: "ChurnSimulation", targets: ["ChurnSimulation"]),
        .library(name: "Distributed", targets: ["Distributed"]),
        .executable(name: "churn-train", targets: ["churn-train"]),
        .executable(name: "churn-evaluate", targets: ["churn-evaluate"]),
        .executable(name: "churn-predict", targets: ["churn-predict"]),
        .executable(name: "churn-bench", targets: ["churn-bench"]),
        .executable(name: "churn-simulate", targets: ["churn-simulate"]),
        .executable(name: "churn-analyze", targets: ["churn-analyze"]),
    ],
    targets: [
        // MARK: - System libraries (Debian packages)
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CXGBoost", pkgConfig: "xgboost", providers: [.apt(["libxgboost-dev"])]),
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),

        // MARK: - Support: threads, seeded random numbers, atomic files, JSON (no BLAS)
        .target(name: "ChurnSupport", swiftSettings: fastMath),

        // MARK: - Numerics: tensors and BLAS; C micro-kernels for several instruction sets, chosen at run time
        .target(name: "CKernels"),
        .target(name: "TensorKit", dependencies: ["ChurnSupport", "COpenBLAS", "CKernels"], swiftSettings: fastMath),

        // MARK: - Data: event-log reading and the store → snapshots and labels → features
        .target(name: "EventLog", dependencies: ["ChurnSupport", "CZlib"], swiftSettings: fastMath),
        .target(name: "Snapshots", dependencies: ["ChurnSupport", "EventLog"], swiftSettings: fastMath),
        .target(name: "Features", dependencies: ["ChurnSupport", "EventLog", "Snapshots"], swiftSettings: fastMath),

        // MARK: - Models: the LSTM, gradient-boosted trees (XGBoost), the baselines; their evaluation and reports
        .target(name: "Evaluation", dependencies: ["ChurnSupport"], swiftSettings: fastMath),
        .target(name: "ChurnModel", dependencies: ["ChurnSupport", "CKernels", "TensorKit", "Evaluation"], swiftSettings: fastMath),
        .target(name: "GradientBoosting", dependencies: ["ChurnSupport", "CXGBoost"]),
        .target(name: "Baselines", dependencies: ["ChurnSupport", "EventLog", "Snapshots", "Features", "Evaluation"],
                swiftSettings: fastMath),
        .target(name: "Reports", dependencies: ["ChurnSupport", "Evaluation", "Baselines", "Analysis"]),
        // Churn measured the way the business reads it: period rates, revenue retention, cohorts, survival.
        .target(name: "Analysis", dependencies: ["ChurnSupport", "EventLog", "Snapshots"], swiftSettings: fastMath),

        // MARK: - Pipelines: train, evaluate, predict (library code the executables call)
        .target(name: "Pipelines", dependencies: ["ChurnSupport", "TensorKit", "EventLog", "Snapshots", "Features",
                                                  "ChurnModel", "GradientBoosting", "Baselines", "Evaluation", "Reports", "Analysis"]),

        // MARK: - Simulation: seeded event logs with a known churn process
        .target(name: "ChurnSimulation", dependencies: ["ChurnSupport", "CZlib", "EventLog"], swiftSettings: fastMath),

        // MARK: - Distributed: the MPI job `mpirun` starts, as a Collective (only churn-train links MPI)
        .target(name: "Distributed", dependencies: ["ChurnSupport", "CMPI"]),

        // MARK: - Command line: option parsing, progress, exit codes, the shared option groups
        .target(name: "ChurnCommandLine", dependencies: ["ChurnSupport", "TensorKit", "EventLog", "Snapshots"]),

        // MARK: - Executables: parse options, call one pipeline, print
        .executableTarget(name: "churn-train", dependencies: ["ChurnCommandLine", "Pipelines", "Distributed"]),
        .executableTarget(name: "churn-evaluate", dependencies: ["ChurnCommandLine", "Pipelines"]),
        .executableTarget(name: "churn-predict", dependencies: ["ChurnCommandLine", "Pipelines"]),
        .executableTarget(name: "churn-bench", dependencies: ["ChurnCommandLine", "ChurnModel", "TensorKit"], swiftSettings: fastMath),
        .executableTarget(name: "churn-simulate", dependencies: ["ChurnCommandLine", "ChurnSimulation"]),
        .executableTarget(name: "churn-analyze", dependencies: ["ChurnCommandLine", "Pipelines", "Analysis"]),

        // MARK: - Unit test bundles
        // What the bundles share: NaN-aware tolerance helpers, the difference log, JSON fixtures.
        .target(name: "_TestSupport", path: "Tests/_TestSupport"),
        .testTarget(name: "ChurnSupportTests", dependencies: ["ChurnSupport"]),
        .testTarget(name: "TensorKitTests", dependencies: ["TensorKit", "ChurnSupport", "_TestSupport"]),
        .testTarget(name: "ChurnModelTests", dependencies: ["ChurnModel", "TensorKit", "Evaluation", "ChurnSupport", "_TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "Snapshots", "Features", "ChurnSupport"]),
        .testTarget(name: "FeaturesTests", dependencies: ["Features", "EventLog", "Snapshots", "ChurnSupport"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "EventLog", "ChurnSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ChurnSimulationTests", dependencies: ["ChurnSimulation", "EventLog", "ChurnSupport"]),
        .testTarget(name: "ChurnCommandLineTests", dependencies: ["ChurnCommandLine"]),
        .testTarget(name: "PipelinesTests", dependencies: ["Pipelines", "ChurnCommandLine", "EventLog", "Snapshots", "Features",
                                                          "ChurnModel", "GradientBoosting", "Baselines", "Evaluation", "Reports", "TensorKit", "ChurnSupport",
                                                          "_TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Evaluation", "Baselines"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "ChurnSupport", "_TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "GradientBoostingTests", dependencies: ["GradientBoosting", "ChurnSupport", "_TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "BaselinesTests", dependencies: ["Baselines", "Evaluation", "Snapshots", "ChurnSupport", "_TestSupport"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
