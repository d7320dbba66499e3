using System.Globalization;
using System.Net;
using System.Text;

namespace NativeMtl.Host.Report;

/// <summary>One line of a chart: its name in the legend and its points in x order.</summary>
internal sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>
/// Charts as inline SVG (no script, no font file, no external reference): a line chart (axes with round tick values,
/// one polyline per series with a dot on each point, and a legend) and a bar chart with error bars. Values that are
/// not finite are left out.
/// </summary>
internal static class SvgChart
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    /// <summary>A chart of the series, their points in x order whatever order they come in.</summary>
    public static string Line(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, int width = 560, int height = 300)
    {
        const double left = 72, right = 16, top = 40, bottom = 44;
        series = series.Select(s => s with { Points = s.Points.OrderBy(p => p.X).ToList() }).ToList();
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var svg = Start(title, width, height);
        if (points.Count == 0) return Empty(svg, width, height, "no data yet");
        var (xMin, xMax) = Range(points.Select(p => p.X));
        var (yMin, yMax) = Range(points.Select(p => p.Y));
        var xTicks = Ticks(xMin, xMax);
        var yTicks = Ticks(yMin, yMax);
        (xMin, xMax) = (Math.Min(xMin, xTicks[0]), Math.Max(xMax, xTicks[^1]));
        (yMin, yMax) = (Math.Min(yMin, yTicks[0]), Math.Max(yMax, yTicks[^1]));
        double plotWidth = width - left - right, plotHeight = height - top - bottom;
        double X(double x) => left + (x - xMin) / (xMax - xMin) * plotWidth;
        double Y(double y) => top + plotHeight - (y - yMin) / (yMax - yMin) * plotHeight;

        foreach (var t in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(t):F1}\" y2=\"{Y(t):F1}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{Y(t) + 4:F1}\" text-anchor=\"end\" class=\"tick\">{Format(t)}</text>");
        }
        foreach (var t in xTicks)
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(t):F1}\" y=\"{top + plotHeight + 16}\" text-anchor=\"middle\" class=\"tick\">{Format(t)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" class=\"frame\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotWidth / 2}\" y=\"{height - 8}\" text-anchor=\"middle\" class=\"axis\">{Escape(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{top + plotHeight / 2:F1}\" text-anchor=\"middle\" class=\"axis\" transform=\"rotate(-90 14 {top + plotHeight / 2:F1})\">{Escape(yLabel)}</text>");

        double legendX = left + 8;
        for (int i = 0; i < series.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            var visible = series[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
            if (visible.Count > 1)
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\" points=\"{string.Join(' ', visible.Select(p => $"{X(p.X):F1},{Y(p.Y):F1}"))}\"/>");
            if (visible.Count <= 40)
                foreach (var p in visible)
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"2.8\" fill=\"{colour}\"/>");
            if (series.Count > 1)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX:F1}\" y=\"26\" width=\"10\" height=\"10\" fill=\"{colour}\"/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{legendX + 14:F1}\" y=\"35\" class=\"legend\">{Escape(series[i].Name)}</text>");
                legendX += 24 + 7 * series[i].Name.Length;
            }
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>Horizontal bars from 0, one per label, each with a whisker of ± its spread (none where the spread is not
    /// finite); the labels on the left.</summary>
    public static string Bars(string title, string valueLabel, IReadOnlyList<(string Label, double Value, double Spread)> bars, int width = 640)
    {
        const double right = 24, top = 30, bottom = 40, row = 22;
        double left = Math.Min(320, 12 + 6.2 * bars.Select(b => b.Label.Length).DefaultIfEmpty(0).Max());
        var shown = bars.Where(b => double.IsFinite(b.Value)).ToList();
        int height = (int)(top + bottom + row * Math.Max(1, shown.Count));
        var svg = Start(title, width, height);
        if (shown.Count == 0) return Empty(svg, width, height, "no data");
        var ends = shown.SelectMany(b => double.IsFinite(b.Spread) ? new[] { 0, b.Value - b.Spread, b.Value + b.Spread } : [0, b.Value]).ToList();
        var ticks = Ticks(ends.Min(), ends.Max() > ends.Min() ? ends.Max() : ends.Min() + 1);
        double min = ticks[0], max = ticks[^1], plotWidth = width - left - right, plotHeight = row * shown.Count;
        double X(double v) => left + (v - min) / (max - min) * plotWidth;
        foreach (var t in ticks)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(t):F1}\" x2=\"{X(t):F1}\" y1=\"{top}\" y2=\"{top + plotHeight}\" class=\"grid\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(t):F1}\" y=\"{top + plotHeight + 14}\" text-anchor=\"middle\" class=\"tick\">{Format(t)}</text>");
        }
        for (int i = 0; i < shown.Count; i++)
        {
            var (label, value, spread) = shown[i];
            double y = top + i * row, middle = y + row / 2;
            double from = X(Math.Min(0, value)), to = X(Math.Max(0, value));
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{from:F1}\" y=\"{y + 4:F1}\" width=\"{Math.Max(0.5, to - from):F1}\" height=\"{row - 8:F1}\" fill=\"{Palette[0]}\"/>");
            if (double.IsFinite(spread) && spread > 0)
                svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(value - spread):F1}\" x2=\"{X(value + spread):F1}\" y1=\"{middle:F1}\" y2=\"{middle:F1}\" stroke=\"#222\" stroke-width=\"1.5\"/>")
                    .Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(value - spread):F1}\" x2=\"{X(value - spread):F1}\" y1=\"{middle - 4:F1}\" y2=\"{middle + 4:F1}\" stroke=\"#222\"/>")
                    .Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(value + spread):F1}\" x2=\"{X(value + spread):F1}\" y1=\"{middle - 4:F1}\" y2=\"{middle + 4:F1}\" stroke=\"#222\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 6}\" y=\"{middle + 4:F1}\" text-anchor=\"end\" class=\"tick\">{Escape(label)}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left}\" y=\"{top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" class=\"frame\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotWidth / 2}\" y=\"{height - 8}\" text-anchor=\"middle\" class=\"axis\">{Escape(valueLabel)}</text>");
        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>A chart's opening tag and its title.</summary>
    private static StringBuilder Start(string title, int width, int height) => new StringBuilder()
        .Append(CultureInfo.InvariantCulture, $"<svg class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Escape(title)}\">")
        .Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"18\" text-anchor=\"middle\" class=\"title\">{Escape(title)}</text>");

    /// <summary>A chart with nothing to draw: the title and a word in the middle.</summary>
    private static string Empty(StringBuilder svg, int width, int height, string text) => svg
        .Append(CultureInfo.InvariantCulture, $"<text x=\"{width / 2}\" y=\"{height / 2}\" text-anchor=\"middle\" class=\"empty\">{text}</text></svg>").ToString();

    /// <summary>The data's range, widened around a single value so the axis has some length.</summary>
    private static (double Min, double Max) Range(IEnumerable<double> values)
    {
        double min = values.Min(), max = values.Max();
        if (max > min) return (min, max);
        double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
        return (min - pad, max + pad);
    }

    /// <summary>About five round values (1, 2 or 5 times a power of ten apart) that cover [min, max].</summary>
    private static double[] Ticks(double min, double max)
    {
        double raw = (max - min) / 5, power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(s => s >= raw);
        double first = Math.Floor(min / step) * step, last = Math.Ceiling(max / step) * step;
        int count = (int)Math.Round((last - first) / step) + 1;
        return Enumerable.Range(0, count).Select(i => first + i * step).ToArray();
    }

    private static string Format(double value) =>
        Math.Abs(value) is >= 1e4 or (< 1e-3 and > 0) ? value.ToString("0.##e0", CultureInfo.InvariantCulture) : Math.Round(value, 6).ToString("0.######", CultureInfo.InvariantCulture);

    public static string Escape(string text) => WebUtility.HtmlEncode(text);
}
