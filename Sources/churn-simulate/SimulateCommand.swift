import ChurnSupport
import ChurnCommandLine
import ChurnSimulation
import Foundation

/// `churn-simulate`: seeded synthetic event logs with a known churn process.
struct SimulateCommand: ParsableCommand {
    static let spec = CommandSpec(
        name: "churn-simulate",
        abstract: "Simulate a subscription business's event log with a known churn process.",
        usage: "churn-simulate [--customers N] [--start DATE] [--days D] [--seed S] [--scenario NAME] [--output FILE[.gz]|-] [--customers-output FILE[.gz]|-] [--truth FILE --cutoff DATE --horizon D [--truth-samples R]]",
        discussion: """
        Writes a CSV event log (customer_id,timestamp,event,amount), customer by customer and time-
        ordered within each customer. The same seed gives byte-identical output. With --truth, also
        writes customer_id,churn_probability,churned,mechanism for every customer active at the
        cutoff: the probability under the simulated process of a 'cancel' event in [cutoff,
        cutoff + horizon), estimated by Monte Carlo from the customer's exact state; whether it
        happened in the log; and what drives most of the cancel hazard at the cutoff:
        failed_payment (a pending failed payment at least as likely to end in an involuntary
        cancel as a voluntary cancel over the horizon), else the largest log-hazard term of at
        least 0.5 (engagement_decline, unresolved_ticket, price_increase, abandoned_feature,
        new_account; channel, company_size, plan in the 'attributes' scenario), else none
        (docs/SIMULATION.md).
        Every customer has two static attributes, an acquisition channel (organic, paid_search,
        paid_social, referral, partner) and a company size (employees); --customers-output writes
        them as customer_id,channel,company_size, one row per customer with events, in the order of
        the log. They change the cancel hazard only in the 'attributes' scenario, whose event log
        also has a fifth column, plan: the plan (basic, pro, premium) in force at each event.
        """,
        options: [customers.spec, start.spec, days.spec, seed.spec, output.spec, customersOutput.spec, truth.spec, cutoff.spec,
                  horizon.spec, truthSamples.spec, compressionLevel.spec, scenario.spec, quiet.spec])

    static let customers = Option<Int>.integer("customers", help: "Number of customers.", default: 10_000, in: 0...100_000_000)
    static let start = Option<Int>("start", value: "DATE", help: "First day of the log (YYYY-MM-DD).",
                                   default: CivilDate.days(year: 2024, month: 1, day: 1), defaultDescription: "2024-01-01",
                                   expected: "a date YYYY-MM-DD", parse: { CivilDate.parse($0) })
    static let days = Option<Int>.integer("days", value: "D", help: "Length of the log in days.", default: 365, in: 1...36_500)
    static let seed = Option<UInt64>.seed(help: "Random seed (non-negative integer).", default: 1)
    static let output = Option<String>.text("output", value: "FILE", help: "Event log path; '.gz' compresses, '-' is standard output.", default: "-")
    static let customersOutput = Option<String>.text("customers-output", value: "FILE",
                                                     help: "Also write the customer table (customer_id,channel,company_size) to FILE ('.gz' compresses, '-' is standard output).")
    static let truth = Option<String>.text("truth", value: "FILE", help: "Also write true churn probabilities at --cutoff to FILE ('.gz' compresses).")
    static let cutoff = Option<Int>("cutoff", value: "DATE", help: "Cutoff date for --truth (00:00 UTC), within (start, start + days].",
                                    expected: "a date YYYY-MM-DD", parse: { CivilDate.parse($0) })
    static let horizon = Option<Int>("horizon", value: "D", help: "Horizon for --truth: days, or a duration like 30d, 8w.",
                                     expected: "a whole number of days (90, 90d, 12w, 48h)", parse: { CivilDate.parseDays($0) })
    static let truthSamples = Option<Int>.integer("truth-samples", value: "R", help: "Monte Carlo continuations per customer for --truth.",
                                                  default: 200, in: 1...1_000_000)
    static let compressionLevel = Option<Int>.integer("compression-level", value: "L",
                                                      help: "gzip level 1-9 for '.gz' outputs (1 is ~3x faster than 6, files ~25% larger).",
                                                      default: 1, in: 1...9)
    static let scenario = Option<Scenario>.choice("scenario", value: "NAME", help: "Simulated business (docs/SIMULATION.md)", default: .standard)
    static let quiet = Option<Bool>.flag("quiet", help: "Print no progress or summary.")

    var customers: Int
    var startDay: Int
    var days: Int
    var seed: UInt64
    var output: String
    var customersPath: String?
    var truthPath: String?
    var cutoffDay: Int?
    var horizonDays: Int?
    var truthSamples: Int
    var compressionLevel: Int
    var quiet: Bool
    var scenario: Scenario

    init(parsing arguments: ParsedArguments) throws {
        customers = try arguments.required(Self.customers)
        startDay = try arguments.required(Self.start)
        days = try arguments.required(Self.days)
        seed = try arguments.required(Self.seed)
        output = try arguments.required(Self.output)
        customersPath = try arguments.value(Self.customersOutput)
        truthPath = try arguments.value(Self.truth)
        cutoffDay = try arguments.value(Self.cutoff)
        horizonDays = try arguments.value(Self.horizon)
        truthSamples = try arguments.required(Self.truthSamples)
        compressionLevel = try arguments.required(Self.compressionLevel)
        quiet = arguments.flag(Self.quiet)
        scenario = try arguments.required(Self.scenario)
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
        if let customersPath {
            if customersPath == "-" {
                if output == "-" { throw CommandError(.usage, "--customers-output and --output cannot both be standard output") }
                if truthPath == "-" { throw CommandError(.usage, "--customers-output and --truth cannot both be standard output") }
            } else {
                if customersPath == output { throw CommandError(.usage, "--customers-output and --output name the same file") }
                if customersPath == truthPath { throw CommandError(.usage, "--customers-output and --truth name the same file") }
            }
        }
    }

    func run() throws {
        let configuration = SimulationConfiguration(customers: customers, startDay: startDay, days: days, seed: seed,
                                                    parameters: scenario.parameters, writesPlanColumn: scenario.writesPlanColumn)
        var truth: TruthConfiguration?
        if truthPath != nil, let cutoffDay, let horizonDays {
            truth = TruthConfiguration(cutoffDay: cutoffDay, horizonDays: horizonDays, samples: truthSamples)
            if cutoffDay + horizonDays > startDay + days, !quiet {
                Terminal.error("churn-simulate: warning: the horizon reaches past the end of the log; 'churned' in the truth file is censored")
            }
        }
        let simulator = Simulator(configuration: configuration, truth: truth)
        let events = try runReportingErrors { try OutputFile(path: output, compressionLevel: Int32(compressionLevel)) }
        let truthFile = try truthPath.map { path in try runReportingErrors { try OutputFile(path: path, compressionLevel: Int32(compressionLevel)) } }
        let customersFile = try customersPath.map { path in try runReportingErrors { try OutputFile(path: path, compressionLevel: Int32(compressionLevel)) } }
        let started = Date()
        let bar = quiet ? nil : ProgressBar(label: "churn-simulate", total: customers, unit: "customers", plainInterval: 2)
        let summary = try runReportingErrors {
            let summary = try simulator.run(events: events, truthOutput: truthFile, customersOutput: customersFile,
                                            threads: Threading.threadCount) { p in
                bar?.update(p.customersDone, detail: "\(p.events) events")
            }
            try events.close()
            try truthFile?.close()
            try customersFile?.close()
            return summary
        }
        bar?.finish()
        if !quiet { summary.reportLines(seconds: Date().timeIntervalSince(started), truth: truth != nil).forEach(Terminal.error) }
    }
}
