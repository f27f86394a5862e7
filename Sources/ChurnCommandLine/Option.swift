/// A typed command-line option: its declaration (name, help), its default and the conversion of
/// its text, in one place, so the help text cannot drift from the parsed default.
///
/// ```swift
/// static let hiddenSize = Option<Int>.integer("hidden-size", value: "H", help: "LSTM hidden size.",
///                                             default: 32, in: 1...8192)
/// let h = try arguments.value(hiddenSize)   // 32 unless --hidden-size was given
/// ```
public struct Option<Value: Sendable>: Sendable {
    /// The declaration `--help` shows; its default text is derived from `defaultValue`.
    public let spec: OptionSpec
    /// The value when the option is absent (`nil`: absent means absent).
    public let defaultValue: Value?
    private let convert: @Sendable (String) throws -> Value

    /// An option whose text `parse` converts; a `nil` result is a usage error quoting `expected`.
    /// - Parameters:
    ///   - defaultDescription: the help's default text when it is not `defaultValue` as text
    ///     (e.g. "the model's"); without either, the help shows no default.
    public init(_ name: String, _ kind: OptionSpec.Kind = .single, value valueName: String = "VALUE", help: String,
                default defaultValue: Value? = nil, defaultDescription: String? = nil, expected: String,
                parse: @escaping @Sendable (String) -> Value?) {
        self.spec = OptionSpec(name, kind, value: valueName, help: help,
                               default: defaultDescription ?? defaultValue.map { "\($0)" })
        self.defaultValue = defaultValue
        self.convert = { text in
            guard let value = parse(text) else {
                throw CommandError(.usage, "--\(name) expects \(expected), got '\(text)'")
            }
            return value
        }
    }

    private init(spec: OptionSpec, defaultValue: Value?, convert: @escaping @Sendable (String) throws -> Value) {
        self.spec = spec
        self.defaultValue = defaultValue
        self.convert = convert
    }

    public var name: String { spec.name }

    /// Converts one value given on the command line.
    /// - Throws: `CommandError(.usage, …)` naming the flag.
    public func convert(_ text: String) throws -> Value { try convert(text) }

    /// The same option with another help text or default (one tool's variant of a shared option).
    public func with(help: String? = nil, default newDefault: Value?? = nil, defaultDescription: String? = nil) -> Option {
        let value = newDefault ?? defaultValue
        let spec = OptionSpec(self.spec.name, self.spec.kind, value: self.spec.valueName, help: help ?? self.spec.help,
                              default: defaultDescription ?? value.map { "\($0)" })
        return Option(spec: spec, defaultValue: value, convert: convert)
    }
}

extension Option where Value == Int {
    /// A whole number within `range`.
    public static func integer(_ name: String, value: String = "N", help: String, default defaultValue: Int? = nil,
                               defaultDescription: String? = nil, in range: ClosedRange<Int>) -> Option<Int> {
        Option<Int>(spec: OptionSpec(name, value: value, help: help, default: defaultDescription ?? defaultValue.map(String.init)),
                    defaultValue: defaultValue) { text in
            guard let number = Int(text) else { throw CommandError(.usage, "--\(name) expects a whole number, got '\(text)'") }
            guard range.contains(number) else {
                let bounds = range.upperBound == Int.max ? "\(range.lowerBound) or more" : "\(range.lowerBound)...\(range.upperBound)"
                throw CommandError(.usage, "--\(name) must be in \(bounds), got \(number)")
            }
            return number
        }
    }
}

extension Option where Value == Double {
    /// A finite number within `range`.
    public static func number(_ name: String, value: String, help: String, default defaultValue: Double? = nil,
                              in range: ClosedRange<Double>) -> Option<Double> {
        Option<Double>(spec: OptionSpec(name, value: value, help: help, default: defaultValue.map(Self.format)),
                       defaultValue: defaultValue) { text in
            guard let number = Double(text), number.isFinite else {
                throw CommandError(.usage, "--\(name) expects a number, got '\(text)'")
            }
            guard range.contains(number) else {
                throw CommandError(.usage, "--\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(text)")
            }
            return number
        }
    }

    /// `0.005`, `1`: the shortest text that reads back as the value.
    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }
}

extension Option where Value == String {
    /// Any text.
    public static func text(_ name: String, _ kind: OptionSpec.Kind = .single, value: String, help: String,
                            default defaultValue: String? = nil, defaultDescription: String? = nil) -> Option<String> {
        Option<String>(spec: OptionSpec(name, kind, value: value, help: help, default: defaultDescription ?? defaultValue),
                       defaultValue: defaultValue) { $0 }
    }
}

extension Option where Value == Bool {
    /// A switch that takes no value.
    public static func flag(_ name: String, help: String) -> Option<Bool> {
        Option<Bool>(spec: OptionSpec(name, .flag, help: help), defaultValue: false) { _ in true }
    }
}

extension ParsedArguments {
    /// The option's value: the one given (the last, for a repeated option), else its default.
    /// - Throws: `CommandError(.usage, …)` for a value that does not convert.
    public func value<T>(_ option: Option<T>) throws -> T? {
        assert(spec.option(named: option.name) != nil, "option --\(option.name) is not declared")
        if option.spec.kind == .flag { return (has(option.name) as Bool) as? T ?? option.defaultValue }
        guard let text = string(option.name) else { return option.defaultValue }
        return try option.convert(text)
    }

    /// The option's value when it was given, ignoring its default.
    public func given<T>(_ option: Option<T>) throws -> T? {
        guard has(option.name) else { return nil }
        return try value(option)
    }

    /// Every value of a repeated option, converted, in order.
    public func values<T>(_ option: Option<T>) throws -> [T] {
        try strings(option.name).map(option.convert)
    }

    /// The value of an option that has a default (or must be given).
    /// - Throws: a usage error when the option has no default and is absent.
    public func required<T>(_ option: Option<T>) throws -> T {
        guard let value = try value(option) else {
            throw CommandError(.usage, "missing required option --\(option.name) (see --help)")
        }
        return value
    }

    /// Whether a flag is set.
    public func flag(_ option: Option<Bool>) -> Bool { has(option.name) }
}

/// An option bound to a field of a settings value: parsing sets the field when the option has
/// a value (given, or its default), so a tool declares an option and where it goes in one line.
public struct OptionBinding<Root>: @unchecked Sendable {
    public let spec: OptionSpec
    private let apply: (ParsedArguments, inout Root) throws -> Void

    /// Binds `option` to `field`.
    public init<T>(_ option: Option<T>, _ field: WritableKeyPath<Root, T>) {
        spec = option.spec
        apply = { arguments, root in if let value = try arguments.value(option) { root[keyPath: field] = value } }
    }

    /// Binds `option` to `field` through `transform` (a `Double` option to a `Float` field).
    public init<T, U>(_ option: Option<T>, _ field: WritableKeyPath<Root, U>, _ transform: @escaping (T) -> U) {
        spec = option.spec
        apply = { arguments, root in if let value = try arguments.value(option) { root[keyPath: field] = transform(value) } }
    }

    /// Sets the bound field of `root` from `arguments`.
    public func apply(_ arguments: ParsedArguments, to root: inout Root) throws { try apply(arguments, &root) }
}

extension Array {
    /// Applies every binding to `root`.
    public func apply<Root>(_ arguments: ParsedArguments, to root: inout Root) throws where Element == OptionBinding<Root> {
        for binding in self { try binding.apply(arguments, to: &root) }
    }
}
