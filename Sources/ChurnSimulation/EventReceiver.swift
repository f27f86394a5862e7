/// Receives the events of one simulated day; the truth computation uses a receiver that drops
/// them (and lets the process skip the events that do not change its state).
protocol EventReceiver {
    /// Whether events are kept; when `false`, sessions are not expanded into events.
    static var recordsEvents: Bool { get }
    mutating func emit(second: Int, kind: EventKind, amountCents: Int)
}

/// Drops every event (Monte Carlo continuations for the truth).
struct DiscardingReceiver: EventReceiver {
    static var recordsEvents: Bool { false }
    @inline(__always) mutating func emit(second: Int, kind: EventKind, amountCents: Int) {}
}

/// One event inside a day: second of the day, kind, amount in cents (or -1 for none).
struct DayEvent {
    var second: Int32
    var kind: EventKind
    var amountCents: Int
}

/// The events of one day, sorted by time before they are written.
struct DayEvents: EventReceiver {
    static var recordsEvents: Bool { true }
    var events: [DayEvent] = []

    init() { events.reserveCapacity(256) }

    @inline(__always) mutating func emit(second: Int, kind: EventKind, amountCents: Int) {
        events.append(DayEvent(second: Int32(min(max(second, 0), 86_399)), kind: kind, amountCents: amountCents))
    }

    /// Stable insertion sort by second (days hold a few dozen events).
    mutating func sort() {
        events.withUnsafeMutableBufferPointer { e in
            guard e.count > 1 else { return }
            for i in 1..<e.count {
                let item = e[i]
                var j = i - 1
                while j >= 0 && e[j].second > item.second {
                    e[j + 1] = e[j]
                    j -= 1
                }
                e[j + 1] = item
            }
        }
    }
}
