import Dispatch
import Foundation
import Synchronization

/// Graceful interruption: the first SIGINT or SIGTERM sets a flag that long loops poll (so they
/// can finish a batch and checkpoint); a second one exits at once with code 130.
public enum Interruption {
    private static let requested = Atomic<Bool>(false)
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Installs the handlers (call once, from the executable).
    /// - Parameter announces: whether the first signal prints what happens next (false on the
    ///   processes of an MPI job other than 0, which all receive the signal and stop together).
    public static func install(announces: Bool = true) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if requested.exchange(true, ordering: .sequentiallyConsistent) {
                    Terminal.error("\ninterrupted again: exiting without a checkpoint")
                    exit(ExitCode.interrupted.rawValue)
                }
                if announces {
                    Terminal.error("\n\(signalNumber == SIGINT ? "SIGINT" : "SIGTERM") received: finishing the current batch (press Ctrl-C again to exit at once)")
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    public static var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// A check for long loops to call after each unit of work: true once an interruption was
    /// requested. For fault-injection tests, the environment variable `testVariable` (a count)
    /// makes it return true after that many calls, as if Ctrl-C came then.
    public static func poll(testVariable: String) -> () -> Bool {
        let after = ProcessInfo.processInfo.environment[testVariable].flatMap(Int.init)
        var calls = 0
        return {
            calls += 1
            return isRequested || calls == after
        }
    }
}
