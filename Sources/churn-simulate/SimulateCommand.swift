import ChurnSupport
import ChurnCommandLine
import ChurnSimulation
import Foundation

/// `churn-simulate`: seeded synthetic event logs with a known churn process (issue 3).
struct SimulateCommand: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-simulate",
        abstract: "Simulate a subscription business's event log with a known churn process.",
        usage: "churn-simulate [--customers N] [--start DATE] [--days D] [--seed S] [--scenario NAME] [--output FILE[.gz]|-] [--truth FILE --cutoff DATE --horizon D [--truth-samples R]]",
        discussion: """
        Writes a CSV event log (customer_id,timestamp,event,amount), customer by customer and time-
        ordered within each customer. The same seed gives byte-identical output. With --truth, also
        writes customer_id,churn_probability,churned for every customer active at the cutoff: the
        probability under the simulated process of a 'cancel' event in [cutoff, cutoff + horizon),
        estimated by Monte Carlo from the customer's exact state (docs/SIMULATION.md).
        """,
        options: [
            OptionSpec("customers", value: "N", help: "Number of customers.", default: "10000"),
            OptionSpec("start", value: "DATE", help: "First day of the log (YYYY-MM-DD).", default: "2024-01-01"),
            OptionSpec("days", value: "D", help: "Length of the log in days.", default: "365"),
            OptionSpec("seed", value: "S", help: "Random seed (non-negative integer).", default: "1"),
            OptionSpec("output", value: "FILE", help: "Event log path; '.gz' compresses, '-' is standard output.", default: "-"),
            OptionSpec("truth", value: "FILE", help: "Also write true churn probabilities at --cutoff to FILE ('.gz' compresses)."),
            OptionSpec("cutoff", value: "DATE", help: "Cutoff date for --truth (00:00 UTC), within (start, start + days]."),
            OptionSpec("horizon", value: "D", help: "Horizon for --truth: days, or a duration like 30d, 8w."),
            OptionSpec("truth-samples", value: "R", help: "Monte Carlo continuations per customer for --truth.", default: "200"),
            OptionSpec("compression-level", value: "L", help: "gzip level 1-9 for '.gz' outputs (1 is ~3x faster than 6, files ~25% larger).", default: "1"),
            OptionSpec("scenario", value: "NAME", help: "Simulated business: \(Scenario.allCases.map(\.rawValue).joined(separator: ", ")) (docs/SIMULATION.md).", default: "standard"),
            OptionSpec("quiet", .flag, help: "Print no progress or summary."),
        ])

    var customers: Int
    var startDay: Int
    var days: Int
    var seed: UInt64
    var output: String
    var truthPath: String?
    var cutoffDay: Int?
    var horizonDays: Int?
    var truthSamples: Int
    var compressionLevel: Int
    var quiet: Bool
    var scenario: Scenario

    init(parsing arguments: ParsedArguments) throws {
        customers = try arguments.int("customers", in: 0...100_000_000) ?? 10_000
        startDay = try arguments.value("start", expected: "a date YYYY-MM-DD", CivilDate.parse)
            ?? CivilDate.days(year: 2024, month: 1, day: 1)
        days = try arguments.int("days", in: 1...36_500) ?? 365
        seed = try arguments.value("seed", expected: "a non-negative whole number", { UInt64($0) }) ?? 1
        output = arguments.string("output") ?? "-"
        truthPath = arguments.string("truth")
        cutoffDay = try arguments.value("cutoff", expected: "a date YYYY-MM-DD", CivilDate.parse)
        horizonDays = try arguments.value("horizon", expected: "a whole number of days (90, 90d, 12w, 48h)", Self.parseDays)
        truthSamples = try arguments.int("truth-samples", in: 1...1_000_000) ?? 200
        compressionLevel = try arguments.int("compression-level", in: 1...9) ?? 1
        quiet = arguments.flag("quiet")
        scenario = try arguments.value("scenario", expected: Scenario.allCases.map(\.rawValue).joined(separator: " or "), Scenario.init(rawValue:)) ?? .standard
    }

    /// Days from `90`, `90d`, `12w` or a multiple of 24 hours (`48h`).
    static func parseDays(_ text: String) -> Int? {
        let t = text.lowercased()
        let value: Int?
        if t.hasSuffix("d") { value = Int(t.dropLast()) }
        else if t.hasSuffix("w") { value = Int(t.dropLast()).map { $0 * 7 } }
        else if t.hasSuffix("h") { value = Int(t.dropLast()).flatMap { $0 % 24 == 0 ? $0 / 24 : nil } }
        else { value = Int(t) }
        guard let value, value >= 1 else { return nil }
        return value
    }

    func validate() throws {
        if truthPath != nil {
            guard let cutoffDay else { throw CommandError(.usage, "--truth needs --cutoff DATE") }
            guard horizonDays != nil else { throw CommandError(.usage, "--truth needs --horizon D") }
            guard cutoffDay > startDay, cutoffDay <= startDay + days else {
                throw CommandError(.usage, "--cutoff must be after --start and at most --start + --days (\(CivilDate.format(days: startDay + days))), got \(CivilDate.format(days: cutoffDay))")
            }
            if truthPath == output && output != "-" {
                throw CommandError(.usage, "--truth and --output name the same file")
            }
            if truthPath == "-" && output == "-" {
                throw CommandError(.usage, "--truth and --output cannot both be standard output")
            }
        } else if cutoffDay != nil || horizonDays != nil {
            throw CommandError(.usage, "--cutoff and --horizon only make sense with --truth FILE")
        }
    }

    func run() throws {
        let configuration = SimulationConfiguration(customers: customers, startDay: startDay, days: days, seed: seed,
                                                    parameters: scenario.parameters)
        var truth: TruthConfiguration?
        if truthPath != nil, let cutoffDay, let horizonDays {
            truth = TruthConfiguration(cutoffDay: cutoffDay, horizonDays: horizonDays, samples: truthSamples)
            if cutoffDay + horizonDays > startDay + days, !quiet {
                Terminal.error("churn-simulate: warning: the horizon reaches past the end of the log; 'churned' in the truth file is censored")
            }
        }
        let simulator = Simulator(configuration: configuration, truth: truth)
        let events: OutputFile
        var truthFile: OutputFile?
        do {
            events = try OutputFile(path: output, compressionLevel: Int32(compressionLevel))
            if let truthPath { truthFile = try OutputFile(path: truthPath, compressionLevel: Int32(compressionLevel)) }
        } catch let error as SimulationError {
            throw CommandError(.noInput, error.description)
        }
        let clock = ContinuousClock()
        let started = clock.now
        var lastReport = started
        let isTerminal = Terminal.standardErrorIsTerminal
        var progressShown = false
        let summary: SimulationSummary
        do {
            summary = try simulator.run(events: events, truthOutput: truthFile, threads: Threading.threadCount) { p in
                guard !quiet else { return }
                let now = clock.now
                guard now - lastReport >= .seconds(2) else { return }
                lastReport = now
                let elapsed = Self.seconds(now - started)
                let rate = Double(p.events) / max(elapsed, 1e-9)
                let eta = Double(p.customersTotal - p.customersDone) / max(Double(p.customersDone), 1) * elapsed
                let line = String(format: "churn-simulate: %d/%d customers (%.0f%%), %d events, %.2fM events/s, ETA %.0fs",
                                  p.customersDone, p.customersTotal, 100 * Double(p.customersDone) / Double(max(1, p.customersTotal)),
                                  p.events, rate / 1e6, eta)
                if isTerminal {
                    FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
                    progressShown = true
                } else {
                    Terminal.error(line)
                }
            }
            try events.close()
            try truthFile?.close()
        } catch let error as SimulationError {
            throw CommandError(.software, error.description)
        }
        guard !quiet else { return }
        if progressShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let elapsed = Self.seconds(clock.now - started)
        var lines = [String(format: "churn-simulate: %d customers (%d with events), %d events, %d cancels (%d involuntary) in %.2fs, %.2fM events/s",
                            summary.customers, summary.customersWithEvents, summary.events, summary.cancels,
                            summary.involuntaryCancels, elapsed, Double(summary.events) / max(elapsed, 1e-9) / 1e6)]
        if truth != nil {
            let n = max(1, summary.truthCustomers)
            lines.append(String(format: "churn-simulate: truth: %d customers active at the cutoff, mean churn probability %.4f, realised churn rate %.4f",
                                summary.truthCustomers, summary.truthExpectedChurners / Double(n), Double(summary.truthRealisedChurners) / Double(n)))
        }
        lines.forEach(Terminal.error)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
