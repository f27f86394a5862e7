import ChurnSupport
import Foundation
import TensorKit

/// The version every executable reports with `--version` and stores in model files.
public let churnForecasterVersion = "0.1.0"

/// A command-line tool: an options spec and a `run` that throws `CommandError`s.
///
/// `main()` parses arguments, answers `--help` and `--version`, applies `--threads` (and `--isa`
/// for commands that declare it), runs the command and maps every error to a message on standard
/// error and an exit code.
public protocol ParsableCommand {
    static var spec: CommandSpec { get }
    init(parsing arguments: ParsedArguments) throws
    /// Checks option combinations; throw `CommandError(.usage, …)` for bad ones.
    func validate() throws
    func run() throws
    /// The threads of a run without `--threads` (default: every core).
    static var defaultThreadCount: Int { get }
}

extension ParsableCommand {
    public func validate() throws {}
    public static var defaultThreadCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    public static func main(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        do {
            let parsed = try ParsedArguments(arguments, spec: spec)
            switch parsed.request {
            case .help:
                print(spec.helpText)
                exit(ExitCode.success.rawValue)
            case .version:
                print("\(spec.name) \(churnForecasterVersion)")
                exit(ExitCode.success.rawValue)
            case .run:
                break
            }
            let threads = try parsed.value(CommandSpec.threads) ?? defaultThreadCount
            Threading.setThreadCount(threads)
            if spec.option(named: CommandSpec.isa.name) != nil { try selectInstructionSet(parsed.value(CommandSpec.isa)) }
            let command = try Self(parsing: parsed)
            try command.validate()
            try command.run()
            exit(ExitCode.success.rawValue)
        } catch let error as CommandError {
            Terminal.error("\(spec.name): error: \(error.message)")
            if error.code == .usage { Terminal.error("Run '\(spec.name) --help' for usage.") }
            exit(error.code.rawValue)
        } catch {
            Terminal.error("\(spec.name): error: \(error)")
            exit(ExitCode.software.rawValue)
        }
    }
}

/// Applies `--isa` (else `CHURN_ISA`, else the widest set): a name this CPU cannot run is a
/// usage error before any work, never a silent fallback.
func selectInstructionSet(_ flag: String?) throws {
    do {
        try InstructionSet.select(named: flag)
    } catch let error as InstructionSetError {
        let source = flag.map { "--isa \($0)" } ?? "CHURN_ISA=\(InstructionSet.environmentName ?? "")"
        throw CommandError(.usage, "\(source): \(error)")
    }
}

/// Writing to standard error, and asking whether it is a terminal.
public enum Terminal {
    public static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }
}
