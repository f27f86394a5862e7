/// The description of one command-line option: its name, help text and default.
public struct OptionSpec: Sendable {
    public enum Kind: Sendable {
        /// A boolean switch that takes no value (`--strict`).
        case flag
        /// An option that takes exactly one value (`--seed 7`, `--seed=7`).
        case single
        /// An option that may be given several times (`--events a.csv --events b.csv`).
        case repeated
    }

    public var name: String
    public var kind: Kind
    public var valueName: String
    public var help: String
    public var defaultDescription: String?

    public init(_ name: String, _ kind: Kind = .single, value valueName: String = "VALUE",
                help: String, default defaultDescription: String? = nil) {
        self.name = name
        self.kind = kind
        self.valueName = valueName
        self.help = help
        self.defaultDescription = defaultDescription
    }
}

/// The description of one executable: what it does and the options it takes.
public struct CommandSpec: Sendable {
    public var name: String
    public var abstract: String
    public var usage: String
    public var discussion: String
    public var options: [OptionSpec]

    /// `--threads N`: the threads of our parallel loops and GEMMs.
    public static let threads = Option<Int>.integer("threads", help: "Threads for BLAS and parallel loops.",
                                                    defaultDescription: "all cores", in: 1...4096)

    /// `--isa NAME`: the instruction set of the vector kernels, for the executables that run the
    /// model (they list it among their options; `main()` applies it).
    /// `InstructionSet.pinned` judges the name, so the list of names lives in one place.
    public static let isa = Option<String>.text("isa", value: "NAME",
                                                help: "Vector instruction set of the kernels: auto, avx512, avx2 or portable "
                                                    + "(every set computes the same bits; see docs/RELIABILITY.md).",
                                                defaultDescription: "CHURN_ISA, else auto: the widest this CPU runs")

    /// Options every executable accepts.
    public static let commonOptions: [OptionSpec] = [
        threads.spec,
        OptionSpec("help", .flag, help: "Show this help and exit."),
        OptionSpec("version", .flag, help: "Show the version and exit."),
    ]

    public init(name: String, abstract: String, usage: String, discussion: String = "",
                options: [OptionSpec]) {
        self.name = name
        self.abstract = abstract
        self.usage = usage
        self.discussion = discussion
        self.options = options + Self.commonOptions
    }

    public func option(named name: String) -> OptionSpec? {
        options.first { $0.name == name }
    }

    /// The `--help` text: usage, abstract, and every option with its description and default.
    public var helpText: String {
        var lines = ["OVERVIEW: \(abstract)", "", "USAGE: \(usage)"]
        if !discussion.isEmpty { lines += ["", discussion] }
        lines += ["", "OPTIONS:"]
        let labels = options.map { spec -> String in
            spec.kind == .flag ? "--\(spec.name)" : "--\(spec.name) <\(spec.valueName)>"
        }
        let width = min(36, (labels.map(\.count).max() ?? 0) + 2)
        for (spec, label) in zip(options, labels) {
            var help = spec.help
            if spec.kind == .repeated { help += " (repeatable)" }
            if let def = spec.defaultDescription { help += " (default: \(def))" }
            let pad = label.count < width ? String(repeating: " ", count: width - label.count) : "\n  " + String(repeating: " ", count: width)
            lines.append("  \(label)\(pad)\(help)")
        }
        lines += ["", "EXIT CODES: 0 success, 64 usage error, 65 bad data, 66 input not found,",
                  "            70 internal error, 130 interrupted."]
        return lines.joined(separator: "\n")
    }
}
