import Foundation
import XCTest
import ChurnSupport
@testable import ChurnSimulation

/// Runs small simulations into temporary files and checks the log and the truth.
final class SimulatorTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    let start = CivilDate.days(year: 2024, month: 1, day: 1)

    /// Simulates `scenario` into `name` (and `truthName`, `customersName`), returning the summary.
    @discardableResult
    func simulate(_ name: String, customers: Int = 300, days: Int = 120, seed: UInt64 = 1, threads: Int = 2,
                  scenario: Scenario = .standard, truth: TruthConfiguration? = nil, truthName: String? = nil,
                  customersName: String? = nil) throws -> SimulationSummary {
        let configuration = SimulationConfiguration(customers: customers, startDay: start, days: days, seed: seed,
                                                    parameters: scenario.parameters, writesPlanColumn: scenario.writesPlanColumn)
        let simulator = Simulator(configuration: configuration, truth: truth)
        simulator.chunkSize = 16
        let events = try OutputFile(path: directory.appendingPathComponent(name).path)
        let truthFile = try truthName.map { try OutputFile(path: directory.appendingPathComponent($0).path) }
        let customersFile = try customersName.map { try OutputFile(path: directory.appendingPathComponent($0).path) }
        let summary = try simulator.run(events: events, truthOutput: truthFile, customersOutput: customersFile, threads: threads)
        try events.close()
        try truthFile?.close()
        try customersFile?.close()
        return summary
    }

    func data(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

    /// Rows without the header, split into fields.
    func rows(_ name: String) throws -> [[Substring]] {
        let text = String(decoding: try data(name), as: UTF8.self)
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    }

    func testSameSeedGivesIdenticalBytesWhateverTheThreadCount() throws {
        try simulate("a.csv", threads: 2)
        try simulate("b.csv", threads: 2)
        try simulate("c.csv", threads: 1)
        let a = try data("a.csv")
        XCTAssertGreaterThan(a.count, 10_000)
        XCTAssertEqual(a, try data("b.csv"))
        XCTAssertEqual(a, try data("c.csv"))
    }

    func testDifferentSeedsDiffer() throws {
        try simulate("a.csv", seed: 1)
        try simulate("b.csv", seed: 2)
        XCTAssertNotEqual(try data("a.csv"), try data("b.csv"))
    }

    func testFormatOrderingAndNoEventsAfterCancel() throws {
        let days = 120
        let summary = try simulate("a.csv", customers: 300, days: days)
        let header = String(decoding: try data("a.csv").prefix(40), as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("customer_id,timestamp,event,amount\n"))
        let rows = try rows("a.csv")
        XCTAssertEqual(rows.count, summary.events)
        let first = "2024-01-01T00:00:00Z", end = CivilDate.format(days: start + days) + "T00:00:00Z"
        var previous: (id: Substring, time: Substring)?
        var cancelled = Set<Substring>()
        var seen = Set<Substring>()
        var cancels = 0
        for row in rows {
            XCTAssertEqual(row.count, 4)
            let (id, time, event, amount) = (row[0], row[1], row[2], row[3])
            XCTAssertEqual(id.count, 7)
            XCTAssertEqual(time.count, 20)
            XCTAssertTrue(time >= first && time < end, "timestamp \(time) outside the period")
            XCTAssertFalse(cancelled.contains(id), "event after cancel for \(id)")
            if let previous, previous.id == id {
                XCTAssertLessThanOrEqual(previous.time, time, "events of \(id) out of order")
            } else {
                XCTAssertFalse(seen.contains(id), "rows of \(id) are not contiguous")
                seen.insert(id)
            }
            let kind = EventKind.allCases.first { $0.name == event }
            XCTAssertNotNil(kind, "unknown event \(event)")
            if let kind {
                XCTAssertEqual(kind.hasAmount, !amount.isEmpty, "amount of \(event)")
                if kind.hasAmount { XCTAssertNotNil(Double(amount)) }
            }
            if event == "cancel" {
                cancelled.insert(id)
                cancels += 1
            }
            previous = (id, time)
        }
        XCTAssertEqual(cancels, summary.cancels)
        XCTAssertGreaterThan(cancels, 0)
    }

    func testEveryEventTypeAppears() throws {
        let summary = try simulate("a.csv", customers: 1200, days: 365)
        for kind in EventKind.allCases {
            XCTAssertGreaterThan(summary.eventCounts[Int(kind.rawValue)], 0, "no \(kind.name) events")
        }
        let names = Set(try rows("a.csv").map { String($0[2]) })
        XCTAssertEqual(names, Set(EventKind.allCases.map(\.name)))
        XCTAssertGreaterThan(summary.involuntaryCancels, 0)
    }

    func testTruthDoesNotChangeTheLogAndFlagsRiskyCustomers() throws {
        let days = 200, cutoffIndex = 150
        let cutoff = start + cutoffIndex
        let truth = TruthConfiguration(cutoffDay: cutoff, horizonDays: 30, samples: 40)
        let summary = try simulate("t.csv", customers: 2000, days: days, seed: 3, truth: truth, truthName: "truth.csv")
        try simulate("plain.csv", customers: 2000, days: days, seed: 3)
        XCTAssertEqual(try data("t.csv"), try data("plain.csv"), "--truth changed the event log")

        // Read the truth.
        let truthText = String(decoding: try data("truth.csv"), as: UTF8.self)
        var lines = truthText.split(separator: "\n")
        XCTAssertEqual(lines.removeFirst(), "customer_id,churn_probability,churned,mechanism")
        var probability: [Substring: Double] = [:]
        for line in lines {
            let f = line.split(separator: ",")
            XCTAssertEqual(f.count, 4)
            let p = try XCTUnwrap(Double(f[1]))
            XCTAssertTrue((0...1).contains(p))
            XCTAssertTrue(f[2] == "0" || f[2] == "1")
            probability[f[0]] = p
        }
        XCTAssertEqual(probability.count, summary.truthCustomers)
        XCTAssertGreaterThan(probability.count, 500)

        // From the log before the cutoff: who is active, who has an unresolved ticket opened in
        // the last 14 days, who has a failed payment in the last 10 days not followed by a payment.
        let cutoffText = CivilDate.format(days: cutoff) + "T00:00:00Z"
        let ticketFrom = CivilDate.format(days: cutoff - 14) + "T00:00:00Z"
        let failedFrom = CivilDate.format(days: cutoff - 10) + "T00:00:00Z"
        var active = Set<Substring>(), gone = Set<Substring>()
        var openTicket = Set<Substring>(), unpaid = Set<Substring>()
        for row in try rows("t.csv") where row[1] < cutoffText {
            let id = row[0]
            active.insert(id)
            switch row[2] {
            case "cancel": gone.insert(id)
            case "support_ticket" where row[1] >= ticketFrom: openTicket.insert(id)
            case "ticket_resolved": openTicket.remove(id)
            case "payment_failed" where row[1] >= failedFrom: unpaid.insert(id)
            case "payment": unpaid.remove(id)
            default: break
            }
        }
        XCTAssertEqual(active.subtracting(gone), Set(probability.keys), "truth population differs from the active customers")

        func mean<S: Sequence>(_ ids: S) -> Double where S.Element == Substring {
            let values = ids.compactMap { probability[$0] }
            return values.reduce(0, +) / Double(max(1, values.count))
        }
        let others = Set(probability.keys).subtracting(openTicket).subtracting(unpaid)
        let base = mean(others)
        XCTAssertGreaterThan(openTicket.count, 10)
        XCTAssertGreaterThan(unpaid.count, 5)
        XCTAssertGreaterThan(mean(openTicket), base * 1.5, "unresolved tickets should raise the churn probability")
        XCTAssertGreaterThan(mean(unpaid), base * 2, "unrecovered failed payments should raise the churn probability")
    }

    func testTruthMechanismColumnNamesTheMainMechanisms() throws {
        let truth = TruthConfiguration(cutoffDay: start + 150, horizonDays: 30, samples: 20)
        let summary = try simulate("m.csv", customers: 3000, days: 200, seed: 7, truth: truth, truthName: "truth.csv")
        let text = String(decoding: try data("truth.csv"), as: UTF8.self)
        var lines = text.split(separator: "\n")
        let header = lines.removeFirst()
        XCTAssertEqual(header, "customer_id,churn_probability,churned,mechanism")
        XCTAssertEqual(header.split(separator: ",").count, 4)
        var counts: [ChurnMechanism: Int] = [:], churners: [ChurnMechanism: Int] = [:]
        var probabilities: [ChurnMechanism: Double] = [:]
        for line in lines {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(f.count, 4)
            guard f.count == 4, let mechanism = ChurnMechanism(rawValue: String(f[3])) else {
                XCTFail("bad mechanism in \(line)")
                continue
            }
            counts[mechanism, default: 0] += 1
            if f[2] == "1" { churners[mechanism, default: 0] += 1 }
            probabilities[mechanism, default: 0] += Double(f[1]) ?? 0
        }
        XCTAssertEqual(lines.count, summary.truthCustomers)
        XCTAssertGreaterThan(lines.count, 1500)
        for mechanism in ChurnMechanism.allCases {
            XCTAssertEqual(summary.truthCount(of: mechanism), counts[mechanism, default: 0], "summary count of \(mechanism)")
        }
        for mechanism: ChurnMechanism in [.failedPayment, .unresolvedTicket, .engagementDecline, .priceIncrease, .newAccount] {
            XCTAssertGreaterThanOrEqual(counts[mechanism, default: 0], 5, "too few \(mechanism.rawValue) customers")
        }
        for mechanism: ChurnMechanism in [.channel, .companySize, .plan] {
            XCTAssertEqual(counts[mechanism, default: 0], 0, "\(mechanism.rawValue) without attribute weights")
        }
        XCTAssertGreaterThan(counts[.none, default: 0], lines.count / 3)
        func rate(_ m: ChurnMechanism) -> Double { Double(churners[m, default: 0]) / Double(max(1, counts[m, default: 0])) }
        func meanProbability(_ m: ChurnMechanism) -> Double { probabilities[m, default: 0] / Double(max(1, counts[m, default: 0])) }
        // A pending failed payment ends in an involuntary cancel with probability ≥ 0.6^3 = 0.216.
        XCTAssertGreaterThan(rate(.failedPayment), 0.15, "realised cancel rate of failed_payment customers")
        XCTAssertGreaterThan(rate(.failedPayment), 4 * rate(.none), "failed_payment should cancel far more often than none")
        XCTAssertGreaterThan(meanProbability(.failedPayment), 4 * meanProbability(.none))
        XCTAssertGreaterThan(meanProbability(.unresolvedTicket), 2 * meanProbability(.none))
    }

    func testTruthMechanismColumnNamesAttributesOnlyInTheAttributesScenario() throws {
        let truth = TruthConfiguration(cutoffDay: start + 120, horizonDays: 30, samples: 5)
        let summary = try simulate("a.csv", customers: 1500, days: 150, seed: 8, scenario: .attributes, truth: truth, truthName: "truth.csv")
        XCTAssertGreaterThan(summary.truthCount(of: .channel), 5)
        XCTAssertGreaterThan(summary.truthCount(of: .plan), 5)
        XCTAssertEqual(summary.truthMechanismCounts.reduce(0, +), summary.truthCustomers)
    }

    /// A customer in a calm state: old account, no decline, no ticket, no price increase, the
    /// feature in use, no failed payment.
    func calmCustomer(_ k: ProcessConstants, day: Int) -> CustomerProcess {
        var rng = SeededGenerator(seed: 11)
        let attributes = CustomerAttributes(constants: k, rng: &rng)
        var c = CustomerProcess(signupDay: day - 500, attributes: attributes, constants: k, rng: &rng)
        c.baseHazard = 0.001
        c.drop = 0
        c.dropTarget = 0
        c.caseOpen = false
        c.priceIncreaseDay = Int.min / 2
        c.featureAbandoned = false
        c.retryDay = Int.min / 2
        c.retriesLeft = 0
        c.involuntaryCancelDay = Int.max
        return c
    }

    func testMechanismOfHandBuiltStates() {
        let k = ProcessConstants(ProcessParameters())
        let day = 400
        let calm = calmCustomer(k, day: day)
        XCTAssertEqual(calm.mechanism(day: day, horizonDays: 30, k), .none)

        var ticket = calm
        ticket.caseOpen = true
        ticket.caseOpenedDay = day - 10
        XCTAssertEqual(ticket.mechanism(day: day, horizonDays: 30, k), .unresolvedTicket)
        ticket.caseOpenedDay = day - 1   // not yet frustrating
        XCTAssertEqual(ticket.mechanism(day: day, horizonDays: 30, k), .none)

        var payment = calm
        payment.retriesLeft = 3
        payment.retryDay = day + 2
        XCTAssertEqual(payment.mechanism(day: day, horizonDays: 30, k), .failedPayment)
        payment.retryDay = day - 30   // recovered long ago: retriesLeft is stale
        XCTAssertEqual(payment.mechanism(day: day, horizonDays: 30, k), .none)
        var scheduled = calm
        scheduled.involuntaryCancelDay = day + 1
        XCTAssertEqual(scheduled.mechanism(day: day, horizonDays: 30, k), .failedPayment)

        // A pending failed payment that a high voluntary hazard outweighs: the largest term wins.
        var both = payment
        both.retryDay = day + 2
        both.caseOpen = true
        both.caseOpenedDay = day - 10
        both.baseHazard = 0.02   // h = 0.02 · e^2.6 ≈ 0.27: voluntary ≈ 1 over 30 days > 0.216
        XCTAssertEqual(both.mechanism(day: day, horizonDays: 30, k), .unresolvedTicket)

        var decline = calm
        decline.drop = 2   // 1.4 · 2 = 2.8
        decline.caseOpen = true
        decline.caseOpenedDay = day - 10   // 2.6
        XCTAssertEqual(decline.mechanism(day: day, horizonDays: 30, k), .engagementDecline)
        decline.drop = 0.3   // 0.42 < 0.5 and smaller than the ticket's term
        XCTAssertEqual(decline.mechanism(day: day, horizonDays: 30, k), .unresolvedTicket)
        decline.caseOpen = false
        XCTAssertEqual(decline.mechanism(day: day, horizonDays: 30, k), .none, "a term below 0.5 drives nothing")

        var price = calm
        price.priceSensitivity = 1
        price.priceIncreaseDay = day - 2
        XCTAssertEqual(price.mechanism(day: day, horizonDays: 30, k), .priceIncrease)
        var abandoned = calm
        abandoned.featureAbandoned = true
        XCTAssertEqual(abandoned.mechanism(day: day, horizonDays: 30, k), .abandonedFeature)
        var young = calm
        young.signupDay = day - 5
        XCTAssertEqual(young.mechanism(day: day, horizonDays: 30, k), .newAccount)

        // The hazard is the base hazard times exp of the terms' sum (the shared formula).
        XCTAssertEqual(ticket.hazard(day: day, k), min(k.maxDailyHazard, ticket.baseHazard * exp(ticket.logHazardTerms(day: day, k).logMultiplier)))
        XCTAssertEqual(calm.hazard(day: day, k), calm.baseHazard)
    }

    func testMechanismOfAttributeTerms() {
        let k = ProcessConstants(Scenario.attributes.parameters)
        let day = 400
        var c = calmCustomer(k, day: day)
        c.plan = 1   // pro: 0
        c.channelLogTerm = 1.0   // paid_social
        c.companySizeLogTerm = 0
        XCTAssertEqual(c.mechanism(day: day, horizonDays: 30, k), .channel)
        c.channelLogTerm = -0.8   // referral: negative terms never drive churn
        XCTAssertEqual(c.mechanism(day: day, horizonDays: 30, k), .none)
        c.companySizeLogTerm = 0.7
        XCTAssertEqual(c.mechanism(day: day, horizonDays: 30, k), .companySize)
        c.companySizeLogTerm = 0
        c.plan = 0   // basic: +0.5
        XCTAssertEqual(c.mechanism(day: day, horizonDays: 30, k), .plan)
        // Without attribute weights the same state has no attribute mechanism.
        let standard = ProcessConstants(ProcessParameters())
        var s = calmCustomer(standard, day: day)
        s.channelLogTerm = 1.0
        s.plan = 0
        XCTAssertEqual(s.mechanism(day: day, horizonDays: 30, standard), .none)
    }

    func testMechanismEventTypesAndAttributes() {
        XCTAssertEqual(ChurnMechanism.failedPayment.eventTypes.map(\.name), ["payment_failed", "payment"])
        XCTAssertEqual(ChurnMechanism.unresolvedTicket.eventTypes.map(\.name), ["support_ticket", "ticket_resolved", "error"])
        XCTAssertEqual(ChurnMechanism.priceIncrease.eventTypes.map(\.name), ["price_increase"])
        XCTAssertEqual(ChurnMechanism.engagementDecline.eventTypes.map(\.name), ["login", "view", "feature_use"])
        XCTAssertEqual(ChurnMechanism.abandonedFeature.eventTypes.map(\.name), ["feature_use"])
        for m: ChurnMechanism in [.newAccount, .none, .channel, .companySize, .plan] { XCTAssertEqual(m.eventTypes, [], "\(m)") }
        XCTAssertEqual(ChurnMechanism.channel.attribute, "channel")
        XCTAssertEqual(ChurnMechanism.companySize.attribute, "company_size")
        XCTAssertEqual(ChurnMechanism.plan.attribute, "plan")
        XCTAssertEqual(ChurnMechanism.allCases.compactMap(\.attribute).count, 3)
        XCTAssertEqual(ChurnMechanism.allCases.map(\.rawValue),
                       ["failed_payment", "engagement_decline", "unresolved_ticket", "price_increase", "abandoned_feature",
                        "new_account", "channel", "company_size", "plan", "none"])
    }

    func testGzipOutputDecompressesToThePlainLog() throws {
        try simulate("a.csv", customers: 100, days: 60)
        try simulate("a.csv.gz", customers: 100, days: 60)
        let gz = try data("a.csv.gz")
        XCTAssertEqual(Array(gz.prefix(2)), [0x1F, 0x8B])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc '\(directory.appendingPathComponent("a.csv.gz").path)'"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let decompressed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(decompressed, try data("a.csv"))
    }

    func testCustomerTableDoesNotChangeTheStandardLog() throws {
        try simulate("plain.csv", customers: 400, days: 150, seed: 5)
        try simulate("with.csv", customers: 400, days: 150, seed: 5, customersName: "customers.csv")
        let plain = try data("plain.csv")
        XCTAssertGreaterThan(plain.count, 10_000)
        XCTAssertEqual(plain, try data("with.csv"), "--customers-output changed the event log")
        XCTAssertTrue(String(decoding: plain.prefix(40), as: UTF8.self).hasPrefix("customer_id,timestamp,event,amount\n"))
        XCTAssertGreaterThan(try rows("customers.csv").count, 300)
        // The attributes scenario adds the plan column, so it must differ.
        try simulate("attributes.csv", customers: 400, days: 150, seed: 5, scenario: .attributes)
        XCTAssertTrue(String(decoding: try data("attributes.csv").prefix(45), as: UTF8.self)
            .hasPrefix("customer_id,timestamp,event,amount,plan\n"))
    }

    func testPlanColumnFollowsUpgradesAndDowngrades() throws {
        let summary = try simulate("a.csv", customers: 800, days: 300, seed: 2, scenario: .attributes)
        let plans = ["basic", "pro", "premium"]
        let rows = try rows("a.csv")
        XCTAssertEqual(rows.count, summary.events)
        var previous: (id: Substring, plan: Int)?
        var changes = 0, starts = Set<Int>()
        for row in rows {
            XCTAssertEqual(row.count, 5)
            guard row.count == 5, let plan = plans.firstIndex(of: String(row[4])) else {
                XCTFail("bad plan in \(row)")
                continue
            }
            if let previous, previous.id == row[0] {
                switch row[2] {
                case "upgrade":
                    XCTAssertEqual(plan, previous.plan + 1, "upgrade of \(row[0]) at \(row[1])")
                    changes += 1
                case "downgrade":
                    XCTAssertEqual(plan, previous.plan - 1, "downgrade of \(row[0]) at \(row[1])")
                    changes += 1
                default:
                    XCTAssertEqual(plan, previous.plan, "plan of \(row[0]) changed without an upgrade or downgrade at \(row[1])")
                }
            } else {
                starts.insert(plan)
            }
            previous = (row[0], plan)
        }
        XCTAssertEqual(starts, [0, 1, 2], "customers should start on every plan")
        let expectedChanges = summary.eventCounts[Int(EventKind.upgrade.rawValue)] + summary.eventCounts[Int(EventKind.downgrade.rawValue)]
        XCTAssertGreaterThan(summary.eventCounts[Int(EventKind.downgrade.rawValue)], 10)
        XCTAssertGreaterThan(expectedChanges, 50)
        // A customer's first row can itself be a plan change; every other one was checked.
        XCTAssertGreaterThan(changes, expectedChanges * 9 / 10)
    }

    func testCustomerTableListsTheCustomersWithEvents() throws {
        let summary = try simulate("a.csv", customers: 3000, days: 60, seed: 4, customersName: "customers.csv")
        let header = String(decoding: try data("customers.csv").prefix(40), as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("customer_id,channel,company_size\n"))
        var logOrder: [Substring] = []
        for row in try rows("a.csv") where logOrder.last != row[0] { logOrder.append(row[0]) }
        let table = try rows("customers.csv")
        XCTAssertEqual(table.map { $0[0] }, logOrder, "the table's customers differ from the log's")
        XCTAssertEqual(table.count, summary.customersWithEvents)
        let shares = ["organic": 0.35, "paid_search": 0.20, "paid_social": 0.20, "referral": 0.15, "partner": 0.10]
        var counts: [String: Int] = [:]
        var sizes: [Int] = []
        for row in table {
            XCTAssertEqual(row.count, 3)
            guard row.count == 3 else { continue }
            let channel = String(row[1])
            XCTAssertNotNil(shares[channel], "unknown channel \(channel)")
            counts[channel, default: 0] += 1
            guard let size = Int(row[2]) else { XCTFail("company size \(row[2]) is not an integer"); continue }
            XCTAssertGreaterThanOrEqual(size, 1)
            sizes.append(size)
        }
        XCTAssertGreaterThan(table.count, 2500)
        for (channel, share) in shares {
            let observed = Double(counts[channel, default: 0]) / Double(table.count)
            XCTAssertEqual(observed, share, accuracy: 0.03, "share of \(channel)")
        }
        sizes.sort()
        let median = sizes[sizes.count / 2]
        XCTAssertTrue((10...14).contains(median), "median company size \(median)")
    }

    /// The ids of the customers with a `cancel` row in the log `name` (a byte scan: the log is
    /// large, and splitting every row into fields would dominate the test's time).
    func cancelledCustomers(_ name: String) throws -> Set<Substring> {
        let marker = Array(",cancel,".utf8)
        var ids = Set<Substring>()
        try data(name).withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
                // `id,YYYY-MM-DDTHH:MM:SSZ,cancel,…`: the event follows the 20-byte timestamp.
                var comma = start
                while comma < i && bytes[comma] != UInt8(ascii: ",") { comma += 1 }
                let at = comma + 21
                if at + marker.count <= i && bytes[at + 1] == marker[1] && bytes[at + 2] == marker[2]
                    && marker.indices.allSatisfy({ bytes[at + $0] == marker[$0] }) {
                    ids.insert(Substring(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<comma]), as: UTF8.self)))
                }
                start = i + 1
            }
        }
        return ids
    }

    /// Cancels per customer of paid_social over referral customers, from the log and the table.
    func paidSocialOverReferralCancelRate(_ scenario: Scenario) throws -> Double {
        try simulate("\(scenario).csv", customers: 3000, days: 240, seed: 6, scenario: scenario,
                     customersName: "\(scenario)-customers.csv")
        let cancelled = try cancelledCustomers("\(scenario).csv")
        var customers: [Substring: Int] = [:], cancels: [Substring: Int] = [:]
        for row in try rows("\(scenario)-customers.csv") {
            customers[row[1], default: 0] += 1
            if cancelled.contains(row[0]) { cancels[row[1], default: 0] += 1 }
        }
        XCTAssertEqual(cancels.values.reduce(0, +), cancelled.count, "cancels of customers missing from the table")
        func rate(_ c: Substring) -> Double { Double(cancels[c, default: 0]) / Double(max(1, customers[c, default: 0])) }
        XCTAssertGreaterThan(customers["paid_social", default: 0], 450)
        XCTAssertGreaterThan(customers["referral", default: 0], 350)
        return rate("paid_social") / max(1e-9, rate("referral"))
    }

    func testChannelChangesTheCancelRateOnlyInTheAttributesScenario() throws {
        let attributes = try paidSocialOverReferralCancelRate(.attributes)
        XCTAssertGreaterThan(attributes, 1.5, "paid_social should churn clearly more than referral in the attributes scenario")
        let standard = try paidSocialOverReferralCancelRate(.standard)
        XCTAssertTrue((0.75...1.33).contains(standard), "the channel should not matter in the standard scenario (ratio \(standard))")
    }

    func testAttributeSeedsAreSeparateFromTheStreams() {
        var seen = Set<UInt64>()
        for customer in 0..<500 {
            seen.insert(Simulator.attributeSeed(1, customer))
            for replicate in 0..<3 { seen.insert(Simulator.streamSeed(1, customer, replicate)) }
        }
        XCTAssertEqual(seen.count, 500 * 4)
    }

    func testCivilDateRoundTrip() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = CivilDate.date(fromDays: days)
            XCTAssertEqual(CivilDate.days(year: y, month: m, day: d), days)
        }
        XCTAssertEqual(CivilDate.parse("1970-01-01"), 0)
        XCTAssertEqual(CivilDate.parse("2024-03-01"), CivilDate.parse("2024-02-29")! + 1)
        XCTAssertEqual(CivilDate.format(days: CivilDate.parse("2024-12-31T00:00:00Z")!), "2024-12-31")
        XCTAssertNil(CivilDate.parse("2023-02-29"))
        XCTAssertNil(CivilDate.parse("2024-01-01T10:00:00Z"))
        XCTAssertNil(CivilDate.parse("20240101"))
    }

    func testStreamSeedsAreDistinct() {
        var seen = Set<UInt64>()
        for customer in 0..<200 { for replicate in 0..<20 { seen.insert(Simulator.streamSeed(1, customer, replicate)) } }
        XCTAssertEqual(seen.count, 200 * 20)
        XCTAssertNotEqual(Simulator.streamSeed(1, 0, 0), Simulator.streamSeed(2, 0, 0))
    }
}

final class CivilDateTests: XCTestCase {
    func testHorizonInDays() {
        XCTAssertEqual(CivilDate.parseDays("90"), 90)
        XCTAssertEqual(CivilDate.parseDays("30D"), 30)
        XCTAssertEqual(CivilDate.parseDays("12w"), 84)
        XCTAssertEqual(CivilDate.parseDays("48h"), 2)
        for bad in ["0", "-3", "36h", "1.5d", "d", "", "3x"] { XCTAssertNil(CivilDate.parseDays(bad), bad) }
    }
}
