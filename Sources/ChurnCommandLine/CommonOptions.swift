import EventLog

extension Option where Value == TimeSpan {
    /// A positive duration such as `30d`, `12w` or `36h`.
    public static func duration(_ name: String, help: String, default defaultValue: TimeSpan? = nil,
                                defaultDescription: String? = nil) -> Option<TimeSpan> {
        Option<TimeSpan>(name, value: "DURATION", help: help, default: defaultValue, defaultDescription: defaultDescription,
                         expected: "a positive duration such as 30d, 12w or 36h") { text in
            TimeSpan(parsing: text).flatMap { $0.microseconds > 0 ? $0 : nil }
        }
    }
}

extension Option where Value == Int64 {
    /// An instant: a date (00:00 UTC) or a date-time.
    public static func instant(_ name: String, _ kind: OptionSpec.Kind = .single, help: String,
                               defaultDescription: String? = nil) -> Option<Int64> {
        Option<Int64>(name, kind, value: "TIME", help: help, defaultDescription: defaultDescription,
                      expected: "a date or date-time such as 2024-03-01 or 2024-03-01T12:00:00Z", parse: { Timestamp.parse($0) })
    }
}

extension Option where Value == UInt64 {
    /// A seed: a non-negative whole number.
    public static func seed(_ name: String = "seed", help: String, default defaultValue: UInt64) -> Option<UInt64> {
        Option<UInt64>(name, value: "S", help: help, default: defaultValue, expected: "a non-negative whole number") { UInt64($0) }
    }
}

extension Option {
    /// One of the cases of `Value`, by raw value.
    public static func choice(_ name: String, value: String, help: String, default defaultValue: Value) -> Option<Value>
        where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        return Option(name, value: value, help: help + " (\(names.joined(separator: ", ")))", default: defaultValue,
                      defaultDescription: defaultValue.rawValue, expected: names.joined(separator: " or "), parse: { Value(rawValue: $0) })
    }

    /// One of `Value`'s raw values, with no default value: `defaultDescription` says what absence means.
    public static func choice(_ name: String, value: String, help: String, defaultDescription: String) -> Option<Value>
        where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        return Option(name, value: value, help: help + " (\(names.joined(separator: ", ")))", defaultDescription: defaultDescription,
                      expected: names.joined(separator: " or "), parse: { Value(rawValue: $0) })
    }
}

extension Option where Value == Float? {
    /// A positive weight up to 10⁶, or `balanced` (`nil`: weigh the classes by their counts).
    public static func weightOrBalanced(_ name: String, help: String, default defaultValue: Float) -> Option<Float?> {
        Option<Float?>(name, value: "W", help: help, default: .some(defaultValue), defaultDescription: Option<Double>.format(Double("\(defaultValue)")!),
                       expected: "a number from 1e-6 to 1e6 or 'balanced'") { text in
            text == "balanced" ? .some(nil) : Double(text).flatMap { (1e-6...1e6).contains($0) ? .some(Float($0)) : nil }
        }
    }
}
