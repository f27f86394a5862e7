import Baselines
import Foundation

/// A small inline-SVG chart for the HTML report: a plot area with axes, ticks, grid lines, series
/// and a legend that flows below the axis label (so it never covers the data).
///
/// Values outside an axis range are clamped to it; non-finite points are dropped, so the output
/// never holds `nan` or `inf`. All text is escaped.
struct SVGChart {
    /// One axis: its label, value range, tick positions and tick label format.
    struct Axis {
        var label: String
        var range: ClosedRange<Double>
        var ticks: [Double]
        var format: (Double) -> String

        /// An axis with "nice" ticks covering `range`.
        init(_ label: String, _ range: ClosedRange<Double>, tickCount: Int = 5, format: ((Double) -> String)? = nil) {
            self.label = label
            let ticks = SVGChart.niceTicks(range, count: tickCount)
            self.range = min(range.lowerBound, ticks.first ?? range.lowerBound) ... max(range.upperBound, ticks.last ?? range.upperBound)
            self.ticks = ticks
            let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
            // Enough decimals to show every tick exactly (0.025 steps need three).
            let decimals = (0...4).first { d in
                let scaled = step * pow(10, Double(d))
                return abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled)
            } ?? 4
            self.format = format ?? { String(format: "%.\(decimals)f", $0) }
        }

        /// An axis on [0, 1] with ticks every 0.2.
        static func unit(_ label: String, percent: Bool = false) -> Axis {
            var axis = Axis(label, 0...1, tickCount: 5)
            axis.ticks = [0, 0.2, 0.4, 0.6, 0.8, 1]
            axis.format = percent ? { String(format: "%.0f%%", $0 * 100) } : { String(format: "%.1f", $0) }
            return axis
        }
    }

    /// How a series is drawn.
    struct Style {
        var color: String
        var width: Double = 2
        var dash: String? = nil
        var opacity: Double = 1
    }

    enum LegendSymbol { case line, box, marker }

    struct LegendEntry {
        var label: String
        var style: Style
        var symbol: LegendSymbol
    }

    var width: Double = 560
    var plotHeight: Double = 300
    var x: Axis
    var y: Axis
    /// A second vertical axis on the right.
    var y2: Axis?
    /// Tick labels along x that replace the numeric ones (categorical axes), by tick position.
    var xTickLabels: [Double: String]?
    var ariaLabel: String

    private var body: [String] = []
    private var legend: [LegendEntry] = []

    private let marginTop = 14.0
    private var marginLeft: Double { 66 }
    private var marginRight: Double { y2 == nil ? 22 : 66 }
    private var plotWidth: Double { width - marginLeft - marginRight }
    /// Room under the plot for tick labels and the axis label.
    private var axisBand: Double { rotateXLabels ? 84 : 48 }
    private var rotateXLabels: Bool {
        guard let labels = xTickLabels, labels.count > 1 else { return false }
        let widest = labels.values.map { Self.textWidth($0, size: 12) }.max() ?? 0
        return widest + 8 > plotWidth / Double(labels.count)
    }

    init(x: Axis, y: Axis, y2: Axis? = nil, width: Double = 560, plotHeight: Double = 300, ariaLabel: String) {
        self.x = x
        self.y = y
        self.y2 = y2
        self.width = width
        self.plotHeight = plotHeight
        self.ariaLabel = ariaLabel
    }

    // MARK: - Coordinates

    func px(_ v: Double) -> Double {
        let r = x.range
        let t = (min(max(v, r.lowerBound), r.upperBound) - r.lowerBound) / max(r.upperBound - r.lowerBound, .leastNonzeroMagnitude)
        return marginLeft + t * plotWidth
    }

    func py(_ v: Double, secondary: Bool = false) -> Double {
        let r = secondary ? (y2?.range ?? y.range) : y.range
        let t = (min(max(v, r.lowerBound), r.upperBound) - r.lowerBound) / max(r.upperBound - r.lowerBound, .leastNonzeroMagnitude)
        return marginTop + plotHeight - t * plotHeight
    }

    // MARK: - Series

    /// A polyline through the finite points, optionally with circle markers.
    mutating func line(_ points: [(Double, Double)], style: Style, label: String? = nil, secondary: Bool = false,
                       markers: Bool = false) {
        let finite = points.filter { $0.0.isFinite && $0.1.isFinite }
        guard !finite.isEmpty else { return }
        let coords = finite.map { "\(Self.n(px($0.0))),\(Self.n(py($0.1, secondary: secondary)))" }.joined(separator: " ")
        if finite.count > 1 {
            body.append("<polyline points=\"\(coords)\" fill=\"none\" \(Self.strokeAttributes(style)) stroke-linejoin=\"round\"/>")
        }
        if markers || finite.count == 1 {
            for p in finite {
                body.append("<circle cx=\"\(Self.n(px(p.0)))\" cy=\"\(Self.n(py(p.1, secondary: secondary)))\" r=\"\(Self.n(max(3, style.width + 1.5)))\" fill=\"\(style.color)\" fill-opacity=\"\(Self.n(style.opacity))\"/>")
            }
        }
        if let label { legend.append(LegendEntry(label: label, style: style, symbol: markers ? .marker : .line)) }
    }

    /// A filled rectangle from (x0, y0) to (x1, y1) in data coordinates.
    mutating func rect(x0: Double, x1: Double, y0: Double, y1: Double, color: String, opacity: Double = 1) {
        guard [x0, x1, y0, y1].allSatisfy(\.isFinite) else { return }
        let left = px(min(x0, x1)), right = px(max(x0, x1))
        let top = py(max(y0, y1)), bottom = py(min(y0, y1))
        guard right - left > 0, bottom - top > 0 else { return }
        body.append("<rect x=\"\(Self.n(left))\" y=\"\(Self.n(top))\" width=\"\(Self.n(right - left))\" height=\"\(Self.n(bottom - top))\" fill=\"\(color)\" fill-opacity=\"\(Self.n(opacity))\"/>")
    }

    /// A vertical interval (error bar) at `x`.
    mutating func errorBar(x: Double, lower: Double, upper: Double, style: Style) {
        guard x.isFinite, lower.isFinite, upper.isFinite else { return }
        let cx = px(x), top = py(upper), bottom = py(lower)
        body.append("<path d=\"M\(Self.n(cx - 4)),\(Self.n(top))H\(Self.n(cx + 4))M\(Self.n(cx)),\(Self.n(top))V\(Self.n(bottom))M\(Self.n(cx - 4)),\(Self.n(bottom))H\(Self.n(cx + 4))\" fill=\"none\" \(Self.strokeAttributes(style))/>")
    }

    /// A vertical reference line across the plot with a small label at its top.
    mutating func verticalLine(at v: Double, label: String, style: Style) {
        guard v.isFinite else { return }
        let cx = px(v)
        body.append("<line x1=\"\(Self.n(cx))\" y1=\"\(Self.n(marginTop))\" x2=\"\(Self.n(cx))\" y2=\"\(Self.n(marginTop + plotHeight))\" \(Self.strokeAttributes(style))/>")
        let rightHalf = cx > marginLeft + plotWidth / 2
        body.append("<text x=\"\(Self.n(cx + (rightHalf ? -5 : 5)))\" y=\"\(Self.n(marginTop + 13))\" text-anchor=\"\(rightHalf ? "end" : "start")\" class=\"note\">\(ReportRenderer.escape(label))</text>")
    }

    /// Adds a legend entry without drawing anything (e.g. for bars drawn with `rect`).
    mutating func addLegend(_ label: String, style: Style, symbol: LegendSymbol) {
        legend.append(LegendEntry(label: label, style: style, symbol: symbol))
    }

    /// Reverses the order of the first `count` legend entries.
    mutating func reverseFirstLegendEntries(_ count: Int) {
        let k = min(count, legend.count)
        legend.replaceSubrange(0..<k, with: legend[0..<k].reversed())
    }

    // MARK: - Output

    func render() -> String {
        // Legend: a grid of equal columns (as many as fit the widest entry), filled row by row;
        // a single row when everything fits side by side.
        let available = width - 2 * 12
        let widths = legend.map { 30 + Self.textWidth($0.label, size: 12) + 22 }
        var rows: [[(LegendEntry, Double)]] = []
        if widths.reduce(0, +) <= available {
            rows = legend.isEmpty ? [] : [Array(zip(legend, widths))]
        } else {
            let column = min(widths.max() ?? available, available)
            let columns = max(1, Int(available / column))
            let cell = available / Double(columns)
            for (i, entry) in legend.enumerated() {
                if i % columns == 0 { rows.append([]) }
                rows[rows.count - 1].append((entry, cell))
            }
        }
        let legendTop = marginTop + plotHeight + axisBand
        let height = legendTop + Double(rows.count) * 20 + 8

        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" role=\"img\" aria-label=\"\(ReportRenderer.escape(ariaLabel))\">"
        s += "<title>\(ReportRenderer.escape(ariaLabel))</title>"
        let left = marginLeft, right = marginLeft + plotWidth, top = marginTop, bottom = marginTop + plotHeight
        // Grid and ticks.
        for t in y.ticks {
            let yy = Self.n(py(t))
            s += "<line x1=\"\(Self.n(left))\" y1=\"\(yy)\" x2=\"\(Self.n(right))\" y2=\"\(yy)\" class=\"grid\"/>"
            s += "<text x=\"\(Self.n(left - 7))\" y=\"\(yy)\" dy=\"0.32em\" text-anchor=\"end\" class=\"tick\">\(ReportRenderer.escape(y.format(t)))</text>"
        }
        if let y2 {
            for t in y2.ticks {
                let yy = Self.n(py(t, secondary: true))
                s += "<line x1=\"\(Self.n(right))\" y1=\"\(yy)\" x2=\"\(Self.n(right + 4))\" y2=\"\(yy)\" class=\"axis\"/>"
                s += "<text x=\"\(Self.n(right + 7))\" y=\"\(yy)\" dy=\"0.32em\" text-anchor=\"start\" class=\"tick\">\(ReportRenderer.escape(y2.format(t)))</text>"
            }
        }
        let xTicks: [(Double, String)] = xTickLabels.map { $0.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
            ?? x.ticks.map { ($0, x.format($0)) }
        for (t, label) in xTicks {
            let xx = Self.n(px(t))
            s += "<line x1=\"\(xx)\" y1=\"\(Self.n(top))\" x2=\"\(xx)\" y2=\"\(Self.n(bottom))\" class=\"grid\"/>"
            s += "<line x1=\"\(xx)\" y1=\"\(Self.n(bottom))\" x2=\"\(xx)\" y2=\"\(Self.n(bottom + 4))\" class=\"axis\"/>"
            if rotateXLabels {
                s += "<text transform=\"translate(\(xx),\(Self.n(bottom + 12))) rotate(-30)\" text-anchor=\"end\" class=\"tick\">\(ReportRenderer.escape(label))</text>"
            } else {
                s += "<text x=\"\(xx)\" y=\"\(Self.n(bottom + 18))\" text-anchor=\"middle\" class=\"tick\">\(ReportRenderer.escape(label))</text>"
            }
        }
        s += "<rect x=\"\(Self.n(left))\" y=\"\(Self.n(top))\" width=\"\(Self.n(plotWidth))\" height=\"\(Self.n(plotHeight))\" fill=\"none\" class=\"axis\"/>"
        // Axis labels.
        s += "<text x=\"\(Self.n(left + plotWidth / 2))\" y=\"\(Self.n(bottom + axisBand - 10))\" text-anchor=\"middle\" class=\"label\">\(ReportRenderer.escape(x.label))</text>"
        s += "<text transform=\"translate(16,\(Self.n(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"label\">\(ReportRenderer.escape(y.label))</text>"
        if let y2 {
            s += "<text transform=\"translate(\(Self.n(width - 12)),\(Self.n(top + plotHeight / 2))) rotate(90)\" text-anchor=\"middle\" class=\"label\">\(ReportRenderer.escape(y2.label))</text>"
        }
        s += body.joined()
        // Legend.
        for (r, row) in rows.enumerated() {
            var lx = 12.0
            let ly = legendTop + Double(r) * 20 + 10
            for (entry, w) in row {
                switch entry.symbol {
                case .line:
                    s += "<line x1=\"\(Self.n(lx))\" y1=\"\(Self.n(ly))\" x2=\"\(Self.n(lx + 24))\" y2=\"\(Self.n(ly))\" \(Self.strokeAttributes(entry.style))/>"
                case .marker:
                    s += "<line x1=\"\(Self.n(lx))\" y1=\"\(Self.n(ly))\" x2=\"\(Self.n(lx + 24))\" y2=\"\(Self.n(ly))\" \(Self.strokeAttributes(entry.style))/>"
                    s += "<circle cx=\"\(Self.n(lx + 12))\" cy=\"\(Self.n(ly))\" r=\"3.5\" fill=\"\(entry.style.color)\"/>"
                case .box:
                    s += "<rect x=\"\(Self.n(lx + 4))\" y=\"\(Self.n(ly - 6))\" width=\"16\" height=\"12\" fill=\"\(entry.style.color)\" fill-opacity=\"\(Self.n(entry.style.opacity))\"/>"
                }
                s += "<text x=\"\(Self.n(lx + 30))\" y=\"\(Self.n(ly))\" dy=\"0.32em\" class=\"legend\">\(ReportRenderer.escape(entry.label))</text>"
                lx += w
            }
        }
        s += "</svg>"
        return s
    }

    // MARK: - Helpers

    static func strokeAttributes(_ style: Style) -> String {
        var a = "stroke=\"\(style.color)\" stroke-width=\"\(n(style.width))\""
        if let dash = style.dash { a += " stroke-dasharray=\"\(dash)\"" }
        if style.opacity < 1 { a += " stroke-opacity=\"\(n(style.opacity))\"" }
        return a
    }

    /// A coordinate with one decimal (0 for non-finite input, which callers filter out anyway).
    static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let s = String(format: "%.1f", v)
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }

    /// Approximate rendered width of `text` in a sans-serif font of `size` pixels.
    static func textWidth(_ text: String, size: Double) -> Double {
        var em = 0.0
        for c in text {
            if c.isUppercase { em += c == "I" ? 0.3 : 0.7 }
            else if c.isNumber { em += 0.64 }
            else if "ijlft.,:;'|!()[] /-".contains(c) { em += 0.34 }
            else if "mw".contains(c) { em += 0.9 }
            else { em += 0.58 }
        }
        return em * size
    }

    /// Round tick values (steps of 1, 2 or 5 × 10ᵏ) covering `range` with about `count` intervals.
    static func niceTicks(_ range: ClosedRange<Double>, count: Int) -> [Double] {
        var lo = range.lowerBound, hi = range.upperBound
        guard lo.isFinite, hi.isFinite else { return [0, 1] }
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        let raw = (hi - lo) / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let f = fraction * (1 - 1e-9)
        let step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * magnitude
        let first = floor(lo / step + 1e-9) * step
        let last = ceil(hi / step - 1e-9) * step
        var ticks: [Double] = []
        var t = first
        while t <= last + step * 1e-6, ticks.count < 50 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return ticks
    }
}
