import ChurnSupport
import Dispatch
import Foundation

/// What to simulate: how many customers, over which days, from which seed.
public struct SimulationConfiguration: Sendable {
    /// Number of customers (ids `c000001` …).
    public var customers: Int
    /// First day of the log, in days since 1970-01-01.
    public var startDay: Int
    /// Number of days in the log; every timestamp lies in `[start, start + days)`.
    public var days: Int
    /// The seed; the same seed gives byte-identical output.
    public var seed: UInt64
    /// The business being simulated.
    public var parameters: ProcessParameters
    /// Whether the event log has a fifth column `plan`: the name of the plan in force at each
    /// event (from an `upgrade` or `downgrade` row on, the new plan).
    public var writesPlanColumn: Bool

    public init(customers: Int = 10_000, startDay: Int = CivilDate.days(year: 2024, month: 1, day: 1),
                days: Int = 365, seed: UInt64 = 1, parameters: ProcessParameters = ProcessParameters(),
                writesPlanColumn: Bool = false) {
        self.customers = customers
        self.startDay = startDay
        self.days = days
        self.seed = seed
        self.parameters = parameters
        self.writesPlanColumn = writesPlanColumn
    }
}

/// Settings for the true churn probabilities at a cutoff.
public struct TruthConfiguration: Sendable {
    /// The cutoff, in days since 1970-01-01 (00:00 UTC of that day).
    public var cutoffDay: Int
    /// The horizon in days: the label window is `[cutoff, cutoff + horizon)`.
    public var horizonDays: Int
    /// Monte Carlo continuations per customer.
    public var samples: Int

    public init(cutoffDay: Int, horizonDays: Int, samples: Int = 200) {
        self.cutoffDay = cutoffDay
        self.horizonDays = horizonDays
        self.samples = samples
    }
}

/// Counts from a finished simulation.
extension SimulationSummary {
    /// The summary for a person: customers, events, cancels and rate; with `truth`, the truth
    /// file's figures and the number of customers per mechanism.
    public func reportLines(seconds: Double, truth: Bool) -> [String] {
        var lines = [String(format: "churn-simulate: %d customers (%d with events), %d events, %d cancels (%d involuntary) in %.2fs, %.2fM events/s",
                            customers, customersWithEvents, events, cancels, involuntaryCancels, seconds,
                            Double(events) / max(seconds, 1e-9) / 1e6)]
        if truth {
            let n = max(1, truthCustomers)
            lines.append(String(format: "churn-simulate: truth: %d customers active at the cutoff, mean churn probability %.4f, realised churn rate %.4f",
                                truthCustomers, truthExpectedChurners / Double(n), Double(truthRealisedChurners) / Double(n)))
            // The attribute mechanisms only when they occur (they cannot without attribute weights).
            let counts = ChurnMechanism.allCases.filter { $0.attribute == nil || truthCount(of: $0) > 0 }
                .map { "\($0.rawValue) \(truthCount(of: $0))" }
            lines.append("churn-simulate: truth mechanisms: " + counts.joined(separator: ", "))
        }
        return lines
    }
}

public struct SimulationSummary: Sendable {
    /// Customers simulated.
    public var customers = 0
    /// Customers with at least one event in the log.
    public var customersWithEvents = 0
    /// Rows written (header excluded).
    public var events = 0
    /// Events per kind, indexed by `EventKind.rawValue`.
    public var eventCounts = [Int](repeating: 0, count: EventKind.allCases.count)
    /// Cancels after a failed payment that was never recovered.
    public var involuntaryCancels = 0
    /// Customers in the truth file (active at the cutoff).
    public var truthCustomers = 0
    /// Sum of their churn probabilities (expected churners in the horizon).
    public var truthExpectedChurners = 0.0
    /// Of them, how many did cancel within the horizon in this simulation.
    public var truthRealisedChurners = 0
    /// Of them, how many have each mechanism, indexed like `ChurnMechanism.allCases`.
    public var truthMechanismCounts = [Int](repeating: 0, count: ChurnMechanism.allCases.count)

    /// The number of truth customers whose mechanism is `mechanism`.
    public func truthCount(of mechanism: ChurnMechanism) -> Int {
        ChurnMechanism.allCases.firstIndex(of: mechanism).map { truthMechanismCounts[$0] } ?? 0
    }

    /// All cancels (voluntary and involuntary).
    public var cancels: Int { eventCounts[Int(EventKind.cancel.rawValue)] }

    mutating func add(_ other: SimulationSummary) {
        customers += other.customers
        customersWithEvents += other.customersWithEvents
        events += other.events
        for i in eventCounts.indices { eventCounts[i] += other.eventCounts[i] }
        involuntaryCancels += other.involuntaryCancels
        truthCustomers += other.truthCustomers
        truthExpectedChurners += other.truthExpectedChurners
        truthRealisedChurners += other.truthRealisedChurners
        for i in truthMechanismCounts.indices { truthMechanismCounts[i] += other.truthMechanismCounts[i] }
    }
}

/// Progress of a running simulation, reported after each batch is written.
public struct SimulationProgress: Sendable {
    /// Customers written so far.
    public var customersDone: Int
    /// Customers to simulate in total.
    public var customersTotal: Int
    /// Events written so far.
    public var events: Int
}

/// Generates the event log (and optionally the truth) customer by customer.
///
/// Each customer draws from its own random stream, derived from `(seed, customer index)`, so the
/// output does not depend on the number of threads. Customers are generated in chunks in
/// parallel and written in order while the next chunks are being generated; memory holds only
/// the chunks in flight. The truth for a customer is computed from a copy of its state at the
/// cutoff with streams derived from `(seed, customer, replicate)`, so it never perturbs the log.
/// A customer's attributes (channel, company size) come from yet another stream derived from
/// `(seed, customer)` with a different salt, so they leave the log of every scenario whose
/// attribute weights are 0 exactly as it was without them.
public final class Simulator {
    public let configuration: SimulationConfiguration
    public let truth: TruthConfiguration?
    let constants: ProcessConstants
    let format: RowFormat
    /// `,basic\n`, `,pro\n`, … per plan (the end of a row with the plan column).
    let planSuffixes: [[UInt8]]
    /// Channel name bytes followed by a comma, per `AcquisitionChannel` (customer table rows).
    let channelNames: [[UInt8]]
    /// A comma followed by the mechanism's name, per `ChurnMechanism.allCases` (truth rows).
    let mechanismNames: [[UInt8]]

    /// Customers per chunk (the unit of parallel work).
    public var chunkSize = 128

    public init(configuration: SimulationConfiguration, truth: TruthConfiguration? = nil) {
        precondition(configuration.customers >= 0 && configuration.days >= 1)
        self.configuration = configuration
        self.truth = truth
        constants = ProcessConstants(configuration.parameters)
        format = RowFormat(startDay: configuration.startDay, days: configuration.days, customers: configuration.customers)
        planSuffixes = configuration.parameters.planNames.map { Array(",\($0)\n".utf8) }
        channelNames = AcquisitionChannel.allCases.map { Array("\($0.name),".utf8) }
        mechanismNames = ChurnMechanism.allCases.map { Array(",\($0.rawValue)".utf8) }
    }

    /// The CSV header of the event log.
    public static let eventHeader = "customer_id,timestamp,event,amount\n"
    /// The CSV header of the event log with the plan column (`writesPlanColumn`).
    public static let eventHeaderWithPlan = "customer_id,timestamp,event,amount,plan\n"
    /// The CSV header of the customer table.
    public static let customerHeader = "customer_id,channel,company_size\n"
    /// The CSV header of the truth file.
    public static let truthHeader = "customer_id,churn_probability,churned,mechanism\n"

    /// Runs the simulation, writing the event log to `events`, the truth to `truthOutput` and
    /// the customer table to `customersOutput`.
    ///
    /// - Parameters:
    ///   - events: Receives the CSV event log (header first).
    ///   - truthOutput: Receives the truth CSV; required when the simulator has a truth configuration.
    ///   - customersOutput: Receives the customer table (`customer_id,channel,company_size`, one
    ///     row per customer with at least one event, in the order of the log); writing it does
    ///     not change the event log.
    ///   - threads: Worker threads generating chunks.
    ///   - progress: Called on the calling thread after each batch is written.
    /// - Complexity: O(customers · days); memory O(threads · chunkSize · events per customer).
    public func run(events: OutputFile, truthOutput: OutputFile? = nil, customersOutput: OutputFile? = nil, threads: Int = 1,
                    progress: ((SimulationProgress) -> Void)? = nil) throws -> SimulationSummary {
        let header = configuration.writesPlanColumn ? Self.eventHeaderWithPlan : Self.eventHeader
        try header.utf8CString.withUnsafeBytes { try events.write(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        if truth != nil, let truthOutput {
            try Self.truthHeader.utf8CString.withUnsafeBytes { try truthOutput.write(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        }
        if let customersOutput {
            try Self.customerHeader.utf8CString.withUnsafeBytes { try customersOutput.write(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
        }
        let writesCustomers = customersOutput != nil
        let n = configuration.customers
        let chunkCount = (n + chunkSize - 1) / chunkSize
        let workers = max(1, threads)
        let batchChunks = workers * 4
        var summary = SimulationSummary()
        var pending: [ChunkResult] = []
        var next = 0
        while next < chunkCount || !pending.isEmpty {
            let batch = next..<min(chunkCount, next + batchChunks)
            next = batch.upperBound
            let results = ResultSlots(count: batch.count)
            let group = DispatchGroup()
            if !batch.isEmpty {
                for w in 0..<min(workers, batch.count) {
                    let thread = Thread { [self] in
                        var i = w
                        while i < batch.count {
                            var chunk = self.simulateChunk(batch.lowerBound + i, customerTable: writesCustomers)
                            if events.isCompressed {
                                do {
                                    chunk.compressed = try OutputFile.compressBlock(chunk.events.bytes, level: events.compressionLevel, path: events.path)
                                    chunk.events = ByteBuffer(capacity: 64)   // free the plain text early
                                } catch { chunk.failure = error }
                            }
                            results.store(i, chunk)
                            i += workers
                        }
                        group.leave()
                    }
                    thread.stackSize = 1 << 22
                    group.enter()
                    thread.start()
                }
            }
            var failure: Error?
            do {
                for chunk in pending {
                    if let error = chunk.failure { throw error }
                    if let block = chunk.compressed { try events.write(block) } else { try events.write(chunk.events.bytes) }
                    if let truthOutput, let t = chunk.truth { try truthOutput.write(t.bytes) }
                    if let customersOutput, let c = chunk.customers { try customersOutput.write(c.bytes) }
                    summary.add(chunk.summary)
                }
            } catch { failure = error }
            if !pending.isEmpty {
                progress?(SimulationProgress(customersDone: summary.customers, customersTotal: n, events: summary.events))
            }
            group.wait()
            if let failure { throw failure }
            pending = results.values()
        }
        return summary
    }

    struct ChunkResult {
        var events: ByteBuffer
        var truth: ByteBuffer?
        var customers: ByteBuffer?
        var summary: SimulationSummary
        var compressed: GzipBlock?
        var failure: Error?
    }

    final class ResultSlots: @unchecked Sendable {
        private var slots: [ChunkResult?]
        private let lock = NSLock()
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func store(_ i: Int, _ r: ChunkResult) { lock.lock(); slots[i] = r; lock.unlock() }
        func values() -> [ChunkResult] { slots.map { $0! } }
    }

    func simulateChunk(_ chunk: Int, customerTable: Bool = false) -> ChunkResult {
        let range = (chunk * chunkSize)..<min(configuration.customers, (chunk + 1) * chunkSize)
        let events = ByteBuffer(capacity: range.count * 4096)
        let truthBuffer = truth == nil ? nil : ByteBuffer(capacity: range.count * 32)
        let customerBuffer = customerTable ? ByteBuffer(capacity: range.count * 32) : nil
        var summary = SimulationSummary()
        var day = DayEvents()
        for index in range {
            simulateCustomer(index, events: events, truthBuffer: truthBuffer, customerBuffer: customerBuffer,
                             day: &day, summary: &summary)
        }
        return ChunkResult(events: events, truth: truthBuffer, customers: customerBuffer, summary: summary)
    }

    /// The seed of a random stream: customer `index`, replicate 0 for the log and `r + 1` for
    /// the `r`-th truth continuation.
    static func streamSeed(_ seed: UInt64, _ index: Int, _ replicate: Int) -> UInt64 {
        var h = mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        h = mix(h ^ (UInt64(truncatingIfNeeded: index) &* 0xD1B5_4A32_D192_ED03))
        h = mix(h ^ (UInt64(truncatingIfNeeded: replicate) &* 0xAEF1_7502_108E_F2D9))
        return h
    }

    /// The seed of customer `index`'s attribute stream (channel, company size): salted apart
    /// from `streamSeed`, so that drawing the attributes leaves every other stream unchanged.
    static func attributeSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
        var h = mix(seed &+ 0x5851_F42D_4C95_7F2D)
        h = mix(h ^ (UInt64(truncatingIfNeeded: index) &* 0xC2B2_AE3D_27D4_EB4F))
        h = mix(h ^ 0x1656_67B1_9E37_79F9)
        return h
    }

    /// The attributes of customer `index` (the same whatever its sign-up and state).
    func attributes(_ index: Int) -> CustomerAttributes {
        var rng = SeededGenerator(seed: Self.attributeSeed(configuration.seed, index))
        return CustomerAttributes(constants: constants, rng: &rng)
    }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Draws customer `index`; an existing customer is simulated (silently) from its sign-up
    /// before the log starts, and redrawn if it cancelled before the start.
    func drawCustomer(_ index: Int, _ rng: inout SeededGenerator) -> CustomerProcess {
        let k = constants
        let a = attributes(index)
        var discard = DiscardingReceiver()
        for _ in 0..<100 {
            if rng.chance(k.existingCustomerShare) {
                var customer = CustomerProcess(signupDay: -1 - rng.nextInt(below: 365), attributes: a, constants: k, rng: &rng)
                var d = customer.signupDay
                while d < 0 && !customer.cancelled {
                    customer.step(day: d, k, &rng, &discard)
                    d += 1
                }
                if !customer.cancelled { return customer }
            } else {
                return CustomerProcess(signupDay: rng.nextInt(below: configuration.days), attributes: a, constants: k, rng: &rng)
            }
        }
        return CustomerProcess(signupDay: rng.nextInt(below: configuration.days), attributes: a, constants: k, rng: &rng)
    }

    func simulateCustomer(_ index: Int, events: ByteBuffer, truthBuffer: ByteBuffer?, customerBuffer: ByteBuffer? = nil,
                          day dayEvents: inout DayEvents, summary: inout SimulationSummary) {
        let k = constants
        let seed = configuration.seed
        var rng = SeededGenerator(seed: Self.streamSeed(seed, index, 0))
        var customer = drawCustomer(index, &rng)
        let id = format.customerID(index)
        let cutoff = truth.map { $0.cutoffDay - configuration.startDay }
        let writesPlan = configuration.writesPlanColumn
        var emitted = 0
        var probability: Double?
        var mechanism = ChurnMechanism.none
        summary.customers += 1
        id.withUnsafeBufferPointer { idBytes in
            var day = max(0, customer.signupDay)
            while day < configuration.days && !customer.cancelled {
                if day == cutoff && emitted > 0, let truth {
                    probability = truthProbability(index, customer)
                    mechanism = customer.mechanism(day: day, horizonDays: truth.horizonDays, k)
                }
                dayEvents.events.removeAll(keepingCapacity: true)
                let planAtStart = customer.plan
                customer.step(day: day, k, &rng, &dayEvents)
                dayEvents.sort()
                if writesPlan {
                    // The plan in force: the day's starting plan, then the new one from the
                    // (sorted) upgrade/downgrade row on; the step changes the plan at most once.
                    var plan = planAtStart
                    for e in dayEvents.events {
                        if e.kind == .upgrade || e.kind == .downgrade { plan = customer.plan }
                        planSuffixes[plan].withUnsafeBufferPointer { suffix in
                            format.writeRow(events, id: idBytes, day: day, second: Int(e.second), kind: e.kind,
                                            amountCents: e.amountCents, suffix: suffix)
                        }
                        summary.eventCounts[Int(e.kind.rawValue)] += 1
                    }
                } else {
                    for e in dayEvents.events {
                        format.writeRow(events, id: idBytes, day: day, second: Int(e.second), kind: e.kind, amountCents: e.amountCents)
                        summary.eventCounts[Int(e.kind.rawValue)] += 1
                    }
                }
                emitted += dayEvents.events.count
                day += 1
            }
            // A cutoff at the very end of the log: the state after the last day is the state at the cutoff.
            if let cutoff, let truth, cutoff == configuration.days && emitted > 0 && !customer.cancelled {
                probability = truthProbability(index, customer)
                mechanism = customer.mechanism(day: cutoff, horizonDays: truth.horizonDays, k)
            }
        }
        summary.events += emitted
        if emitted > 0 { summary.customersWithEvents += 1 }
        if emitted > 0, let customerBuffer {
            let a = customer.attributes
            let name = channelNames[a.channel.rawValue]
            customerBuffer.reserve(id.count + name.count + 24)
            id.withUnsafeBufferPointer { customerBuffer.putUnchecked($0.baseAddress!, $0.count) }
            customerBuffer.putUnchecked(UInt8(ascii: ","))
            name.withUnsafeBufferPointer { customerBuffer.putUnchecked($0.baseAddress!, $0.count) }
            RowFormat.writeInteger(customerBuffer, a.companySize)
            customerBuffer.putUnchecked(UInt8(ascii: "\n"))
        }
        if customer.cancelled && customer.involuntaryCancelDay == customer.cancelDay { summary.involuntaryCancels += 1 }
        if let probability, let truth, let truthBuffer, let cutoff {
            let churned = customer.cancelled && customer.cancelDay >= cutoff && customer.cancelDay < cutoff + truth.horizonDays
            let mechanismIndex = ChurnMechanism.allCases.firstIndex(of: mechanism) ?? 0
            let mechanismName = mechanismNames[mechanismIndex]
            truthBuffer.reserve(id.count + 32 + mechanismName.count)
            id.withUnsafeBufferPointer { truthBuffer.putUnchecked($0.baseAddress!, $0.count) }
            truthBuffer.putUnchecked(UInt8(ascii: ","))
            let scaled = Int((probability * 10_000).rounded())
            RowFormat.writeInteger(truthBuffer, scaled / 10_000)
            truthBuffer.putUnchecked(UInt8(ascii: "."))
            let frac = scaled % 10_000
            truthBuffer.putUnchecked(48 + UInt8(frac / 1000))
            truthBuffer.putUnchecked(48 + UInt8((frac / 100) % 10))
            truthBuffer.putUnchecked(48 + UInt8((frac / 10) % 10))
            truthBuffer.putUnchecked(48 + UInt8(frac % 10))
            truthBuffer.putUnchecked(UInt8(ascii: ","))
            truthBuffer.putUnchecked(churned ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            mechanismName.withUnsafeBufferPointer { name in
                if let base = name.baseAddress { truthBuffer.putUnchecked(base, name.count) }
            }
            truthBuffer.putUnchecked(UInt8(ascii: "\n"))
            summary.truthCustomers += 1
            summary.truthExpectedChurners += probability
            if churned { summary.truthRealisedChurners += 1 }
            summary.truthMechanismCounts[mechanismIndex] += 1
        }
    }

    /// The probability that `customer`, in its exact state at the start of the cutoff day,
    /// cancels within the horizon: the fraction of independent continuations that do.
    func truthProbability(_ index: Int, _ customer: CustomerProcess) -> Double {
        guard let truth else { return 0 }
        let k = constants
        let cutoff = truth.cutoffDay - configuration.startDay
        var discard = DiscardingReceiver()
        var cancels = 0
        for r in 0..<truth.samples {
            var rng = SeededGenerator(seed: Self.streamSeed(configuration.seed, index, r + 1))
            var c = customer
            var day = cutoff
            while day < cutoff + truth.horizonDays {
                c.step(day: day, k, &rng, &discard)
                if c.cancelled { cancels += 1; break }
                day += 1
            }
        }
        return Double(cancels) / Double(truth.samples)
    }
}
