/// What drives the headline forecast over a whole snapshot: the global importance of each reason
/// group and the top reasons of the highest-risk customers (churn-evaluate's report and
/// `metrics.json` `reasons`).
public struct ReasonSummary: Codable, Sendable, Equatable {
    /// One reason group over all customers.
    public struct Importance: Codable, Sendable, Equatable {
        /// The group's key (`event:payment_failed`, `attribute:plan`, `tenure`, …).
        public var reason: String
        /// The event type it is tied to, or nil.
        public var event: String?
        /// Mean |contribution| over every customer (0 where the group contributes nothing).
        public var meanAbsoluteContribution: Double
        /// Mean signed contribution.
        public var meanContribution: Double

        public init(reason: String, event: String?, meanAbsoluteContribution: Double, meanContribution: Double) {
            self.reason = reason
            self.event = event
            self.meanAbsoluteContribution = meanAbsoluteContribution
            self.meanContribution = meanContribution
        }

        enum CodingKeys: String, CodingKey {
            case reason, event, meanAbsoluteContribution = "mean_abs_contribution", meanContribution = "mean_contribution"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reason, forKey: .reason)
            try c.encode(event, forKey: .event)   // null when tied to no event type
            try c.encode(meanAbsoluteContribution, forKey: .meanAbsoluteContribution)
            try c.encode(meanContribution, forKey: .meanContribution)
        }
    }

    /// A group as the largest positive reason of customers of the highest-risk decile.
    public struct TopReason: Codable, Sendable, Equatable {
        public var reason: String
        public var event: String?
        /// Customers of the decile whose largest positive reason it is, and their share of the decile.
        public var customers: Int
        public var share: Double
        /// Their mean contribution of it.
        public var meanContribution: Double

        public init(reason: String, event: String?, customers: Int, share: Double, meanContribution: Double) {
            self.reason = reason
            self.event = event
            self.customers = customers
            self.share = share
            self.meanContribution = meanContribution
        }

        enum CodingKeys: String, CodingKey { case reason, event, customers, share, meanContribution = "mean_contribution" }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(reason, forKey: .reason)
            try c.encode(event, forKey: .event)   // null when tied to no event type
            try c.encode(customers, forKey: .customers)
            try c.encode(share, forKey: .share)
            try c.encode(meanContribution, forKey: .meanContribution)
        }
    }

    /// The forecast explained (`ensemble`, `lstm`, `xgboost`).
    public var model: String
    /// The base value of every explanation.
    public var base: Double
    public var customers: Int
    /// Customers in the highest-risk decile.
    public var decileCustomers: Int
    /// Largest |contribution| first.
    public var importance: [Importance]
    /// Most customers first.
    public var topOfHighestRiskDecile: [TopReason]

    public init(model: String, base: Double, customers: Int, decileCustomers: Int, importance: [Importance],
                topOfHighestRiskDecile: [TopReason]) {
        self.model = model
        self.base = base
        self.customers = customers
        self.decileCustomers = decileCustomers
        self.importance = importance
        self.topOfHighestRiskDecile = topOfHighestRiskDecile
    }

    enum CodingKeys: String, CodingKey {
        case model, base = "base_value", customers, decileCustomers = "decile_customers", importance
        case topOfHighestRiskDecile = "top_reasons_highest_risk_decile"
    }

    /// A reader's name of a group key: "payment_failed events", "attribute plan", "tenure".
    public static func label(_ key: String) -> String {
        if key.hasPrefix("event:") { return "\(key.dropFirst(6)) events" }
        if key.hasPrefix("attribute:") { return "attribute \(key.dropFirst(10))" }
        if key.hasPrefix("value:") { return "\(key.dropFirst(6)) totals" }
        switch key {
        case "other_events": return "events of other types"
        case "activity": return "overall activity"
        case "recency": return "time since the last event"
        default: return key
        }
    }
}
