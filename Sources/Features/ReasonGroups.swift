import Snapshots
import EventLog
import Foundation

/// What a reason for a forecast is about: a set of model inputs that a retention team can act on
/// as one thing. Attributions of single inputs are summed per group.
public enum ReasonGroup: Hashable, Sendable {
    /// The customer's events of one type: every LSTM step of that type, the type's aggregates on
    /// the cutoff step and its columns in the XGBoost table.
    case eventType(String)
    /// Events of types without inputs of their own (rare in training, or unseen).
    case otherEventTypes
    /// The totals of a value column (an amount).
    case value(String)
    /// A customer attribute.
    case attribute(String)
    /// How long the customer has been active (days since the first event).
    case tenure
    /// Time since the last event.
    case recency
    /// Overall activity: event counts in the recent windows and in all history, their trend,
    /// and the length of the history the LSTM reads.
    case activity

    /// The event type the reason is tied to, or nil.
    public var event: String? {
        if case .eventType(let name) = self { return name }
        return nil
    }

    /// A stable name: `event:<type>`, `other_events`, `value:<column>`, `attribute:<name>`,
    /// `tenure`, `recency`, `activity`.
    public var key: String {
        switch self {
        case .eventType(let name): return "event:\(name)"
        case .otherEventTypes: return "other_events"
        case .value(let name): return "value:\(name)"
        case .attribute(let name): return "attribute:\(name)"
        case .tenure: return "tenure"
        case .recency: return "recency"
        case .activity: return "activity"
        }
    }
}

extension FeatureSpec {
    /// The group of each numeric feature on the cutoff step (F entries); nil for the features
    /// that are the same for every customer there (event-step features, hours until the cutoff).
    public var cutoffStepGroups: [ReasonGroup?] {
        var groups: [ReasonGroup?] = [.recency, nil, nil]
        groups += valueColumns.map { _ in nil }
        groups += [.activity, .tenure, .activity, .activity, .activity, .activity]
        groups += valueColumns.map { .value($0) }
        for type in typeAggregates { groups += Array(repeating: .eventType(type), count: 3) }
        for a in attributes.attributes { groups += Array(repeating: .attribute(a.name), count: a.width) }
        precondition(groups.count == featureCount, "the reason groups do not cover the feature layout")
        return groups
    }

    /// The group of an event step with vocabulary id `id` (`<unk>`: other event types).
    public func stepGroup(eventID id: Int32) -> ReasonGroup {
        id >= 2 && Int(id) < vocabulary.count ? .eventType(vocabulary[Int(id)]) : .otherEventTypes
    }
}

extension TabularSpec {
    /// The groups of each column: a contribution is split equally among them (a pair's columns
    /// belong to both of its types).
    public var columnGroups: [[ReasonGroup]] {
        var groups: [[ReasonGroup]] = [[.activity], [.activity], [.activity], [.activity], [.tenure], [.recency],
                                       [.activity], [.activity], [.activity]]
        let groupOf: [ReasonGroup] = eventTypes.map { .eventType($0) } + [.otherEventTypes]
        for g in groupOf { groups += Array(repeating: [g], count: 7) }
        for v in valueColumns { groups += Array(repeating: [.value(v)], count: 4) }
        for _ in valueColumns { for t in valueTypes { groups += [[.eventType(t)], [.eventType(t)]] } }
        for p in pairs { groups += Array(repeating: [.eventType(p.first), .eventType(p.second)], count: 2) }
        for a in attributes.attributes { groups += Array(repeating: [.attribute(a.name)], count: a.width) }
        precondition(groups.count == featureCount, "the reason groups do not cover the tabular layout")
        return groups
    }
}

/// Short descriptions of reasons with the customer's own values ("2 payment_failed in the last
/// 30 days, the last 3 days ago", "plan = basic", "customer for 41 days"), from the events
/// before the row's cutoff.
public struct ReasonDescriber: Sendable {
    public let store: EventStore
    private let attributes: AttributeEncoder
    private let valueColumnIndex: [String: Int]

    public init(store: EventStore, attributes: AttributeSpec) {
        self.store = store
        self.attributes = AttributeEncoder(spec: attributes, store: store)
        valueColumnIndex = Dictionary(store.valueColumns.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One history pass: per event name, the count in the last 30 days, in all, and the last time.
    private struct TypeStats { var last30 = 0, all = 0, lastTime = Int64.min }

    /// Descriptions of `groups` for `row`, in order.
    /// - Parameter known: the event types with inputs of their own (the rest are "other types").
    public func describe(_ groups: [ReasonGroup], row: SnapshotRow, known: Set<String>) -> [String] {
        let history = HistorySummary(store: store, row: row)
        let recent = HistorySummary.windowStart(days: 30, cutoff: row.cutoff)
        var stats: [String: TypeStats] = [:]
        if groups.contains(where: { if case .eventType = $0 { return true }; return $0 == .otherEventTypes }) {
            for k in history.start..<history.end {
                let name = store.eventNames[Int(store.events[k])]
                let key = known.contains(name) ? name : "\u{0}other"
                var s = stats[key] ?? TypeStats()
                s.all += 1
                if store.times[k] >= recent { s.last30 += 1 }
                s.lastTime = store.times[k]
                stats[key] = s
            }
        }
        return groups.map { group in
            switch group {
            case .eventType(let name):
                let s = stats[name] ?? TypeStats()
                if s.all == 0 { return "no \(name) ever" }
                let ago = Self.age(row.cutoff - s.lastTime)
                return s.last30 > 0 ? "\(s.last30) \(name) in the last 30 days (\(s.all) in all), the last \(ago) ago"
                                    : "no \(name) in the last 30 days; the last \(ago) ago (\(s.all) in all)"
            case .otherEventTypes:
                let s = stats["\u{0}other"] ?? TypeStats()
                return "\(s.last30) events of other types in the last 30 days (\(s.all) in all)"
            case .value(let column):
                guard let j = valueColumnIndex[column] else { return column }
                var all = 0.0, last30 = 0.0
                store.values[j].withUnsafeBufferPointer { v in
                    for k in history.start..<history.end {
                        all += Double(v[k])
                        if store.times[k] >= recent { last30 += Double(v[k]) }
                    }
                }
                return "\(column) \(Self.number(last30)) in the last 30 days, \(Self.number(all)) in all"
            case .attribute(let name):
                guard let value = attributes.value(named: name, row: row) else { return "\(name) missing" }
                return "\(name) = \(value)"
            case .tenure:
                return history.eventCount == 0 ? "no history" : "customer for \(Self.age(history.sinceFirst))"
            case .recency:
                return history.eventCount == 0 ? "no event yet" : "last event \(Self.age(history.sinceLast)) ago"
            case .activity:
                let before = history.eventsLast90Days == 0 ? 0 : count(history, row: row, from: 60, to: 30)
                return "\(history.eventsLast30Days) events in the last 30 days (\(before) in the 30 before, \(history.eventCount) in all)"
            }
        }
    }

    /// Events in `[cutoff − from days, cutoff − to days)`.
    private func count(_ history: HistorySummary, row: SnapshotRow, from: Int64, to: Int64) -> Int {
        let lo = HistorySummary.windowStart(days: from, cutoff: row.cutoff), hi = HistorySummary.windowStart(days: to, cutoff: row.cutoff)
        var n = 0
        for k in history.start..<history.end where store.times[k] >= lo && store.times[k] < hi { n += 1 }
        return n
    }

    /// "41 days", "1 day", "5 hours".
    public static func age(_ microseconds: Int64) -> String {
        let days = Double(microseconds) / Double(Timestamp.microsecondsPerDay)
        if days >= 1.5 { return "\(Int(days.rounded())) days" }
        if days >= 0.75 { return "1 day" }
        let hours = max(1, Int((Double(microseconds) / Double(Timestamp.microsecondsPerHour)).rounded()))
        return hours == 1 ? "1 hour" : "\(hours) hours"
    }

    /// A compact number: integers as such, others with up to two decimals.
    public static func number(_ x: Double) -> String {
        if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
        return String(format: "%.2f", x)
    }
}
