import Testing
@testable import ChurnCommandLine

/// The command-line layer: parsing, typed values, usage errors that name the flag.
@Suite struct ParsedArgumentsTests {
    let spec = CommandSpec(name: "tool", abstract: "A test tool.", usage: "tool [options]", options: [
        OptionSpec("events", .repeated, value: "FILE", help: "Event logs."),
        OptionSpec("epochs", value: "N", help: "Epochs.", default: "30"),
        OptionSpec("learning-rate", value: "R", help: "Learning rate.", default: "0.003"),
        OptionSpec("strict", .flag, help: "Fail on the first bad row."),
    ])

    func usageError(_ arguments: [String]) -> String? {
        do { _ = try ParsedArguments(arguments, spec: spec); return nil } catch let error as CommandError {
            #expect(error.code == .usage)
            return error.message
        } catch { return "\(error)" }
    }

    @Test func valuesInBothFormsAndRepeatedOptions() throws {
        let a = try ParsedArguments(["--events", "a.csv", "--events=b.csv.gz", "--epochs=7", "--strict"], spec: spec)
        #expect(a.strings("events") == ["a.csv", "b.csv.gz"])
        #expect(try a.int("epochs") == 7)
        #expect(a.flag("strict"))
        #expect(a.request == .run)
        #expect(try a.double("learning-rate") == nil)
    }

    @Test func unknownOptionGetsSuggestion() {
        let message = usageError(["--epoch", "3"])
        #expect(message?.contains("unknown option '--epoch'") == true)
        #expect(message?.contains("did you mean '--epochs'") == true)
        #expect(usageError(["--learningrate", "1"])?.contains("--learning-rate") == true)
    }

    @Test func badValuesNameTheFlag() throws {
        let a = try ParsedArguments(["--epochs", "many", "--learning-rate", "nan"], spec: spec)
        #expect(throws: CommandError.self) { try a.int("epochs") }
        do { _ = try a.int("epochs") } catch let e as CommandError { #expect(e.message.contains("--epochs")) }
        do { _ = try a.double("learning-rate") } catch let e as CommandError { #expect(e.message.contains("--learning-rate")) }
        let b = try ParsedArguments(["--epochs", "0"], spec: spec)
        do { _ = try b.int("epochs", in: 1...1000); Issue.record("accepted 0") } catch let e as CommandError {
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
