import ChurnSupport
import CKernels
import Dispatch
import Foundation
import Synchronization

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

    /// The set the kernels run on: the one `select` chose, else the one the environment variable
    /// `CHURN_ISA` names (`avx512`, `avx2` or `portable`) when the CPU runs it, else (unset,
    /// `auto`, or a name `pinned` refuses) the widest detected. The executables refuse a bad
    /// `CHURN_ISA` or `--isa` before any work (`select(named:)`); the library does not fail on it.
    public static var active: InstructionSet {
        switch choice.load(ordering: .relaxed) {
        case 0: return .portable
        case 1: return .avx2
        default: return .avx512
        }
    }

    private static let choice = Atomic<Int>(((try? pinned(environmentName)) ?? detected).rank)

    /// `CHURN_ISA`, if set.
    public static var environmentName: String? { ProcessInfo.processInfo.environment["CHURN_ISA"] }

    /// Makes `isa` the active set for the rest of the process (the executables' `--isa`).
    /// - Precondition: the CPU runs it (`isa <= detected`); `pinned` checks a name first.
    public static func select(_ isa: InstructionSet) {
        precondition(isa <= detected, "\(isa.rawValue) is not supported by this CPU")
        choice.store(isa.rank, ordering: .relaxed)
    }

    /// Selects the set `name` (a `--isa` value, else `CHURN_ISA`, else `auto`) names.
    /// - Throws: `InstructionSetError` for an unknown name or a set this CPU does not run.
    @discardableResult
    public static func select(named name: String?) throws -> InstructionSet {
        let isa = try pinned(name ?? environmentName)
        select(isa)
        return isa
    }

    /// The set a `--isa`/`CHURN_ISA` value names: nil or `auto` gives the detected set.
    /// - Throws: `InstructionSetError` for an unknown name or a set this CPU does not run.
    public static func pinned(_ name: String?) throws -> InstructionSet {
        guard let name, name != "auto" else { return detected }
        guard let isa = InstructionSet(rawValue: name) else { throw InstructionSetError.unknown(name) }
        guard isa <= detected else { throw InstructionSetError.unsupported(isa, detected: detected) }
        return isa
    }

    /// The C kernels' name for the set.
    public var cValue: churn_isa {
        switch self {
        case .portable: return CHURN_ISA_PORTABLE
        case .avx2: return CHURN_ISA_AVX2
        case .avx512: return CHURN_ISA_AVX512
        }
    }

    /// The sets this CPU runs, narrowest first.
    public static var supported: [InstructionSet] { allCases.filter { $0 <= detected } }

    /// Narrowest first; a switch, since the kernels ask on every call.
    var rank: Int { Int(cValue.rawValue) }
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
public enum InstructionSetError: CategorizedError, Equatable {
    case unknown(String)
    case unsupported(InstructionSet, detected: InstructionSet)

    public var category: ErrorCategory { .invalidArgument }

    public var description: String {
        switch self {
        case .unknown(let name): return "unknown instruction set '\(name)' (expected auto, avx512, avx2 or portable)"
        case .unsupported(let isa, let detected):
            return "this CPU does not run \(isa.rawValue) (its widest set is \(detected.rawValue))"
        }
    }
}
