import Analysis
import ChurnCommandLine
import EventLog
import Foundation
import Pipelines
import Reports
import Snapshots

/// `churn-analyze`: churn measured on an event log the way the business reads it.
struct AnalyzeCommand: ParsableCommand {
    static let period = Option<CalendarPeriod>.choice("period", value: "P", help: "Calendar period (UTC; weeks start on Monday)", default: .month)
    static let churnEvent = Option<String>.text("churn-event", value: "NAME", help: "Churn = this event (else: a period without activity after an active one).")
    static let involuntaryEvent = Option<String>.text("involuntary-event", value: "NAME",
                                                      help: "A churn is involuntary when this event (e.g. payment_failed) came within --within before it.")
    static let within = Option<TimeSpan>.duration("within", help: "Window of --involuntary-event before the churn.", default: .days(30))
    static let segmentColumn = Option<String>.text("segment-column", value: "NAME",
                                                   help: "Split cohorts and survival by this column (of the log, its latest value; or of --customers).")
    static let model = Option<String>.text("model", value: "PATH", help: "Also segment the customers by the forecast of this model (deciles).")
    static let asOf = Option<Int64>.instant("as-of", help: "Instant of the forecast for --model.", defaultDescription: "00:00 UTC after the latest event")
    static let report = Option<String>.text("report", value: "DIR", help: "Write metrics.json, report.md and report.html here.")

    static let spec = CommandSpec(
        name: "churn-analyze",
        abstract: "Measure churn on an event log: period churn rates, revenue retention, voluntary and involuntary churn, cohorts, survival.",
        usage: "churn-analyze --events FILE... [--period month|week|quarter] [--churn-event NAME] [--value-column NAME] [--involuntary-event NAME --within D] [--segment-column NAME] [--model PATH [--as-of T]] [--report DIR]",
        discussion: """
        Per calendar period (UTC) from the second period of the log to the one holding its latest
        event: the customers at the start, how many churned and the churn rate (also scaled to a
        30-day month). By activity (default), the customers of a period are those with an event in
        the previous one and the churned ones those without an event in this one; with
        --churn-event, those with history and no churn event before the period, and the churned ones
        those with the event in it. With --value-column: revenue at the start, churned, contraction,
        expansion, gross and net revenue retention. With --involuntary-event: voluntary and
        involuntary churn. Cohorts by first-event period, and a Kaplan–Meier curve of the days from
        the first event to churn with 95% intervals (per segment with --segment-column). With
        --model: deciles of the forecast with expected churners and revenue at risk.
        """,
        options: DataOptions.specs + [period.spec, churnEvent.spec, involuntaryEvent.spec, within.spec, segmentColumn.spec,
                                      model.spec, asOf.spec, report.spec])

    var arguments: ParsedArguments
    var reportDirectory: String?

    init(parsing a: ParsedArguments) throws {
        arguments = a
        reportDirectory = try a.value(Self.report)
    }

    func validate() throws {
        if arguments.has(Self.within.name) && !arguments.has(Self.involuntaryEvent.name) {
            throw CommandError(.usage, "--within needs --involuntary-event NAME")
        }
        if arguments.has(Self.asOf.name) && !arguments.has(Self.model.name) { throw CommandError(.usage, "--as-of needs --model PATH") }
        if let path = try arguments.value(Self.model), !FileManager.default.fileExists(atPath: path) {
            throw CommandError(.noInput, "\(path): no such model file (--model)")
        }
        if let dir = reportDirectory { try OutputCheck.ensureWritable(dir + "/metrics.json", flag: "--report") }
        _ = try (arguments.value(Self.period), arguments.value(Self.within))
    }

    func run() throws {
        try runReportingErrors {
            let model = try arguments.value(Self.model).map { try ForecastModel.read(from: URL(fileURLWithPath: $0)) }
            var data = try DataOptions(parsing: arguments, columnsFromModel: model?.data.columns,
                                       attributesFromModel: model?.features.attributes.attributes.map {
                                           DataOptions.ModelAttribute(name: $0.name, source: $0.source, kind: $0.kind)
                                       })
            let segment = try arguments.value(Self.segmentColumn)
            if let segment, !data.attributeColumns.contains(segment), !(try Self.table(data.customersPath, has: segment)) {
                data.attributeColumns.append(segment)
                data.declaredKinds[segment] = .categorical
            }
            let (store, load) = try data.load()
            var options = AnalysisOptions()
            options.period = try arguments.required(Self.period)
            options.churnEvent = try arguments.value(Self.churnEvent)
            options.valueColumn = data.columns.values.first
            options.involuntaryEvent = try arguments.value(Self.involuntaryEvent)
            options.within = try arguments.required(Self.within)
            options.segmentAttribute = segment
            let analysis = try ChurnAnalysis.measure(store: store, options: options)
            var document = AnalysisReport(analysis: analysis, files: data.paths, badRows: load.badRows, toolVersion: churnForecasterVersion)
            if let model {
                let instant = try arguments.value(Self.asOf) ?? SnapshotBuilder.defaultAsOf(store: store)
                document.riskAsOf = Timestamp.format(instant)
                document.riskDeciles = try AnalysisPipeline.riskDeciles(model: model, store: store, asOf: instant, period: options.period,
                                                                        valueColumn: options.valueColumn)
            }
            print(document.table, terminator: "")
            if let dir = reportDirectory {
                try document.write(to: URL(fileURLWithPath: dir))
                Terminal.error("wrote \(dir)/metrics.json, \(dir)/report.md and \(dir)/report.html")
            }
        }
    }

    /// Whether the customer table at `path` (if any) has a column `name`.
    static func table(_ path: String?, has name: String) throws -> Bool {
        guard let path else { return false }
        let (source, file) = try InputOpener.open(path)
        guard let header = try CSVHeader.read(from: CSVReader(source: source, name: file)) else { return false }
        return header.names.contains(name)
    }
}

AnalyzeCommand.main()
