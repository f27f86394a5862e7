/// The mechanism that drives most of a customer's churn hazard at the truth cutoff: the
/// `mechanism` column of the truth file, against which explanations of a churn model can be
/// tested for faithfulness (docs/SIMULATION.md, "Truth file").
///
/// `rawValue` is the name written in the truth file. The order of the cases is fixed: it is the
/// order of `allCases`, the order in which equal log-hazard terms are ranked (the earlier wins)
/// and the order of the counts in the summary.
public enum ChurnMechanism: String, CaseIterable, Sendable {
    /// A failed payment is pending at the cutoff (retries left, or the involuntary cancel already
    /// scheduled) and it ends in an involuntary cancel at least as likely as the customer cancels
    /// voluntarily within the horizon at the cutoff's hazard.
    case failedPayment = "failed_payment"
    /// The engagement decline term `declineWeight · drop` is the largest log-hazard term.
    case engagementDecline = "engagement_decline"
    /// A support ticket open for at least `frustrationDelayDays` and unresolved (`frustrationWeight`).
    case unresolvedTicket = "unresolved_ticket"
    /// A price increase in the last 150 days (`priceWeight · sensitivity · exp(−days / priceDecayDays)`).
    case priceIncrease = "price_increase"
    /// The key feature is abandoned (`abandonWeight`).
    case abandonedFeature = "abandoned_feature"
    /// A young account (`newCustomerWeight · exp(−tenure / newCustomerDays)`, tenure < 365 days).
    case newAccount = "new_account"
    /// The acquisition channel's log-multiplier (only when attribute weights are set).
    case channel
    /// The company-size term `companySizeWeight · ln(size / median)` (only with attribute weights).
    case companySize = "company_size"
    /// The current plan's log-multiplier (only with attribute weights).
    case plan
    /// No mechanism stands out: the baseline hazard and the hidden traits (segment, base hazard).
    case none

    /// The smallest log-hazard term that counts as driving the churn: it multiplies the hazard
    /// by at least e^0.5 ≈ 1.65.
    public static let minimumLogMultiplier = 0.5

    /// The event types of the log that an explanation may name for this mechanism; empty for a
    /// young account, an attribute or no mechanism (no event type carries them).
    public var eventTypes: [EventKind] {
        switch self {
        case .failedPayment: return [.paymentFailed, .payment]
        case .unresolvedTicket: return [.supportTicket, .ticketResolved, .error]
        case .priceIncrease: return [.priceIncrease]
        case .engagementDecline: return [.login, .view, .featureUse]
        case .abandonedFeature: return [.featureUse]
        case .newAccount, .channel, .companySize, .plan, .none: return []
        }
    }

    /// The customer attribute an explanation may name for this mechanism: `channel` and
    /// `company_size` (columns of the customer table) or `plan` (the event log's plan column);
    /// `nil` for the other mechanisms.
    public var attribute: String? {
        switch self {
        case .channel: return "channel"
        case .companySize: return "company_size"
        case .plan: return "plan"
        default: return nil
        }
    }
}
