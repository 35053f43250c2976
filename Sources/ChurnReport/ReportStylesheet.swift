/// The report's inline stylesheet: system fonts, no external resources, readable in print.
public enum ReportStylesheet {
    public static let css = """
        :root { --ink: #1d2430; --muted: #5d6778; --line: #e3e7ee; --bg: #f4f6f9; --card: #ffffff;
                --accent: #1f4e79; --high: #c0392b; --medium: #e39b17; --low: #2c7f4f; }
        * { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; }
        body { margin: 0; background: var(--bg); color: var(--ink);
               font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif; }
        header.top { background: linear-gradient(120deg, #16324f, #1f4e79); color: #fff; padding: 28px 40px 24px; }
        header.top h1 { margin: 0 0 6px; font-size: 26px; font-weight: 650; letter-spacing: -0.01em; }
        header.top .sub { color: #c9d6e6; font-size: 14px; }
        header.top .sub b { color: #fff; font-weight: 600; }
        main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 40px; }
        h2 { font-size: 17px; margin: 0 0 4px; font-weight: 650; }
        .hint { color: var(--muted); font-size: 13px; margin: 0 0 14px; }
        section { margin-bottom: 22px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
                box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04); }
        .kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 14px; }
        .kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
               border-top: 4px solid var(--accent); }
        .kpi.high { border-top-color: var(--high); }
        .kpi.warn { border-top-color: var(--medium); }
        .kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; font-weight: 600; }
        .kpi .value { font-size: 24px; font-weight: 700; margin-top: 4px; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .kpi .note { color: var(--muted); font-size: 12px; margin-top: 2px; }
        .charts { display: grid; grid-template-columns: 3fr 2fr; gap: 18px; }
        .charts .card { display: flex; flex-direction: column; }
        svg.chart { width: 100%; height: auto; display: block; }
        svg .grid { stroke: #edf0f4; stroke-width: 1; }
        svg .axis { stroke: #9aa3b2; stroke-width: 1; }
        svg .tick, svg .band { fill: var(--muted); font-size: 11px; }
        svg .count { fill: var(--ink); font-size: 11px; font-weight: 600; }
        svg .axis-title { fill: var(--muted); font-size: 12px; }
        .pie-wrap { display: flex; align-items: center; justify-content: center; gap: 28px; flex-wrap: wrap; padding: 8px 0; flex: 1; }
        svg.pie { width: 196px; height: 196px; flex: none; }
        svg.pie .slice { stroke: #fff; stroke-width: 2; }
        svg .pie-label { fill: #fff; font-size: 16px; font-weight: 700; }
        svg .pie-empty { fill: var(--muted); font-size: 16px; }
        ul.legend { list-style: none; margin: 0; padding: 0; min-width: 180px; flex: 1; max-width: 240px; }
        .legend-name { white-space: nowrap; }
        ul.legend li { display: grid; grid-template-columns: 14px 1fr max-content 52px; gap: 10px; align-items: center;
                       padding: 7px 0; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
        ul.legend li:last-child { border-bottom: 0; }
        .swatch { width: 14px; height: 14px; border-radius: 3px; display: inline-block; }
        .swatch.high { background: #c0392b; } .swatch.medium { background: #e39b17; } .swatch.low { background: #2c7f4f; }
        .legend-count { text-align: right; }
        .legend-pct { text-align: right; font-weight: 650; }
        table { width: 100%; border-collapse: collapse; font-size: 13px; }
        th { text-align: left; color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase;
             letter-spacing: 0.03em; padding: 8px 10px; border-bottom: 2px solid var(--line); white-space: nowrap; }
        td { padding: 10px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        tr.customer td { border-bottom: 0; padding-bottom: 4px; }
        table.compact td { padding: 5px 10px; }
        th.line { width: 90px; }
        .scroll { max-height: 440px; overflow-y: auto; border-bottom: 1px solid var(--line); }
        .scroll thead th { position: sticky; top: 0; background: var(--card); }
        tr.offer td { padding-top: 0; padding-bottom: 10px; }
        .id { font-weight: 650; word-break: break-all; }
        .email { color: var(--muted); font-size: 12px; word-break: break-all; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 700;
                 white-space: nowrap; }
        .badge.High { background: #fbe3e0; color: #9b2a1f; }
        .badge.Medium { background: #fdf0d5; color: #8a5a00; }
        .badge.Low { background: #dff1e6; color: #1f6a3f; }
        .badge.new { background: #1f4e79; color: #fff; margin-left: 6px; font-size: 10.5px; letter-spacing: 0.05em; }
        .health { display: flex; align-items: center; gap: 8px; }
        .meter { width: 54px; height: 6px; background: #e9edf2; border-radius: 3px; overflow: hidden; flex: none; }
        .meter span { display: block; height: 100%; }
        ul.drivers { margin: 0; padding: 0; list-style: none; }
        ul.drivers li { margin: 0 0 2px; }
        .impact { color: var(--muted); font-size: 12px; }
        .impact.strong { color: #9b2a1f; font-weight: 600; }
        details { border: 1px solid var(--line); border-radius: 8px; background: #fafbfd; }
        details summary { cursor: pointer; padding: 6px 12px; color: var(--accent); font-weight: 600; font-size: 12.5px; }
        details[open] summary { border-bottom: 1px solid var(--line); }
        .mail { padding: 10px 14px 14px; }
        .mail .hdr { font-size: 12.5px; color: var(--muted); margin-bottom: 2px; }
        .mail .hdr b { color: var(--ink); font-weight: 600; }
        .mail pre { white-space: pre-wrap; font: inherit; margin: 10px 0 0; padding: 12px 14px; background: #fff;
                    border: 1px solid var(--line); border-radius: 6px; max-width: 760px; }
        .mail a { color: var(--accent); font-size: 12.5px; }
        .chips { display: flex; flex-wrap: wrap; gap: 6px; }
        .chip { background: #eef3f9; border: 1px solid #d6e0ec; border-radius: 999px; padding: 2px 10px; font-size: 12.5px; }
        .meta { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 18px; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 14px; margin: 10px 0 0; font-size: 13px; }
        dt { color: var(--muted); }
        dd { margin: 0; word-break: break-all; font-variant-numeric: tabular-nums; }
        .empty-note { color: var(--muted); font-style: italic; margin: 6px 0 0; }
        footer { color: var(--muted); font-size: 12px; text-align: center; padding: 8px 0 28px; }
        @media (max-width: 1000px) {
            .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); }
            .charts, .meta { grid-template-columns: 1fr; }
        }
        @media print {
            body { background: #fff; }
            header.top { background: #fff; color: var(--ink); border-bottom: 2px solid var(--ink); }
            header.top .sub, header.top .sub b { color: var(--ink); }
            .card, .kpi { box-shadow: none; break-inside: avoid; }
            details { border: 0; }
            .scroll { max-height: none; overflow: visible; }
        }
        """
}
