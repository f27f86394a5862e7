import EventLog
import Snapshots

/// The BG/NBD buy-till-you-die model (lifetimes' `BetaGeoFitter`) as a churn baseline.
///
/// Activity days are its transactions; it is fitted on the scored customers' own histories (it
/// needs no labels). Its score is the probability of no activity within the horizon, which is
/// a probability of churn only under the inactivity definition: under a churn event its
/// probability metrics do not apply.
public struct BGNBDBaseline: Baseline, Equatable {
    public static let name = "bg_nbd"
    public static let displayName = "BG/NBD"
    public static let outputsProbability = true
    public static let fitting = BaselineFitting.scoredRows

    public var model: BGNBDModel

    public init(model: BGNBDModel) { self.model = model }

    public static func fit(on rows: [SnapshotRow], in context: BaselineContext) throws -> BGNBDBaseline {
        BGNBDBaseline(model: try BGNBDModel.fit(customers(rows, context), penalizer: 0.001))
    }

    public func scores(_ rows: [SnapshotRow], in context: BaselineContext) throws -> [Double] {
        try model.churnScores(Self.customers(rows, context), horizon: context.horizon.days)
    }

    /// The scores are probabilities of "no activity", so of the label only under inactivity churn.
    public static func scoresAreProbabilities(under definition: ChurnDefinition) -> Bool {
        if case .inactivity = definition { return true }
        return false
    }

    static func customers(_ rows: [SnapshotRow], _ context: BaselineContext) -> [BGNBDCustomer] {
        let store = context.store
        let day = Double(Timestamp.microsecondsPerDay)
        return rows.map { row -> BGNBDCustomer in
            let range = store.offsets[Int(row.customer)] ..< row.historyEnd
            return BGNBDCustomer(eventTimes: range.map { Double(store.times[$0]) / day }, cutoff: Double(row.cutoff) / day)
                ?? BGNBDCustomer(frequency: 0, recency: 0, age: 0)
        }
    }
}
