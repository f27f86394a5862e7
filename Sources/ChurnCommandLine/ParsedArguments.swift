/// Command-line arguments parsed against a `CommandSpec`, with typed accessors that turn bad
/// values into usage errors naming the flag.
public struct ParsedArguments: Sendable {
    public let spec: CommandSpec
    private var values: [String: [String]] = [:]

    /// What the user asked for besides running the command.
    public enum Request: Sendable { case run, help, version }

    public private(set) var request: Request = .run

    /// Parses `arguments` (without the program name).
    ///
    /// Accepts `--name value`, `--name=value`, repeated options and `--` to end options.
    /// - Throws: `CommandError` with code `.usage` for an unknown option (with a suggestion),
    ///   a missing value, a repeated single option, or a stray positional argument.
    public init(_ arguments: [String], spec: CommandSpec) throws {
        self.spec = spec
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw CommandError(.usage, "unexpected argument '\(argument)'; options start with '--' (see --help)")
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            guard let option = spec.option(named: name) else {
                var message = "unknown option '--\(name)'"
                if let guess = Self.suggestion(for: name, among: spec.options.map(\.name)) {
                    message += "; did you mean '--\(guess)'?"
                }
                throw CommandError(.usage, message + " (see --help)")
            }
            switch option.kind {
            case .flag:
                if let inlineValue {
                    guard let flag = Self.parseBool(inlineValue) else {
                        throw CommandError(.usage, "--\(name) takes no value, or true/false; got '\(inlineValue)'")
                    }
                    values[name] = flag ? ["true"] : nil
                } else {
                    values[name] = ["true"]
                }
            case .single, .repeated:
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else {
                        throw CommandError(.usage, "--\(name) needs a value <\(option.valueName)>")
                    }
                    value = arguments[index]
                    index += 1
                }
                if option.kind == .single, values[name] != nil {
                    throw CommandError(.usage, "--\(name) was given more than once")
                }
                values[name, default: []].append(value)
            }
        }
        if values["help"] != nil { request = .help } else if values["version"] != nil { request = .version }
    }

    public func has(_ name: String) -> Bool {
        assert(spec.option(named: name) != nil, "option --\(name) is not declared")
        return values[name] != nil
    }

    public func flag(_ name: String) -> Bool { has(name) }

    public func string(_ name: String) -> String? {
        assert(spec.option(named: name) != nil, "option --\(name) is not declared")
        return values[name]?.last
    }

    public func strings(_ name: String) -> [String] {
        assert(spec.option(named: name) != nil, "option --\(name) is not declared")
        return values[name] ?? []
    }

    static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "1": return true
        case "false", "no", "0": return false
        default: return nil
        }
    }

    /// The declared option closest to `name` by edit distance, if it is close enough to be a typo.
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(name, $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let tolerance = max(2, name.count / 3)
        if best.1 <= tolerance { return best.0 }
        return candidates.first { $0.hasPrefix(name) || name.hasPrefix($0) }
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
