import CKernels
import Dispatch
import Foundation

/// The x86-64 vector instruction sets the micro-kernels of `CKernels` are compiled for, one
/// binary for all, chosen at run time from CPUID.
public enum InstructionSet: String, CaseIterable, Comparable, Sendable {
    /// Scalar code for any x86-64 (or other) CPU.
    case portable
    /// 256-bit vectors with fused multiply-add (Haswell, Zen and later).
    case avx2
    /// 512-bit vectors (AVX512F: Skylake-SP, Ice Lake, Zen 4 and later).
    case avx512

    /// The widest set this CPU runs.
    public static let detected: InstructionSet = {
        switch churn_detect_isa() {
        case CHURN_ISA_AVX512: return .avx512
        case CHURN_ISA_AVX2: return .avx2
        default: return .portable
        }
    }()

    /// The set the kernels run on: the one the environment variable `CHURN_ISA` names
    /// (`avx512`, `avx2` or `portable`) when the CPU runs it, otherwise (unset, `auto`, or a set
    /// this CPU lacks: see `pinned`) the widest detected.
    public static let active: InstructionSet = (try? pinned(ProcessInfo.processInfo.environment["CHURN_ISA"])) ?? detected

    /// The set a `--isa`/`CHURN_ISA` value names: nil or `auto` gives the detected set.
    /// - Throws: `InstructionSetError` for an unknown name or a set this CPU does not run.
    public static func pinned(_ name: String?) throws -> InstructionSet {
        guard let name, name != "auto" else { return detected }
        guard let isa = InstructionSet(rawValue: name) else { throw InstructionSetError.unknown(name) }
        guard isa <= detected else { throw InstructionSetError.unsupported(isa, detected: detected) }
        return isa
    }

    var cValue: churn_isa { churn_isa(rawValue: UInt32(rank)) }

    /// The sets this CPU runs, narrowest first.
    public static var supported: [InstructionSet] { allCases.filter { $0 <= detected } }

    /// The path the LSTM's own SIMD kernels were compiled for (a build-time choice until they
    /// move into `CKernels`).
    public static var lstmKernels: InstructionSet {
        #if CHURN_FMA
        return .avx2
        #else
        return .portable
        #endif
    }

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: InstructionSet, b: InstructionSet) -> Bool { a.rank < b.rank }

    /// One core's multiply-add peak on this set, in GFLOP/s: a register-only loop of independent
    /// multiply-adds, the best of `rounds` runs of about `seconds / rounds` each (the best, since
    /// interruptions on a shared machine only slow a run down).
    /// - Precondition: the CPU supports the set (`self <= detected`).
    public func measuredPeakGFLOPS(seconds: Double = 0.5, rounds: Int = 5) -> Double {
        precondition(self <= Self.detected, "\(rawValue) is not supported by this CPU")
        let isa = cValue
        var sink: Float = 0
        // Calibrate the iteration count to about the round's time.
        var iterations = 1 << 16
        while true {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = churn_fma_loop(isa, iterations, &sink)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if elapsed > seconds / Double(rounds) / 4 || iterations > 1 << 40 { break }
            iterations *= 4
        }
        var best = 0.0
        for _ in 0..<rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            let flops = churn_fma_loop(isa, iterations, &sink)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            best = max(best, flops / max(elapsed, 1e-9) / 1e9)
        }
        precondition(sink.isFinite, "the multiply-add loop produced \(sink)")
        return best
    }
}

/// A named instruction set that is unknown or that this CPU does not run.
public enum InstructionSetError: Error, CustomStringConvertible, Equatable {
    case unknown(String)
    case unsupported(InstructionSet, detected: InstructionSet)

    public var description: String {
        switch self {
        case .unknown(let name): return "unknown instruction set '\(name)' (expected auto, avx512, avx2 or portable)"
        case .unsupported(let isa, let detected):
            return "this CPU does not run \(isa.rawValue) (its widest set is \(detected.rawValue))"
        }
    }
}
