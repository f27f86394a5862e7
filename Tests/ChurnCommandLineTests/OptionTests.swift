import Testing
@testable import ChurnCommandLine

/// Typed options: the default lives in one place, so help text and parsed default agree.
@Suite struct OptionTests {
    static let epochs = Option<Int>.integer("epochs", help: "Epochs.", default: 30, in: 1...1000)
    static let rate = Option<Double>.number("learning-rate", value: "R", help: "Rate.", default: 0.005, in: 1e-9...10)
    static let name = Option<String>.text("name", value: "NAME", help: "A name.")
    static let verbose = Option<Bool>.flag("verbose", help: "Talk.")
    let spec = CommandSpec(name: "tool", abstract: "A test tool.", usage: "tool [options]",
                           options: [epochs.spec, rate.spec, name.spec, verbose.spec])

    func usageError(_ arguments: [String], _ read: (ParsedArguments) throws -> Void) -> String? {
        do { try read(try ParsedArguments(arguments, spec: spec)); return nil } catch let error as CommandError {
            #expect(error.code == .usage)
            return error.message
        } catch { return "\(error)" }
    }

    @Test func defaultsApplyAndShowInHelp() throws {
        let a = try ParsedArguments([], spec: spec)
        #expect(try a.value(Self.epochs) == 30)
        #expect(try a.given(Self.epochs) == nil)
        #expect(try a.value(Self.rate) == 0.005)
        #expect(try a.value(Self.name) == nil)
        #expect(!a.flag(Self.verbose))
        #expect(spec.helpText.contains("Epochs. (default: 30)"))
        #expect(spec.helpText.contains("Rate. (default: 0.005)"))
        #expect(!spec.helpText.contains("A name. (default"))
    }

    @Test func givenValuesConvert() throws {
        let a = try ParsedArguments(["--epochs", "7", "--learning-rate=0.1", "--name", "x", "--verbose"], spec: spec)
        #expect(try a.value(Self.epochs) == 7)
        #expect(try a.given(Self.epochs) == 7)
        #expect(try a.value(Self.rate) == 0.1)
        #expect(try a.value(Self.name) == "x")
        #expect(a.flag(Self.verbose))
    }

    @Test func badValuesAreUsageErrorsNamingTheFlag() {
        #expect(usageError(["--epochs", "0"]) { _ = try $0.value(Self.epochs) } == "--epochs must be in 1...1000, got 0")
        #expect(usageError(["--epochs", "x"]) { _ = try $0.value(Self.epochs) } == "--epochs expects a whole number, got 'x'")
        #expect(usageError(["--learning-rate", "nan"]) { _ = try $0.value(Self.rate) } == "--learning-rate expects a number, got 'nan'")
        #expect(usageError(["--learning-rate", "11"]) { _ = try $0.value(Self.rate) }?.hasPrefix("--learning-rate must be between") == true)
        #expect(usageError([]) { _ = try $0.required(Self.name) } == "missing required option --name (see --help)")
    }

    struct Settings { var epochs = 0; var rate: Float = 0 }

    @Test func bindingsSetFieldsFromValuesOrDefaults() throws {
        let bindings = [OptionBinding<Settings>(Self.epochs, \.epochs), OptionBinding(Self.rate, \.rate, Float.init)]
        var settings = Settings()
        try bindings.apply(try ParsedArguments(["--learning-rate", "0.25"], spec: spec), to: &settings)
        #expect(settings.epochs == 30)
        #expect(settings.rate == 0.25)
    }

    @Test func variantsKeepTheConversion() throws {
        let shared = Option<Int>.integer("epochs", help: "Epochs.", default: 30, in: 1...1000)
        let variant = shared.with(help: "Epochs of this tool.", default: .some(nil), defaultDescription: "the model's")
        #expect(variant.defaultValue == nil)
        #expect(variant.spec.defaultDescription == "the model's")
        #expect(try variant.convert("5") == 5)
        #expect(throws: CommandError.self) { try variant.convert("0") }
    }
}
