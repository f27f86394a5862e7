import ChurnSupport

/// Shows `ProgressReport`s on standard error: one progress bar per phase, lines between them.
public final class ProgressDisplay {
    private var bar: ProgressBar?
    private var phase = ""

    public init() {}

    public func show(_ report: ProgressReport) {
        switch report {
        case let .step(phase, done, total, unit, rate, detail):
            if bar == nil || phase != self.phase {
                bar?.finish()
                bar = ProgressBar(label: phase, total: total, unit: unit)
                self.phase = phase
            }
            bar?.update(done, rate: rate, detail: detail)
        case .line(let text):
            finish()
            Terminal.error(text)
        }
    }

    /// Ends the current bar, if any.
    public func finish() {
        bar?.finish()
        bar = nil
    }
}
