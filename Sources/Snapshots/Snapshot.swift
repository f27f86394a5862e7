import EventLog

/// What "churned" means for a label window.
public enum ChurnDefinition: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// Label 1 when the customer has no event in the label window.
    case inactivity
    /// Label 1 when an event with this name occurs in the label window; customers whose history
    /// already contains it are left out of the snapshot (they churned before the cutoff).
    case event(String)

    private enum CodingKeys: String, CodingKey { case kind, event }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "inactivity": self = .inactivity
        case "event": self = .event(try c.decode(String.self, forKey: .event))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown churn definition '\(other)'")
        }
    }

    /// Encoded as `{"kind": "inactivity"}` or `{"kind": "event", "event": NAME}`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .inactivity: try c.encode("inactivity", forKey: .kind)
        case .event(let name): try c.encode("event", forKey: .kind); try c.encode(name, forKey: .event)
        }
    }

    /// `inactivity` or `event:NAME`.
    public var description: String {
        switch self {
        case .inactivity: return "inactivity"
        case .event(let name): return "event:\(name)"
        }
    }
}

/// Where labels come from.
public enum LabelSource: Sendable {
    /// From the label window `[cutoff, cutoff + horizon)` under the churn definition.
    case window
    /// From an external `customer_id,churned` file; customers without a label are left out.
    case external(ExternalLabels)
    /// No labels (scoring with `churn-predict`): every row's label is `nil`.
    case none
}

/// Options of a snapshot.
public struct SnapshotOptions: Sendable {
    /// The label window length.
    public var horizon: TimeSpan
    /// The churn definition.
    public var definition: ChurnDefinition
    /// Keep only customers with an event in `[cutoff − activeWithin, cutoff)`.
    public var activeWithin: TimeSpan?

    public init(horizon: TimeSpan, definition: ChurnDefinition = .inactivity, activeWithin: TimeSpan? = nil) {
        self.horizon = horizon
        self.definition = definition
        self.activeWithin = activeWithin
    }
}

/// One customer at one cutoff: its history is `store.offsets[customer] ..< historyEnd`.
public struct SnapshotRow: Equatable, Hashable, Sendable {
    /// The customer index in the store.
    public var customer: Int32
    /// One past the last history event (event index into the store's columns).
    public var historyEnd: Int
    /// The cutoff (µs): history is strictly before it.
    public var cutoff: Int64
    /// The label (1 = churned), or `nil` when unlabelled.
    public var label: Bool?

    public init(customer: Int32, historyEnd: Int, cutoff: Int64, label: Bool?) {
        self.customer = customer
        self.historyEnd = historyEnd
        self.cutoff = cutoff
        self.label = label
    }
}

/// The customers of one cutoff with their labels, and what was left out and why.
public struct Snapshot: Sendable {
    /// The cutoff (µs): history is strictly before it.
    public var cutoff: Int64
    /// The label window length.
    public var horizon: TimeSpan
    /// The churn definition of the labels.
    public var definition: ChurnDefinition
    /// One row per customer in the population, in customer-index order.
    public var rows: [SnapshotRow]
    /// Whether the label window reaches past the latest event (labels may be censored).
    public var censored: Bool
    /// Warnings for the executables to print (censoring, unknown churn event, unmatched labels).
    public var warnings: [String]
    /// Customers with history left out because their history already holds the churn event.
    public var excludedAlreadyChurned = 0
    /// Customers with history left out by `activeWithin`.
    public var excludedInactive = 0
    /// Customers with history left out because the external labels file has no label for them.
    public var excludedUnlabelled = 0

    /// One line for standard error: cutoff, window, population, churn rate and exclusions.
    public var summaryLine: String {
        var parts = ["cutoff \(Timestamp.format(cutoff))", "horizon \(horizon)", "churn \(definition)",
                     "\(rows.count) customers"]
        if let rate = churnRate { parts.append("churn rate \(Double(Int(rate * 10000)) / 10000)") }
        if excludedAlreadyChurned > 0 { parts.append("\(excludedAlreadyChurned) already churned left out") }
        if excludedInactive > 0 { parts.append("\(excludedInactive) inactive left out") }
        if excludedUnlabelled > 0 { parts.append("\(excludedUnlabelled) unlabelled left out") }
        return parts.joined(separator: ", ")
    }

    /// The fraction of labelled rows with label 1 (`nil` without labels or rows).
    public var churnRate: Double? {
        let labelled = rows.compactMap(\.label)
        guard !labelled.isEmpty else { return nil }
        return Double(labelled.filter { $0 }.count) / Double(labelled.count)
    }
}

/// Making snapshots from an event store.
public enum SnapshotBuilder {
    /// The default training and evaluation cutoff: latest event time − horizon, so the label
    /// window is fully observed.
    public static func defaultCutoff(store: EventStore, horizon: TimeSpan) -> Int64 {
        store.latestTime - horizon.microseconds
    }

    /// The default `churn-predict --as-of`: 00:00 UTC of the day after the latest event.
    public static func defaultAsOf(store: EventStore) -> Int64 {
        Timestamp.startOfDay(store.latestTime) + Timestamp.microsecondsPerDay
    }

    /// The cutoffs of `--snapshots K --every D`: `cutoff, cutoff − every, …` (K of them), newest first.
    /// - Throws: `EventLogError.invalidOption` when `count < 1`.
    public static func cutoffs(latest cutoff: Int64, count: Int, every: TimeSpan) throws -> [Int64] {
        guard count >= 1 else { throw EventLogError.invalidOption("the number of snapshots must be at least 1") }
        let (span, overflow) = Int64(count - 1).multipliedReportingOverflow(by: every.microseconds)
        guard !overflow, cutoff - span >= Timestamp.minimum else {
            throw EventLogError.invalidOption("\(count) snapshots every \(every) reach before year 1")
        }
        return (0..<count).map { cutoff - Int64($0) * every.microseconds }
    }

    /// Takes a snapshot at `cutoff`.
    ///
    /// Population: customers with at least one event before the cutoff (and, with `activeWithin`,
    /// one in `[cutoff − activeWithin, cutoff)`). Labels per `labels`. Only events before the cutoff
    /// decide who is in the population; only events in the window decide labels.
    /// - Parameters:
    ///   - store: the events.
    ///   - cutoff: the snapshot instant (µs).
    ///   - options: horizon, churn definition, activity filter.
    ///   - labels: window labels, external labels or none.
    /// - Returns: the snapshot (possibly without rows; check `rows.isEmpty`).
    /// - Complexity: O(C log g) for C customers, plus O(history) per customer for `.event`.
    public static func make(store: EventStore, cutoff: Int64, options: SnapshotOptions,
                            labels: LabelSource = .window) -> Snapshot {
        let windowEnd = cutoff + options.horizon.microseconds
        var snapshot = Snapshot(cutoff: cutoff, horizon: options.horizon, definition: options.definition,
                                rows: [], censored: false, warnings: [])
        if case .window = labels, windowEnd > store.latestTime + 1 {
            snapshot.censored = true
            snapshot.warnings.append(
                "the label window [\(Timestamp.format(cutoff)), \(Timestamp.format(windowEnd))) reaches past the latest "
                + "event (\(Timestamp.format(store.latestTime))): labels are censored")
        }
        var churnCode: Int32? = nil
        if case .event(let name) = options.definition {
            churnCode = store.eventCode(of: name)
            if churnCode == nil {
                snapshot.warnings.append("the churn event '\(name)' does not occur in the event log")
            }
        }
        var external: [String: Bool]? = nil
        if case .external(let file) = labels { external = file.labels }
        let activeFrom = options.activeWithin.map { cutoff - $0.microseconds }
        var matchedExternal = 0

        store.times.withUnsafeBufferPointer { times in
            store.events.withUnsafeBufferPointer { events in
                for c in 0..<store.customerCount {
                    let start = store.offsets[c]
                    let end = store.historyEnd(of: c, before: cutoff)
                    if end == start { continue }
                    if let activeFrom, times[end - 1] < activeFrom {
                        snapshot.excludedInactive += 1
                        continue
                    }
                    if let code = churnCode {
                        var churnedBefore = false
                        for k in start..<end where events[k] == code { churnedBefore = true; break }
                        if churnedBefore { snapshot.excludedAlreadyChurned += 1; continue }
                    }
                    var label: Bool?
                    switch labels {
                    case .none:
                        label = nil
                    case .external:
                        guard let l = external?[store.customerIDs[c]] else {
                            snapshot.excludedUnlabelled += 1
                            continue
                        }
                        matchedExternal += 1
                        label = l
                    case .window:
                        let stop = store.offsets[c + 1]
                        switch options.definition {
                        case .inactivity:
                            label = !(end < stop && times[end] < windowEnd)
                        case .event:
                            var found = false
                            if let code = churnCode {
                                var k = end
                                while k < stop && times[k] < windowEnd {
                                    if events[k] == code { found = true; break }
                                    k += 1
                                }
                            }
                            label = found
                        }
                    }
                    snapshot.rows.append(SnapshotRow(customer: Int32(c), historyEnd: end, cutoff: cutoff, label: label))
                }
            }
        }
        if let external {
            if snapshot.excludedUnlabelled > 0 {
                snapshot.warnings.append("\(snapshot.excludedUnlabelled) customers with history have no label in the labels file and are left out")
            }
            let unmatched = external.count - matchedExternal
            if unmatched > 0 {
                snapshot.warnings.append("\(unmatched) labelled customers are not in the snapshot (no history before the cutoff, filtered, or absent from the log)")
            }
        }
        return snapshot
    }

    /// Takes one snapshot per cutoff (`--snapshots K --every D`).
    /// - Throws: `EventLogError.emptySnapshot` when no snapshot has any row.
    /// - Complexity: K times that of `make`.
    public static func make(store: EventStore, cutoffs: [Int64], options: SnapshotOptions,
                            labels: LabelSource = .window) throws -> [Snapshot] {
        let snapshots = cutoffs.map { make(store: store, cutoff: $0, options: options, labels: labels) }
        if snapshots.allSatisfy({ $0.rows.isEmpty }), let first = cutoffs.first {
            throw EventLogError.emptySnapshot(cutoff: first, reason: "no customer has an event before the cutoff (after filters)")
        }
        return snapshots
    }
}

/// Labels from a CSV file `customer_id,churned` (0/1; also `true`/`false`).
///
/// Customer ids are kept verbatim, spaces included, as the event log's are (RFC 4180), so that
/// they match the store's ids byte for byte; labels may have surrounding spaces.
public struct ExternalLabels: Sendable, Equatable {
    /// Labels by customer id.
    public var labels: [String: Bool]

    public init(labels: [String: Bool]) { self.labels = labels }

    /// Reads a labels file (`-` = standard input, `.gz` decompressed).
    /// - Throws: `EventLogError` for a missing file, a missing column, a bad row (labels are not
    ///   skipped: each names its line), a customer labelled twice with different labels, or no rows.
    public static func load(path: String, customerColumn: String = "customer_id",
                            labelColumn: String = "churned") throws -> ExternalLabels {
        let (source, name) = try InputOpener.open(path)
        return try parse(source: source, name: name, customerColumn: customerColumn, labelColumn: labelColumn)
    }

    /// Parses labels from a byte source (see `load(path:)`).
    public static func parse(source: ByteSource, name: String, customerColumn: String = "customer_id",
                             labelColumn: String = "churned") throws -> ExternalLabels {
        let reader = CSVReader(source: source, name: name)
        guard let header = try CSVHeader.read(from: reader) else { throw EventLogError.emptyFile(path: name) }
        let ci = try header.position(of: customerColumn)
        let li = try header.position(of: labelColumn)
        var labels: [String: Bool] = [:]
        while try reader.nextRecord() {
            if reader.isBlankLine { continue }
            let line = reader.recordLine
            guard reader.fieldCount == header.count else {
                throw EventLogError.badLabel(path: name, line: line, reason: "\(reader.fieldCount) fields, header has \(header.count)")
            }
            let id = reader.fieldString(ci)
            guard !id.trimmingSpacesAndTabs().isEmpty else { throw EventLogError.badLabel(path: name, line: line, reason: "empty customer id") }
            let value: Bool
            switch reader.fieldString(li).trimmingSpacesAndTabs().lowercased() {
            case "1", "true", "1.0": value = true
            case "0", "false", "0.0": value = false
            case let other:
                throw EventLogError.badLabel(path: name, line: line, reason: "label '\(other.forMessage())' is not 0 or 1")
            }
            if let previous = labels[id], previous != value {
                throw EventLogError.badLabel(path: name, line: line, reason: "customer '\(id.forMessage())' has conflicting labels")
            }
            labels[id] = value
        }
        if labels.isEmpty { throw EventLogError.noDataRows(path: name) }
        return ExternalLabels(labels: labels)
    }
}
