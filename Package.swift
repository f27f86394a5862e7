// swift-tools-version:6.0
// ChurnForecaster: churn forecasting from raw event logs with a BLAS-backed LSTM.
import PackageDescription

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Release builds drop exclusivity checks in the numerical modules: their hot loops run on
/// unsafe buffer pointers whose aliasing the code controls.
///
/// Like `-march=native`, release builds target the building machine's vector unit: on x86-64
/// with AVX2 and FMA (every x86 server since 2013) the SIMD kernels use 256-bit registers.
/// Set CHURN_PORTABLE=1 to build a binary for any x86-64 machine instead.
func hostSupportsHaswell() -> Bool {
    #if arch(x86_64)
    if ProcessInfo.processInfo.environment["CHURN_PORTABLE"] == "1" { return false }
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    let set = Set(flags.split(separator: " ").map(String.init))
    return ["avx2", "fma", "bmi2", "movbe"].allSatisfy(set.contains)
    #else
    return false
    #endif
}

let haswell = hostSupportsHaswell()
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"] + (haswell ? ["-target-cpu", "haswell"] : []),
                 .when(configuration: .release)),
] + (haswell ? [
    // Fused multiply-add in our own kernels only where the target has it (else it is a libcall).
    SwiftSetting.define("CHURN_FMA", .when(configuration: .release)),
] : [])

let package = Package(
    name: "ChurnForecaster",
    products: [
        .library(name: "TensorKit", targets: ["TensorKit"]),
        .library(name: "ChurnModel", targets: ["ChurnModel"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "ChurnSimulation", targets: ["ChurnSimulation"]),
        .library(name: "Evaluation", targets: ["Evaluation"]),
        .library(name: "Forecasting", targets: ["Forecasting"]),
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

        // Libraries: tensors → model; event logs → snapshots; evaluation; forecasting ties them
        // together; simulation; command-line layer.
        .target(name: "TensorKit", dependencies: ["COpenBLAS"], swiftSettings: fastMath),
        .target(name: "ChurnModel", dependencies: ["TensorKit"], swiftSettings: fastMath),
        .target(name: "EventLog", dependencies: ["CZlib", "TensorKit"], swiftSettings: fastMath),
        .target(name: "ChurnSimulation", dependencies: ["CZlib", "TensorKit", "EventLog"], swiftSettings: fastMath),
        .target(name: "Evaluation", dependencies: ["TensorKit"], swiftSettings: fastMath),
        .target(name: "Forecasting", dependencies: ["ChurnModel", "EventLog", "Evaluation", "TensorKit"]),
        .target(name: "ChurnCLI", dependencies: ["TensorKit"]),
        .target(name: "ChurnTools", dependencies: ["ChurnCLI", "Forecasting", "ChurnModel", "EventLog", "Evaluation", "TensorKit"]),

        // Thin executables: parse flags, call library code, print, exit.
        .executableTarget(name: "churn-train", dependencies: ["ChurnCLI", "ChurnTools", "Forecasting", "ChurnModel", "EventLog", "Evaluation"]),
        .executableTarget(name: "churn-evaluate", dependencies: ["ChurnCLI", "ChurnTools", "Forecasting", "ChurnModel", "EventLog", "Evaluation"]),
        .executableTarget(name: "churn-predict", dependencies: ["ChurnCLI", "ChurnTools", "Forecasting", "ChurnModel", "EventLog", "Evaluation"]),
        .executableTarget(name: "churn-bench", dependencies: ["ChurnCLI", "ChurnModel", "TensorKit"]),
        .executableTarget(name: "churn-simulate", dependencies: ["ChurnCLI", "ChurnSimulation"]),

        .testTarget(name: "TensorKitTests", dependencies: ["TensorKit"]),
        .testTarget(name: "ChurnModelTests", dependencies: ["ChurnModel", "TensorKit"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "TensorKit"]),
        .testTarget(name: "ChurnSimulationTests", dependencies: ["ChurnSimulation", "EventLog"]),
        .testTarget(name: "ChurnCLITests", dependencies: ["ChurnCLI"]),
        .testTarget(name: "ForecastingTests", dependencies: ["Forecasting", "EventLog", "ChurnModel", "Evaluation", "TensorKit"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation"],
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v5]
)
