import Foundation

/// Progress on standard error: a redrawn bar with rate and ETA on a terminal, plain periodic
/// lines otherwise (logs of batch jobs stay readable).
public final class ProgressBar {
    public let label: String
    public let total: Int
    public let unit: String
    private let isTerminal: Bool
    private let start = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private let plainInterval: Double
    private var finished = false

    /// - Parameters:
    ///   - plainInterval: seconds between lines when standard error is not a terminal.
    public init(label: String, total: Int, unit: String = "items", plainInterval: Double = 10,
                isTerminal: Bool = Terminal.standardErrorIsTerminal) {
        self.label = label
        self.total = max(total, 0)
        self.unit = unit
        self.plainInterval = plainInterval
        self.isTerminal = isTerminal
    }

    public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Reports `completed` of `total`, with `rate` in units per second and extra text.
    public func update(_ completed: Int, rate: Double? = nil, detail: String = "") {
        let now = DispatchTime.now().uptimeNanoseconds
        let interval = isTerminal ? 0.1 : plainInterval
        guard completed >= total || Double(now - lastDraw) / 1e9 >= interval else { return }
        lastDraw = now
        let elapsed = self.elapsed
        let rate = rate ?? (elapsed > 0 ? Double(completed) / elapsed : 0)
        let fraction = total > 0 ? min(1, Double(completed) / Double(total)) : 1
        let eta = rate > 0 ? Double(total - completed) / rate : .nan
        let stats = "\(completed)/\(total) \(Self.format(rate: rate)) \(unit)/s ETA \(Self.format(seconds: eta))"
            + (detail.isEmpty ? "" : "  \(detail)")
        if isTerminal {
            let width = 28
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let percent = String(format: "%3.0f%%", fraction * 100)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(label) \(bar) \(percent) \(stats)".utf8))
        } else if completed < total {
            Terminal.error("\(label): \(String(format: "%.0f%%", fraction * 100)) \(stats)")
        }
    }

    /// Ends the bar (a newline on a terminal).
    public func finish(detail: String = "") {
        guard !finished else { return }
        finished = true
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        if !detail.isEmpty { Terminal.error("\(label): \(detail)") }
    }

    public static func format(rate: Double) -> String {
        guard rate.isFinite else { return "-" }
        if rate >= 1e6 { return String(format: "%.2fM", rate / 1e6) }
        if rate >= 1e4 { return String(format: "%.1fk", rate / 1e3) }
        return String(format: "%.0f", rate)
    }

    public static func format(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
