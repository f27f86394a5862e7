import EventLog

extension EventStore {
    /// The store's positions of the value columns a spec names, in the spec's order.
    /// - Precondition: the store has every column (the loader was given the model's columns).
    func valueColumnIndices(of columns: [String]) -> [Int] {
        columns.map { column in
            guard let index = valueColumns.firstIndex(of: column) else {
                preconditionFailure("the event store has no value column '\(column)'")
            }
            return index
        }
    }
}
