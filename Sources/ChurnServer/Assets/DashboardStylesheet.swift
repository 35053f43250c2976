/// `/static/dashboard.css`: what the dashboard adds to the report's stylesheet.
enum DashboardStylesheet {
    static let css = """
        header.top.dash { display: flex; align-items: center; justify-content: space-between; padding: 14px 32px; }
        header.top.dash .brand a { color: #fff; font-weight: 700; font-size: 20px; text-decoration: none; }
        header.top.dash .brand span { color: #c9d6e6; margin-left: 8px; }
        header.top.dash nav a { color: #dbe6f3; text-decoration: none; margin-left: 18px; font-weight: 600; }
        header.top.dash nav a.active, header.top.dash nav a:hover { color: #fff; border-bottom: 2px solid #fff; }
        .drop { display: block; border: 2px dashed #9fb3c8; border-radius: 10px; padding: 28px; text-align: center;
                color: var(--muted); cursor: pointer; background: #f8fafc; }
        .drop.over { border-color: var(--accent); background: #eef4fb; }
        .drop input { display: block; margin: 0 auto 10px; }
        .options { display: flex; flex-wrap: wrap; gap: 16px; align-items: end; margin-top: 14px; }
        .options label, .filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 4px; }
        .filters { display: flex; flex-wrap: wrap; gap: 14px; align-items: end; margin: 10px 0 14px; }
        input[type=text], input[type=number], input[type=search], select, textarea {
            font: inherit; padding: 6px 8px; border: 1px solid #c7d0dc; border-radius: 6px; background: #fff; }
        button, a.button { font: inherit; font-weight: 600; padding: 7px 14px; border-radius: 6px; border: 1px solid var(--accent);
            background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
        button[disabled] { opacity: 0.5; }
        a.button { background: #fff; color: var(--accent); margin: 0 6px 6px 0; }
        .progress { margin-top: 16px; }
        .progress progress { width: 100%; height: 14px; }
        .progress .live { display: flex; gap: 24px; color: var(--muted); margin-top: 6px; }
        .error { color: var(--high); font-weight: 600; white-space: pre-wrap; }
        .muted { color: var(--muted); font-size: 12px; }
        .status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e6e9ef; }
        .status.succeeded, .status.idle { background: #dff1e6; color: #1f6b40; }
        .status.failed, .status.down { background: #f8e0dd; color: #9b2c20; }
        .status.running, .status.busy { background: #e3ecf8; color: #1f4e79; }
        .status.cancelled { background: #f3ecd9; color: #8a6510; }
        .charts { display: grid; grid-template-columns: 3fr 2fr; gap: 14px; margin-bottom: 22px; }
        .charts .card { margin: 0; }
        .pie-wrap { display: flex; gap: 18px; align-items: center; }
        .pie-wrap svg { width: 220px; height: 220px; }
        .kpis { margin-bottom: 22px; }
        .kpis.small { grid-template-columns: repeat(3, minmax(0, 1fr)); margin: 12px 0; }
        .trends { display: flex; flex-wrap: wrap; gap: 18px; margin: 10px 0 14px; }
        .trend { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .trend-title { font-size: 12px; color: var(--muted); }
        .trend-value { font-size: 20px; font-weight: 650; }
        .sparkline { width: 260px; height: 70px; display: block; }
        dialog { border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; width: min(720px, 92vw); }
        dialog::backdrop { background: rgba(16, 24, 40, 0.45); }
        dialog label { display: flex; flex-direction: column; gap: 4px; margin: 10px 0; font-size: 12px; color: var(--muted); }
        dialog textarea { width: 100%; font-family: inherit; }
        .modal-buttons { display: flex; justify-content: flex-end; gap: 10px; }
        .ids a { margin-right: 8px; }
        .pager a { margin-right: 16px; font-weight: 600; }
        form.inline { margin: 8px 0; }
        table.runs td, table.runs th { white-space: nowrap; }
        h3 { font-size: 14px; margin: 14px 0 6px; }
        @media (max-width: 900px) { .charts { grid-template-columns: 1fr; } }
        .account { display: flex; align-items: center; gap: 10px; margin-left: auto; font-size: 13px; }
        .account form.inline { margin: 0; }
        section.login { max-width: 360px; margin: 40px auto; }
        section.login input { width: 100%; }
        p.error { color: #c0392b; font-weight: 600; }
        table.audit td { font-size: 12px; vertical-align: top; }
        table.users td form.inline, table.tokens td form.inline { margin: 0; white-space: nowrap; }
        table.users input { width: 11em; }
        #add-user-form label, #create-token-form label { margin-right: 12px; }
        #new-token { font-size: 14px; padding: 6px 8px; background: var(--line); border-radius: 6px; user-select: all; word-break: break-all; }
        """
}
