/// Named businesses for `churn-simulate --scenario` (docs/SIMULATION.md).
public enum Scenario: String, CaseIterable, Sendable {
    /// The documented defaults, `ProcessParameters()`: churn driven mostly by latent traits and
    /// engagement decline, with order effects concerning a minority of customers.
    case standard
    /// A business whose churn depends on the order of events. Support resolves most tickets
    /// within days, but a quarter of the resolutions do not fix the problem: the customer reopens
    /// the ticket 1–3 days after `ticket_resolved`, and a reopened ticket (a `support_ticket`
    /// *after* the `ticket_resolved`) is stuck and multiplies the cancel hazard by e^4 until it is
    /// resolved (2 %/day) or abandoned. A new ticket comes with a geometric number of further
    /// messages (mean 1.5), so per-window counts of `support_ticket` and `ticket_resolved` are
    /// nearly the same for "ticket, reply, resolved" and "ticket, resolved, reopened"; only the
    /// order tells them apart. Failed payments are twice as frequent and their retries succeed
    /// with probability 0.3 (a `payment_failed` *not followed* by `payment` ends in an
    /// involuntary cancel). Errors per day, base cancel hazard and the weights of the latent
    /// signals (decline, price increase, abandoned feature, young account) are evened out or
    /// lowered, so that order is the main observable signal (docs/SIMULATION.md).
    case order
    /// The standard process plus customer attributes that change the cancel hazard: the
    /// acquisition channel (log-multiplier organic 0, paid_search +0.4, paid_social +1.0,
    /// referral −0.8, partner −0.4), the company size (−0.35 per unit of ln(size / 12): larger
    /// companies stay longer) and the current plan (basic +0.5, pro 0, premium −0.5). The event
    /// log carries the plan in force at each event as a fifth column, `plan`; the channel and the
    /// size are in the customer table (`--customers-output`).
    case attributes

    /// Whether the event log of this scenario has the `plan` column.
    public var writesPlanColumn: Bool { self == .attributes }

    /// The process parameters of this scenario.
    public var parameters: ProcessParameters {
        var p = ProcessParameters()
        switch self {
        case .standard:
            break
        case .order:
            for i in p.segments.indices {
                p.segments[i].baseHazard = 0.0006
                p.segments[i].errorRate = 0.05 / p.segments[i].sessionsPerDay
                p.segments[i].paymentFailureRate *= 2
            }
            p.ticketProbability = 0.7
            p.extraTicketMessages = 1.5
            p.followUpProbability = 0.05
            p.resolveRate = 0.6
            p.fastResolutionDays = 4
            p.reopenProbability = 0.25
            p.stuckResolveRate = 0.02
            p.ticketExpiryDays = 40
            p.frustrationDelayDays = 2
            p.frustrationWeight = 4.0
            p.retrySuccess = 0.3
            p.declineWeight = 0.5
            p.priceWeight = 0.5
            p.abandonWeight = 0.3
            p.newCustomerWeight = 0.3
        case .attributes:
            p.channelWeights = [0, 0.4, 1.0, -0.8, -0.4]
            p.companySizeWeight = -0.35
            p.planHazardWeights = [0.5, 0, -0.5]
        }
        return p
    }
}
