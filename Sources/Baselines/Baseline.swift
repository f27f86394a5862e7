import ChurnSupport
import EventLog
import Features
import Snapshots

/// A model an analyst would put next to the LSTM: it scores snapshot rows from their history.
///
/// A baseline is one file: a type conforming to this protocol, plus one line in
/// `ModelRegistry.baselines`. Training fits every baseline whose `fitting` is `.training` on the
/// training rows and stores it in the model file; evaluation loads those and fits the others on
/// the rows it evaluates (they need no labels).
public protocol Baseline: Sendable {
    /// The name in `metrics.json`, the model file and the comparison tables (`rfm_logistic`).
    static var name: String { get }
    /// The name the reports show (`RFM logistic regression`).
    static var displayName: String { get }
    /// Whether `scores` are probabilities; otherwise they only rank (higher = more likely to churn),
    /// and probability metrics (log loss, Brier, ECE) do not apply.
    static var outputsProbability: Bool { get }
    /// Whether the scores are probabilities of the label under `definition` (by default
    /// `outputsProbability`; a model of "no activity" is not one of a churn event).
    static func scoresAreProbabilities(under definition: ChurnDefinition) -> Bool
    /// When the baseline is fitted.
    static var fitting: BaselineFitting { get }

    /// Fits the baseline on `rows` (labelled for `.training` baselines; labels unused otherwise).
    /// - Throws: when the fit fails (too few rows, a degenerate optimum).
    static func fit(on rows: [SnapshotRow], in context: BaselineContext) throws -> Self

    /// Churn scores of `rows`, in order; each reads only the row's history (events before its cutoff).
    func scores(_ rows: [SnapshotRow], in context: BaselineContext) throws -> [Double]
}

extension Baseline {
    public static func scoresAreProbabilities(under definition: ChurnDefinition) -> Bool { outputsProbability }
}

/// When a baseline is fitted.
public enum BaselineFitting: Sendable {
    /// On the labelled training rows; the fit is stored in the model file (`StoredBaseline`).
    case training
    /// On the rows being scored, without labels (a rule, or an unsupervised model such as BG/NBD).
    case scoredRows
}

/// A baseline whose fit the model file keeps.
///
/// The model file's `baselines` section is one JSON object shared by every stored baseline;
/// each reads and writes its own keys in it.
public protocol StoredBaseline: Baseline {
    /// Reads the fit from the section (`nil` when the section holds none).
    /// - Throws: for keys that are present but malformed.
    init?(section: [String: JSONValue]) throws
    /// Writes the fit's keys into the section.
    func store(in section: inout [String: JSONValue]) throws
}

/// What a baseline may look at besides the rows: the event store and the model's settings.
public struct BaselineContext: Sendable {
    public var store: EventStore
    /// The event types of the model's vocabulary, most frequent first, without reserved tokens.
    public var eventTypes: [String]
    /// The label window length.
    public var horizon: TimeSpan
    /// The model's customer attributes, which the logistic baselines take as further inputs.
    public var attributes: AttributeSpec

    public init(store: EventStore, eventTypes: [String], horizon: TimeSpan, attributes: AttributeSpec = .none) {
        self.store = store
        self.eventTypes = eventTypes
        self.horizon = horizon
        self.attributes = attributes
    }

    /// The attribute inputs of `rows` (empty rows without attributes), for the logistic baselines.
    public func attributeInputs(_ rows: [SnapshotRow]) -> [[Double]] {
        guard !attributes.attributes.isEmpty else { return rows.map { _ in [] } }
        let encoder = AttributeEncoder(spec: attributes, store: store)
        return rows.map(encoder.encoded)
    }
}
