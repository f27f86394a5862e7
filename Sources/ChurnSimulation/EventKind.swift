/// The kinds of events the simulator writes, with their names in the CSV `event` column.
///
/// The order of the cases is fixed: it is the order of `EventKind.allCases` and of the counts in
/// `SimulationSummary.eventCounts`.
public enum EventKind: UInt8, CaseIterable, Sendable {
    /// The customer opens a session in the product.
    case login
    /// A page or screen view inside a session.
    case view
    /// Use of the product's key feature inside a session.
    case featureUse
    /// An in-app purchase; `amount` is its price.
    case purchase
    /// The product failed in front of the customer during a session.
    case error
    /// The customer opened (or followed up on) a support ticket, usually minutes after an error.
    case supportTicket
    /// Support resolved the customer's open ticket.
    case ticketResolved
    /// A successful monthly payment (or a successful retry); `amount` is the price charged.
    case payment
    /// A monthly payment or retry that failed; `amount` is the price that could not be charged.
    case paymentFailed
    /// The customer's price went up; `amount` is the new monthly price.
    case priceIncrease
    /// The customer moved to a more expensive plan; `amount` is the new monthly price.
    case upgrade
    /// The customer moved to a cheaper plan; `amount` is the new monthly price.
    case downgrade
    /// The customer left (voluntarily, or after a failed payment was never recovered). Last event.
    case cancel

    /// The name written in the CSV `event` column.
    public var name: String {
        switch self {
        case .login: return "login"
        case .view: return "view"
        case .featureUse: return "feature_use"
        case .purchase: return "purchase"
        case .error: return "error"
        case .supportTicket: return "support_ticket"
        case .ticketResolved: return "ticket_resolved"
        case .payment: return "payment"
        case .paymentFailed: return "payment_failed"
        case .priceIncrease: return "price_increase"
        case .upgrade: return "upgrade"
        case .downgrade: return "downgrade"
        case .cancel: return "cancel"
        }
    }

    /// Whether rows of this kind carry an `amount` (empty otherwise).
    public var hasAmount: Bool {
        switch self {
        case .purchase, .payment, .paymentFailed, .priceIncrease, .upgrade, .downgrade: return true
        default: return false
        }
    }
}
