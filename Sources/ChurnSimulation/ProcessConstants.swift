/// The process parameters flattened into scalars for the daily step.
struct ProcessConstants: Sendable {
    var segmentCumulative: [Double]
    var segments: [SegmentParameters]
    var planPriceCents: [Double]
    var existingCustomerShare: Double
    var activitySpread, activityPersistence, activityNoise: Double
    var declineDepth, declineDays: ClosedRange<Double>
    var recoveryRate, bugEpisodeRate, bugMultiplier: Double
    var bugDays: ClosedRange<Int>
    var ticketProbability, followUpProbability, extraTicketMessages, reopenProbability: Double
    var resolveRate, stuckResolveRate: Double
    var fastResolutionDays: Int
    var ticketExpiryDays, frustrationDelayDays, retryIntervalDays, retries: Int
    var retrySuccess: Double
    var involuntaryCancelDelayDays: Int
    var priceIncreaseRate: Double
    var priceIncreaseSize: ClosedRange<Double>
    var featureAbandonRate, featureReadoptRate, upgradeRate, downgradeRate: Double
    var purchaseProbability, purchaseMedianCents: Double
    var declineWeight, frustrationWeight, priceWeight, priceDecayDays, abandonWeight: Double
    var newCustomerWeight, newCustomerDays, maxDailyHazard: Double
    var channelCumulative: [Double]
    var companySizeMedian, companySizeSigma: Double
    var channelWeights: [Double]
    var companySizeWeight: Double
    var planHazardWeights: [Double]
    /// Whether any attribute weight is non-zero (otherwise the hazard skips the attribute terms).
    var hasAttributeEffects: Bool

    init(_ p: ProcessParameters) {
        let total = p.segments.reduce(0) { $0 + $1.share }
        var acc = 0.0
        segmentCumulative = p.segments.map { acc += $0.share / total; return acc }
        segments = p.segments
        planPriceCents = p.planPriceCents.map(Double.init)
        existingCustomerShare = p.existingCustomerShare
        activitySpread = p.activitySpread
        activityPersistence = p.activityPersistence
        activityNoise = p.activityNoise
        declineDepth = p.declineDepth
        declineDays = p.declineDays
        recoveryRate = p.recoveryRate
        bugEpisodeRate = p.bugEpisodeRate
        bugMultiplier = p.bugMultiplier
        bugDays = p.bugDays
        ticketProbability = p.ticketProbability
        followUpProbability = p.followUpProbability
        extraTicketMessages = p.extraTicketMessages
        reopenProbability = p.reopenProbability
        resolveRate = p.resolveRate
        stuckResolveRate = p.stuckResolveRate
        fastResolutionDays = p.fastResolutionDays
        ticketExpiryDays = p.ticketExpiryDays
        frustrationDelayDays = p.frustrationDelayDays
        retryIntervalDays = p.retryIntervalDays
        retries = p.retries
        retrySuccess = p.retrySuccess
        involuntaryCancelDelayDays = p.involuntaryCancelDelayDays
        priceIncreaseRate = p.priceIncreaseRate
        priceIncreaseSize = p.priceIncreaseSize
        featureAbandonRate = p.featureAbandonRate
        featureReadoptRate = p.featureReadoptRate
        upgradeRate = p.upgradeRate
        downgradeRate = p.downgradeRate
        purchaseProbability = p.purchaseProbability
        purchaseMedianCents = p.purchaseMedianCents
        declineWeight = p.declineWeight
        frustrationWeight = p.frustrationWeight
        priceWeight = p.priceWeight
        priceDecayDays = p.priceDecayDays
        abandonWeight = p.abandonWeight
        newCustomerWeight = p.newCustomerWeight
        newCustomerDays = p.newCustomerDays
        maxDailyHazard = p.maxDailyHazard
        let channels = AcquisitionChannel.allCases.count
        precondition(p.channelShares.count == channels && p.channelWeights.count == channels,
                     "channelShares and channelWeights need one entry per acquisition channel")
        precondition(p.planHazardWeights.count == p.planPriceCents.count && p.planNames.count == p.planPriceCents.count,
                     "planHazardWeights and planNames need one entry per plan")
        let channelTotal = p.channelShares.reduce(0, +)
        var channelAcc = 0.0
        channelCumulative = p.channelShares.map { channelAcc += $0 / channelTotal; return channelAcc }
        companySizeMedian = p.companySizeMedian
        companySizeSigma = p.companySizeSigma
        channelWeights = p.channelWeights
        companySizeWeight = p.companySizeWeight
        planHazardWeights = p.planHazardWeights
        hasAttributeEffects = p.channelWeights.contains { $0 != 0 } || p.companySizeWeight != 0
            || p.planHazardWeights.contains { $0 != 0 }
    }
}
