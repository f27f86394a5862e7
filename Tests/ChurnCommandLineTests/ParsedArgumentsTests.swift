import Testing
@testable import ChurnCommandLine

/// The command-line layer: parsing, typed values, usage errors that name the flag.
@Suite struct ParsedArgumentsTests {
    static let events = Option<String>.text("events", .repeated, value: "FILE", help: "Event logs.")
    static let epochs = Option<Int>.integer("epochs", help: "Epochs.", default: 30, in: 1...1000)
    static let learningRate = Option<Double>.number("learning-rate", value: "R", help: "Learning rate.", in: 0...10)
    static let strict = Option<Bool>.flag("strict", help: "Fail on the first bad row.")
    let spec = CommandSpec(name: "tool", abstract: "A test tool.", usage: "tool [options]",
                           options: [events.spec, epochs.spec, learningRate.spec, strict.spec])

    func usageError(_ arguments: [String]) -> String? {
        do { _ = try ParsedArguments(arguments, spec: spec); return nil } catch let error as CommandError {
            #expect(error.code == .usage)
            return error.message
        } catch { return "\(error)" }
    }

    @Test func valuesInBothFormsAndRepeatedOptions() throws {
        let a = try ParsedArguments(["--events", "a.csv", "--events=b.csv.gz", "--epochs=7", "--strict"], spec: spec)
        #expect(try a.values(Self.events) == ["a.csv", "b.csv.gz"])
        #expect(try a.value(Self.epochs) == 7)
        #expect(a.flag(Self.strict))
        #expect(a.request == .run)
        #expect(try a.value(Self.learningRate) == nil)
    }

    @Test func unknownOptionGetsSuggestion() {
        let message = usageError(["--epoch", "3"])
        #expect(message?.contains("unknown option '--epoch'") == true)
        #expect(message?.contains("did you mean '--epochs'") == true)
        #expect(usageError(["--learningrate", "1"])?.contains("--learning-rate") == true)
    }

    @Test func badValuesNameTheFlag() throws {
        let a = try ParsedArguments(["--epochs", "many", "--learning-rate", "nan"], spec: spec)
        #expect(throws: CommandError.self) { try a.value(Self.epochs) }
        do { _ = try a.value(Self.epochs) } catch let e as CommandError { #expect(e.message.contains("--epochs")) }
        do { _ = try a.value(Self.learningRate) } catch let e as CommandError { #expect(e.message.contains("--learning-rate")) }
        let b = try ParsedArguments(["--epochs", "0"], spec: spec)
        do { _ = try b.value(Self.epochs); Issue.record("accepted 0") } catch let e as CommandError {
            #expect(e.message.contains("must be in 1...1000"))
        }
    }

    @Test func missingValueRepeatedSingleAndStrayArguments() {
        #expect(usageError(["--epochs"])?.contains("needs a value") == true)
        #expect(usageError(["--epochs", "1", "--epochs", "2"])?.contains("more than once") == true)
        #expect(usageError(["events.csv"])?.contains("unexpected argument") == true)
        #expect(usageError(["--strict=maybe"])?.contains("takes no value") == true)
    }

    @Test func helpAndVersionRequests() throws {
        #expect(try ParsedArguments(["--help"], spec: spec).request == .help)
        #expect(try ParsedArguments(["--version"], spec: spec).request == .version)
        let help = spec.helpText
        for needle in ["--events <FILE>", "(repeatable)", "(default: 30)", "--threads <N>", "--strict", "EXIT CODES"] {
            #expect(help.contains(needle), "help lacks \(needle)")
        }
    }

    @Test(arguments: [("epoch", "epochs", 1), ("", "", 0), ("abc", "abd", 1), ("kitten", "sitting", 3)])
    func editDistance(a: String, b: String, expected: Int) {
        #expect(ParsedArguments.editDistance(a, b) == expected)
    }
}
