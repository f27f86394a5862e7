/// Named businesses for `churn-simulate --scenario` (docs/SIMULATION.md).
public enum Scenario: String, CaseIterable, Sendable {
    /// The documented defaults, `ProcessParameters()`: churn driven mostly by latent traits and
    /// engagement decline, with order effects concerning a minority of customers.
    case standard
    /// A business whose churn depends on the order of events: frequent product errors and slow
    /// support (a ticket *not followed* by `ticket_resolved` drives voluntary churn), frequent
    /// failed payments (a `payment_failed` *not followed* by `payment` drives involuntary churn),
    /// and no hidden differences in base cancel hazard between segments. Counts per window see
    /// how many tickets or failures there were, not whether the last one was resolved.
    case order

    /// The process parameters of this scenario.
    public var parameters: ProcessParameters {
        var p = ProcessParameters()
        switch self {
        case .standard:
            break
        case .order:
            for i in p.segments.indices {
                p.segments[i].baseHazard = 0.0006
                p.segments[i].errorRate *= 3
                p.segments[i].paymentFailureRate *= 2
            }
            p.resolveRate = 0.5
            p.fastResolutionDays = 2
            p.stuckResolveRate = 0.01
            p.frustrationDelayDays = 3
            p.frustrationWeight = 3.0
            p.retrySuccess = 0.3
            p.declineWeight = 1.0
        }
        return p
    }
}
