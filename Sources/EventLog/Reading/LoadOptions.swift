/// Which CSV columns hold the customer, time, event and values.
public struct ColumnMapping: Codable, Equatable, Sendable {
    /// The customer id column (`--customer-column`, default `customer_id`).
    public var customer: String
    /// The timestamp column (`--time-column`, default `timestamp`).
    public var time: String
    /// The event name column (`--event-column`, default `event`).
    public var event: String
    /// Optional numeric columns (e.g. `amount`); an empty field means 0.
    public var values: [String]

    public init(customer: String = "customer_id", time: String = "timestamp", event: String = "event",
                values: [String] = []) {
        self.customer = customer
        self.time = time
        self.event = event
        self.values = values
    }
}

/// Options of `CSVEventReader`.
public struct LoadOptions: Sendable {
    /// Which columns to read.
    public var columns: ColumnMapping
    /// Text columns kept per event as customer attributes (`--attribute-column`), in order.
    public var attributeColumns: [String]
    /// Attribute kinds given rather than inferred (`--categorical`, `--numeric`, or a model's):
    /// text in a numeric attribute makes the row bad, like text in a value column.
    public var attributeKinds: [String: AttributeKind]
    /// Throw at the first bad row instead of skipping it.
    public var strict: Bool
    /// How many bad rows of each reason the report keeps.
    public var samplesPerReason: Int
    /// Parsing threads (`nil`: `Threading.threadCount`, i.e. `--threads`).
    public var threads: Int?
    /// Bytes per parallel parsing chunk (chunks always hold whole records).
    public var chunkSize: Int
    /// Keeps only the rows of customers whose id bytes (verbatim) pass, e.g. one shard of
    /// `churn-predict --shard`: the other rows are parsed and checked (bad rows are reported as
    /// without a filter) but not stored, so memory follows the kept customers. Called once per
    /// distinct id, on the loading thread. The store's `latestTime` stays that of all good rows.
    public var customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?

    public init(columns: ColumnMapping = ColumnMapping(), attributeColumns: [String] = [], attributeKinds: [String: AttributeKind] = [:],
                strict: Bool = false, samplesPerReason: Int = 5,
                threads: Int? = nil, chunkSize: Int = 4 << 20,
                customerFilter: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)? = nil) {
        self.columns = columns
        self.attributeColumns = attributeColumns
        self.attributeKinds = attributeKinds
        self.strict = strict
        self.samplesPerReason = samplesPerReason
        self.threads = threads
        self.chunkSize = chunkSize
        self.customerFilter = customerFilter
    }
}
