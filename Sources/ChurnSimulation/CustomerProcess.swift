import ChurnSupport
import Foundation

/// A customer's static attributes (the customer table): acquisition channel and company size.
///
/// Drawn from a random stream of their own (`Simulator.attributeSeed`), so that adding them changes
/// none of the draws of the event log.
struct CustomerAttributes: Sendable {
    var channel: AcquisitionChannel
    /// Employees, a whole number ≥ 1.
    var companySize: Int

    /// Draws the attributes: a channel by `channelShares`, then a log-normal company size.
    init(constants k: ProcessConstants, rng: inout SeededGenerator) {
        let u = rng.nextDouble()
        var c = 0
        while c < k.channelCumulative.count - 1 && u >= k.channelCumulative[c] { c += 1 }
        channel = AcquisitionChannel(rawValue: c) ?? .organic
        let size = k.companySizeMedian * Foundation.exp(k.companySizeSigma * rng.nextGaussian())
        companySize = size >= 1 ? Int(min(size, 1e9).rounded()) : 1
    }
}

/// The log-hazard terms of a customer on one day (`CustomerProcess.logHazardTerms(day:_:)`);
/// a term whose condition does not hold is 0.
struct HazardTerms {
    /// `declineWeight · drop`.
    var engagementDecline = 0.0
    /// `frustrationWeight` while a ticket open ≥ `frustrationDelayDays` is unresolved.
    var unresolvedTicket = 0.0
    /// `priceWeight · priceSensitivity · exp(−days since the increase / priceDecayDays)`, within 150 days.
    var priceIncrease = 0.0
    /// `abandonWeight` while the key feature is abandoned.
    var abandonedFeature = 0.0
    /// `newCustomerWeight · exp(−tenure / newCustomerDays)` for tenure < 365 days.
    var newAccount = 0.0
    /// `channelWeights[channel]` (0 without attribute effects).
    var channel = 0.0
    /// `companySizeWeight · ln(companySize / companySizeMedian)` (0 without attribute effects).
    var companySize = 0.0
    /// `planHazardWeights[plan]` (0 without attribute effects).
    var plan = 0.0

    /// The log-multiplier of the base hazard: the sum of the terms, in the order the hazard has
    /// always added them (a 0 term leaves the sum bit-identical).
    @inline(__always)
    var logMultiplier: Double {
        engagementDecline + unresolvedTicket + priceIncrease + abandonedFeature + newAccount
            + ((channel + companySize) + plan)
    }
}

/// One customer: fixed traits drawn at sign-up and the latent state that evolves day by day.
///
/// A value type, so that the truth computation can copy the exact state at the cutoff and run
/// independent continuations from it.
struct CustomerProcess {
    // Traits.
    var segment: Int
    var logActivity: Double
    var errorRate: Double
    var paymentFailure: Double
    var priceSensitivity: Double
    var featureAdoption: Double
    var baseHazard: Double
    var declineStartRate: Double
    var signupDay: Int
    var billingSecond: Int
    /// Channel and company size (kept in the state, so that truth continuations carry them).
    var attributes: CustomerAttributes
    /// `channelWeights[channel]`: the channel's log-hazard term (used only with attribute effects).
    var channelLogTerm: Double
    /// `companySizeWeight · ln(companySize / companySizeMedian)`: the company-size log-hazard term.
    var companySizeLogTerm: Double

    // Latent state.
    var noise = 0.0
    var drop = 0.0
    var dropTarget = 0.0
    var dropSpeed = 0.0
    var bugUntil = Int.min / 2
    var caseOpen = false
    var caseOpenedDay = 0
    var reopenDay = Int.min / 2
    var priceIncreaseDay = Int.min / 2
    var featureAbandoned = false
    var plan = 0
    var priceFactor = 1.0
    var priceCents = 0
    var nextBillingDay = 0
    var retryDay = Int.min / 2
    var retriesLeft = 0
    var involuntaryCancelDay = Int.max
    var cancelled = false
    var cancelDay = Int.max

    /// Draws a customer with the given attributes who signs up on `signupDay` (day 0 = first day
    /// of the log); the attributes consume nothing from `rng`.
    init(signupDay: Int, attributes: CustomerAttributes, constants k: ProcessConstants, rng: inout SeededGenerator) {
        self.attributes = attributes
        channelLogTerm = k.channelWeights[attributes.channel.rawValue]
        companySizeLogTerm = k.companySizeWeight * Foundation.log(Double(attributes.companySize) / k.companySizeMedian)
        let u = rng.nextDouble()
        var s = 0
        while s < k.segmentCumulative.count - 1 && u >= k.segmentCumulative[s] { s += 1 }
        let seg = k.segments[s]
        segment = s
        let spread = k.activitySpread
        logActivity = Foundation.log(seg.sessionsPerDay) + spread * rng.nextGaussian()
        errorRate = min(0.5, seg.errorRate * Foundation.exp(0.6 * rng.nextGaussian()))
        paymentFailure = min(0.5, seg.paymentFailureRate * Foundation.exp(0.5 * rng.nextGaussian()))
        priceSensitivity = seg.priceSensitivity * rng.uniform(0.5...1.5)
        featureAdoption = min(0.95, seg.featureAdoption * rng.uniform(0.5...1.5))
        baseHazard = seg.baseHazard * Foundation.exp(0.2 * rng.nextGaussian())
        declineStartRate = seg.declineStartRate
        self.signupDay = signupDay
        billingSecond = 3600 + rng.nextInt(below: 20 * 3600)
        let v = rng.nextDouble()
        var cumulative = 0.0
        plan = seg.planWeights.count - 1
        for (i, w) in seg.planWeights.enumerated() {
            cumulative += w
            if v < cumulative { plan = i; break }
        }
        priceCents = Int(k.planPriceCents[plan].rounded())
        nextBillingDay = signupDay
        noise = k.activityNoise / (1 - k.activityPersistence * k.activityPersistence).squareRoot() * rng.nextGaussian()
    }

    /// The log-hazard terms on `day`, from the state at the start of the day: the one formula
    /// of the voluntary cancel hazard, shared by `hazard(day:_:)` and `mechanism(day:horizonDays:_:)`.
    ///
    /// A term whose condition does not hold is 0; the attribute terms are 0 unless some attribute
    /// weight is non-zero.
    @inline(__always)
    func logHazardTerms(day: Int, _ k: ProcessConstants) -> HazardTerms {
        var t = HazardTerms()
        t.engagementDecline = k.declineWeight * drop
        if caseOpen && day - caseOpenedDay >= k.frustrationDelayDays { t.unresolvedTicket = k.frustrationWeight }
        let sincePrice = day - priceIncreaseDay
        if sincePrice >= 0 && sincePrice < 150 {
            t.priceIncrease = k.priceWeight * priceSensitivity * Foundation.exp(-Double(sincePrice) / k.priceDecayDays)
        }
        if featureAbandoned { t.abandonedFeature = k.abandonWeight }
        let tenure = day - signupDay
        if tenure < 365 { t.newAccount = k.newCustomerWeight * Foundation.exp(-Double(tenure) / k.newCustomerDays) }
        if k.hasAttributeEffects {
            t.channel = channelLogTerm
            t.companySize = companySizeLogTerm
            t.plan = k.planHazardWeights[plan]
        }
        return t
    }

    /// The probability of a voluntary cancel on `day`, from the state at the start of the day.
    ///
    /// `min(maxDailyHazard, baseHazard · exp(m))`, where the log-multiplier `m` sums the weighted
    /// signals (decline, frustration, price increase, abandoned feature, young account) and the
    /// attribute terms `channelWeights[channel] + companySizeWeight · ln(size / median) +
    /// planHazardWeights[plan]` (0 when all attribute weights are 0, which changes nothing):
    /// `logHazardTerms(day:_:).logMultiplier`.
    @inline(__always)
    func hazard(day: Int, _ k: ProcessConstants) -> Double {
        min(k.maxDailyHazard, baseHazard * Foundation.exp(logHazardTerms(day: day, k).logMultiplier))
    }

    /// The probability, from the state at the start of `day`, that a pending failed payment ends
    /// in an involuntary cancel: 1 when the cancel is already scheduled, `(1 − retrySuccess)^retriesLeft`
    /// while retries are left, `nil` when no failed payment is pending.
    func involuntaryCancelProbability(day: Int, _ k: ProcessConstants) -> Double? {
        if involuntaryCancelDay != Int.max { return 1 }
        if retryDay >= day && retriesLeft > 0 { return Foundation.pow(1 - k.retrySuccess, Double(retriesLeft)) }
        return nil
    }

    /// The mechanism that drives most of the churn hazard from the state at the start of `day`,
    /// for a horizon of `horizonDays` days (a pure function of the state and the constants).
    ///
    /// `failedPayment` when a failed payment is pending and `involuntaryCancelProbability` is at
    /// least the voluntary cancel probability over the horizon at today's hazard,
    /// `1 − (1 − h)^horizonDays`; otherwise the largest positive log-hazard term if it is at least
    /// `ChurnMechanism.minimumLogMultiplier` (ties go to the earlier case of `ChurnMechanism`);
    /// otherwise `none`. Attribute terms count only when attribute weights are set, and a negative
    /// term never drives churn.
    func mechanism(day: Int, horizonDays: Int, _ k: ProcessConstants) -> ChurnMechanism {
        if let involuntary = involuntaryCancelProbability(day: day, k) {
            let voluntary = 1 - Foundation.pow(1 - hazard(day: day, k), Double(horizonDays))
            if involuntary >= voluntary { return .failedPayment }
        }
        let t = logHazardTerms(day: day, k)
        var best = ChurnMechanism.none
        var largest = ChurnMechanism.minimumLogMultiplier
        for (term, value) in [(ChurnMechanism.engagementDecline, t.engagementDecline), (.unresolvedTicket, t.unresolvedTicket),
                              (.priceIncrease, t.priceIncrease), (.abandonedFeature, t.abandonedFeature),
                              (.newAccount, t.newAccount), (.channel, t.channel), (.companySize, t.companySize),
                              (.plan, t.plan)]
        where value > largest || (value == largest && best == .none) {
            best = term
            largest = value
        }
        return best
    }

    /// Advances the customer through `day`, sending the day's events to `out`.
    ///
    /// Order inside a day: involuntary cancel, voluntary cancel (then nothing else happens),
    /// latent drift, billing, ticket resolution, sessions (with errors and tickets), and the
    /// slow events (price increase, feature abandonment, plan change). With a receiver that does
    /// not record events, sessions are not expanded: the number of errors is drawn directly as
    /// Poisson(rate · error probability), which has the same distribution.
    @inline(__always)
    mutating func step<R: EventReceiver>(day: Int, _ k: ProcessConstants, _ rng: inout SeededGenerator, _ out: inout R) {
        if day >= involuntaryCancelDay {
            out.emit(second: billingSecond + 600, kind: .cancel, amountCents: -1)
            cancelled = true
            cancelDay = day
            return
        }
        if rng.nextDouble() < hazard(day: day, k) {
            out.emit(second: rng.nextInt(below: 86_400), kind: .cancel, amountCents: -1)
            cancelled = true
            cancelDay = day
            return
        }

        // Latent engagement: AR(1) noise around a baseline lowered by the current decline.
        noise = k.activityPersistence * noise + k.activityNoise * rng.nextGaussian()
        if dropTarget > drop {
            drop = min(dropTarget, drop + dropSpeed)
        } else if dropTarget < drop {
            drop = max(dropTarget, drop - dropSpeed)
        }
        if dropTarget == 0 && drop == 0 {
            if rng.chance(declineStartRate) {
                dropTarget = rng.uniform(k.declineDepth)
                dropSpeed = dropTarget / rng.uniform(k.declineDays)
            }
        } else if dropTarget > 0 && drop >= dropTarget {
            if rng.chance(k.recoveryRate) {
                dropTarget = 0
                dropSpeed = drop / rng.uniform(7...21)
            }
        }
        if day >= bugUntil && rng.chance(k.bugEpisodeRate) {
            bugUntil = day + k.bugDays.lowerBound + rng.nextInt(below: k.bugDays.count)
        }

        // Billing: monthly charge, retries after a failure, involuntary cancel when all fail.
        if day == nextBillingDay {
            nextBillingDay += 30
            if rng.chance(paymentFailure) {
                out.emit(second: billingSecond, kind: .paymentFailed, amountCents: priceCents)
                retriesLeft = k.retries
                retryDay = day + k.retryIntervalDays
            } else {
                out.emit(second: billingSecond, kind: .payment, amountCents: priceCents)
            }
        } else if day == retryDay {
            if rng.chance(k.retrySuccess) {
                out.emit(second: billingSecond, kind: .payment, amountCents: priceCents)
                retryDay = Int.min / 2
            } else {
                out.emit(second: billingSecond, kind: .paymentFailed, amountCents: priceCents)
                retriesLeft -= 1
                if retriesLeft > 0 {
                    retryDay = day + k.retryIntervalDays
                } else {
                    retryDay = Int.min / 2
                    involuntaryCancelDay = day + k.involuntaryCancelDelayDays
                }
            }
        }

        // Support: an open ticket is resolved with a daily probability, or abandoned.
        if caseOpen && caseOpenedDay < day {
            let rate = day - caseOpenedDay <= k.fastResolutionDays ? k.resolveRate : k.stuckResolveRate
            if rng.chance(rate) {
                out.emit(second: 8 * 3600 + rng.nextInt(below: 10 * 3600), kind: .ticketResolved, amountCents: -1)
                caseOpen = false
                if k.reopenProbability > 0 && rng.chance(k.reopenProbability) {
                    reopenDay = day + 1 + rng.nextInt(below: 3)
                }
            } else if day - caseOpenedDay >= k.ticketExpiryDays {
                caseOpen = false
            }
        } else if !caseOpen && day == reopenDay {
            // The fix did not work: the customer reopens the ticket, which support now treats as
            // stuck and which frustrates at once (as if opened fastResolutionDays + 1 days ago).
            out.emit(second: 7 * 3600 + rng.nextInt(below: 14 * 3600), kind: .supportTicket, amountCents: -1)
            caseOpen = true
            caseOpenedDay = day - max(k.fastResolutionDays, k.frustrationDelayDays) - 1
        }

        // Sessions.
        let rate = Foundation.exp(min(4, logActivity - drop + noise))
        var errorProbability = errorRate
        if day < bugUntil { errorProbability = min(0.9, errorProbability * k.bugMultiplier) }
        if R.recordsEvents {
            let sessions = rng.poisson(rate)
            let featureProbability = featureAbandoned ? featureAdoption * 0.05 : featureAdoption
            for _ in 0..<sessions {
                var second = rng.nextInt(below: 86_400 - 3 * 3600)
                out.emit(second: second, kind: .login, amountCents: -1)
                let views = 1 + rng.geometric(0.5)
                for _ in 0..<views {
                    second += 5 + rng.nextInt(below: 180)
                    out.emit(second: second, kind: .view, amountCents: -1)
                }
                if rng.chance(featureProbability) {
                    let uses = 1 + rng.geometric(0.4)
                    for _ in 0..<uses {
                        second += 10 + rng.nextInt(below: 300)
                        out.emit(second: second, kind: .featureUse, amountCents: -1)
                    }
                }
                if rng.chance(k.purchaseProbability) {
                    second += 30 + rng.nextInt(below: 300)
                    let amount = k.purchaseMedianCents * Foundation.exp(0.6 * rng.nextGaussian())
                    out.emit(second: second, kind: .purchase, amountCents: max(99, Int(amount.rounded())))
                }
                if rng.chance(errorProbability) {
                    second += 5 + rng.nextInt(below: 120)
                    out.emit(second: second, kind: .error, amountCents: -1)
                    handleError(day: day, second: second, k, &rng, &out)
                }
            }
        } else {
            let errors = rng.poisson(rate * errorProbability)
            for _ in 0..<errors { handleError(day: day, second: 0, k, &rng, &out) }
        }

        // Slow events.
        let tenure = day - signupDay
        if tenure >= 60 && day - priceIncreaseDay >= 180 && rng.chance(k.priceIncreaseRate) {
            priceFactor *= 1 + rng.uniform(k.priceIncreaseSize)
            priceCents = Int((k.planPriceCents[plan] * priceFactor).rounded())
            priceIncreaseDay = day
            out.emit(second: 6 * 3600 + rng.nextInt(below: 3600), kind: .priceIncrease, amountCents: priceCents)
        }
        if featureAbandoned {
            if rng.chance(k.featureReadoptRate) { featureAbandoned = false }
        } else if rng.chance(k.featureAbandonRate * (1 + drop)) {
            featureAbandoned = true
        }
        if plan + 1 < k.planPriceCents.count && drop < 0.2 && rng.chance(k.upgradeRate) {
            plan += 1
            priceCents = Int((k.planPriceCents[plan] * priceFactor).rounded())
            out.emit(second: 9 * 3600 + rng.nextInt(below: 12 * 3600), kind: .upgrade, amountCents: priceCents)
        } else if plan > 0 && drop > 0 && rng.chance(k.downgradeRate * drop) {
            plan -= 1
            priceCents = Int((k.planPriceCents[plan] * priceFactor).rounded())
            out.emit(second: 9 * 3600 + rng.nextInt(below: 12 * 3600), kind: .downgrade, amountCents: priceCents)
        }
    }

    /// An error may open a support ticket (or a follow-up on the open one) minutes later; a new
    /// ticket may come with `extraTicketMessages` further messages.
    @inline(__always)
    mutating func handleError<R: EventReceiver>(day: Int, second: Int, _ k: ProcessConstants,
                                                _ rng: inout SeededGenerator, _ out: inout R) {
        if !caseOpen {
            if rng.chance(k.ticketProbability) {
                caseOpen = true
                caseOpenedDay = day
                reopenDay = Int.min / 2
                var at = second + 60 + rng.nextInt(below: 1800)
                out.emit(second: at, kind: .supportTicket, amountCents: -1)
                if k.extraTicketMessages > 0 {
                    let extra = rng.geometric(k.extraTicketMessages / (1 + k.extraTicketMessages))
                    for _ in 0..<extra {
                        at = min(86_399, at + 60 + rng.nextInt(below: 900))
                        out.emit(second: at, kind: .supportTicket, amountCents: -1)
                    }
                }
            }
        } else if rng.chance(k.followUpProbability) {
            out.emit(second: second + 60 + rng.nextInt(below: 1800), kind: .supportTicket, amountCents: -1)
        }
    }
}
