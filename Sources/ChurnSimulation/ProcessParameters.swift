/// The parameters of one customer segment (loyal, casual, at-risk).
public struct SegmentParameters: Sendable {
    /// Name used in documentation (`loyal`, `casual`, `at-risk`).
    public var name: String
    /// Fraction of customers in this segment (shares are normalised over the segments).
    public var share: Double
    /// Median number of sessions per day at the customer's own baseline engagement.
    public var sessionsPerDay: Double
    /// Daily probability of a voluntary cancel when nothing is wrong (before hazard multipliers).
    public var baseHazard: Double
    /// Daily probability that an engagement decline starts.
    public var declineStartRate: Double
    /// Median probability that a monthly payment fails.
    public var paymentFailureRate: Double
    /// Multiplies the effect of a price increase on the cancel hazard.
    public var priceSensitivity: Double
    /// Median probability that a session hits a product error.
    public var errorRate: Double
    /// Probability that a session uses the key feature (while the feature is not abandoned).
    public var featureAdoption: Double
    /// Probabilities of starting on the basic, pro and premium plans.
    public var planWeights: [Double]

    public init(name: String, share: Double, sessionsPerDay: Double, baseHazard: Double,
                declineStartRate: Double, paymentFailureRate: Double, priceSensitivity: Double,
                errorRate: Double, featureAdoption: Double, planWeights: [Double]) {
        self.name = name
        self.share = share
        self.sessionsPerDay = sessionsPerDay
        self.baseHazard = baseHazard
        self.declineStartRate = declineStartRate
        self.paymentFailureRate = paymentFailureRate
        self.priceSensitivity = priceSensitivity
        self.errorRate = errorRate
        self.featureAdoption = featureAdoption
        self.planWeights = planWeights
    }
}

/// The parameters of the simulated subscription business; `ProcessParameters()` gives the
/// documented defaults (docs/SIMULATION.md).
///
/// Each customer is a latent-state process in daily steps. Its daily probability of cancelling is
/// `min(maxDailyHazard, baseHazard · exp(Σ weight · signal))` with the signals: engagement drop
/// (latent, in log-activity units), an unresolved support ticket open for at least
/// `frustrationDelayDays`, a recent price increase (decaying), an abandoned key feature, a
/// young account, and the customer's attributes: acquisition channel, company size and current
/// plan (their weights are 0 by default). A failed payment not recovered by any retry ends in an
/// involuntary cancel.
public struct ProcessParameters: Sendable {
    /// The customer segments.
    public var segments: [SegmentParameters] = [
        SegmentParameters(name: "loyal", share: 0.45, sessionsPerDay: 0.7, baseHazard: 0.0006,
                          declineStartRate: 1.0 / 500, paymentFailureRate: 0.03, priceSensitivity: 0.3,
                          errorRate: 0.02, featureAdoption: 0.6, planWeights: [0.3, 0.45, 0.25]),
        SegmentParameters(name: "casual", share: 0.35, sessionsPerDay: 0.25, baseHazard: 0.00085,
                          declineStartRate: 1.0 / 250, paymentFailureRate: 0.06, priceSensitivity: 1.0,
                          errorRate: 0.03, featureAdoption: 0.35, planWeights: [0.6, 0.3, 0.1]),
        SegmentParameters(name: "at-risk", share: 0.20, sessionsPerDay: 0.35, baseHazard: 0.0013,
                          declineStartRate: 1.0 / 120, paymentFailureRate: 0.12, priceSensitivity: 1.6,
                          errorRate: 0.06, featureAdoption: 0.3, planWeights: [0.7, 0.25, 0.05]),
    ]
    /// Fraction of customers who signed up before the log starts (uniformly up to a year
    /// earlier); the rest sign up uniformly over the simulated period.
    public var existingCustomerShare = 0.4
    /// Monthly prices of the basic, pro and premium plans, in cents.
    public var planPriceCents: [Int] = [999, 1999, 3999]
    /// Standard deviation across customers of the log of the baseline session rate.
    public var activitySpread = 0.5
    /// Day-to-day persistence of the activity noise (AR(1) coefficient).
    public var activityPersistence = 0.8
    /// Standard deviation of the daily innovation of the activity noise.
    public var activityNoise = 0.2
    /// Depth of an engagement decline, in log-activity units (uniform in this range).
    public var declineDepth: ClosedRange<Double> = 1.0...2.5
    /// Days an engagement decline takes to reach its depth (uniform in this range).
    public var declineDays: ClosedRange<Double> = 10...40
    /// Daily probability that a customer at the bottom of a decline starts to recover.
    public var recoveryRate = 0.02
    /// Daily probability that a customer starts hitting a bug (an error-prone episode).
    public var bugEpisodeRate = 1.0 / 90
    /// Error-rate multiplier during a bug episode.
    public var bugMultiplier = 8.0
    /// Length of a bug episode in days (uniform in this range).
    public var bugDays: ClosedRange<Int> = 3...14
    /// Probability that an error leads to a support ticket when no ticket is open.
    public var ticketProbability = 0.5
    /// Probability that an error while a ticket is open leads to a follow-up ticket.
    public var followUpProbability = 0.2
    /// Mean number of further `support_ticket` messages a customer sends minutes after opening a
    /// ticket (geometric; 0 in the standard process, where a ticket is one event).
    public var extraTicketMessages = 0.0
    /// Probability that a resolution does not fix the problem: 1 to 3 days after the
    /// `ticket_resolved` the customer reopens the ticket (a `support_ticket`), and it is then
    /// treated as stuck and frustrating from the start (0 in the standard process).
    public var reopenProbability = 0.0
    /// Daily probability that an open ticket gets resolved during its first `fastResolutionDays`
    /// (checked from the day after it opened).
    public var resolveRate = 0.2
    /// Days during which support resolves tickets at `resolveRate`; afterwards a ticket is stuck.
    public var fastResolutionDays = 5
    /// Daily probability that a stuck ticket (open longer than `fastResolutionDays`) gets resolved.
    public var stuckResolveRate = 0.02
    /// Days after which an unresolved ticket is abandoned (no more frustration).
    public var ticketExpiryDays = 60
    /// Days an unresolved ticket must be open before it raises the cancel hazard.
    public var frustrationDelayDays = 3
    /// Days between a failed payment and its retry.
    public var retryIntervalDays = 3
    /// Number of retries after a failed payment.
    public var retries = 3
    /// Probability that a retry succeeds.
    public var retrySuccess = 0.4
    /// Days after the last failed retry until the involuntary cancel.
    public var involuntaryCancelDelayDays = 2
    /// Daily probability of a price increase (at most one per 180 days, not in the first 60 days).
    public var priceIncreaseRate = 1.0 / 200
    /// Relative size of a price increase (uniform in this range).
    public var priceIncreaseSize: ClosedRange<Double> = 0.1...0.3
    /// Daily probability of abandoning the key feature, multiplied by `1 + drop`.
    public var featureAbandonRate = 1.0 / 400
    /// Daily probability of adopting the key feature again after abandoning it.
    public var featureReadoptRate = 1.0 / 60
    /// Daily probability of an upgrade while engagement is at baseline.
    public var upgradeRate = 0.0015
    /// Daily probability of a downgrade per unit of engagement drop.
    public var downgradeRate = 0.004
    /// Probability that a session includes a purchase.
    public var purchaseProbability = 0.03
    /// Median purchase amount in cents (log-normal, σ = 0.6).
    public var purchaseMedianCents = 1500.0

    /// Hazard weight (log scale) per unit of engagement drop.
    public var declineWeight = 1.4
    /// Hazard weight of an unresolved ticket open for at least `frustrationDelayDays`.
    public var frustrationWeight = 2.6
    /// Hazard weight of a price increase, times the segment's sensitivity, decaying over
    /// `priceDecayDays`.
    public var priceWeight = 1.5
    /// Time constant in days of the price-increase effect.
    public var priceDecayDays = 20.0
    /// Hazard weight of an abandoned key feature.
    public var abandonWeight = 1.0
    /// Hazard weight of a new account, decaying over `newCustomerDays`.
    public var newCustomerWeight = 0.8
    /// Time constant in days of the new-account effect.
    public var newCustomerDays = 60.0
    /// Upper bound of the daily cancel probability.
    public var maxDailyHazard = 0.3

    /// Names of the basic, pro and premium plans (the `plan` column of the event log); one per
    /// entry of `planPriceCents`.
    public var planNames = ["basic", "pro", "premium"]
    /// Shares of the acquisition channels, indexed by `AcquisitionChannel.rawValue` (normalised
    /// over the channels). Drawn per customer from a stream of its own, so the traits never
    /// change the other random draws.
    public var channelShares = [0.35, 0.20, 0.20, 0.15, 0.10]
    /// Median company size in employees (log-normal, rounded to a whole number of at least 1).
    public var companySizeMedian = 12.0
    /// Standard deviation of the log of the company size.
    public var companySizeSigma = 1.3

    /// Hazard weight (log scale) of each acquisition channel, indexed by
    /// `AcquisitionChannel.rawValue` (all 0 by default: the channel does not matter).
    public var channelWeights = [0.0, 0.0, 0.0, 0.0, 0.0]
    /// Hazard weight (log scale) per unit of `ln(company_size / companySizeMedian)` (0 by default).
    public var companySizeWeight = 0.0
    /// Hazard weight (log scale) of the plan currently in force, per entry of `planPriceCents`
    /// (all 0 by default: the plan does not matter).
    public var planHazardWeights = [0.0, 0.0, 0.0]

    public init() {}
}

/// How a customer was acquired: the `channel` column of the customer table.
public enum AcquisitionChannel: Int, CaseIterable, Sendable {
    /// Found the product on their own (search results, word of mouth).
    case organic
    /// Came through a paid search advertisement.
    case paidSearch
    /// Came through a paid advertisement on social media.
    case paidSocial
    /// Referred by an existing customer.
    case referral
    /// Brought in by a reseller or integration partner.
    case partner

    /// The name written in the customer table.
    public var name: String {
        switch self {
        case .organic: return "organic"
        case .paidSearch: return "paid_search"
        case .paidSocial: return "paid_social"
        case .referral: return "referral"
        case .partner: return "partner"
        }
    }
}
