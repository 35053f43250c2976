import ChurnReport
import Foundation

/// `/cluster`: the worker pool as the scoring service sees it (the page refreshes itself).
enum ClusterPage {
    static func render(_ pool: PoolSnapshot) -> String {
        var s = "<section class=\"card\" id=\"cluster\" data-refresh=\"5\"><h2>Worker pool</h2>"
        s += "<p class=\"hint\">Mode: <b>\(HTML.escape(pool.mode))</b> · \(pool.workers.filter(\.up).count) of \(pool.workers.count) workers up.</p>"
        guard !pool.workers.isEmpty else { return s + "<p class=\"empty-note\">Scoring runs in the server's own process.</p></section>\n" }
        s += "<table><thead><tr><th>Worker</th><th>State</th><th class=\"num\">Shards done</th><th>Detail</th></tr></thead><tbody>"
        for w in pool.workers {
            let state = !w.up ? "down" : w.busy ? "busy" : "idle"
            s += "<tr><td><code>\(HTML.escape(w.address))</code></td><td><span class=\"status \(state)\">\(state)</span></td>"
            s += "<td class=\"num\">\(ReportFormat.integer(w.shardsDone))</td><td>\(HTML.escape(w.detail ?? ""))</td></tr>"
        }
        return s + "</tbody></table></section>\n"
    }
}
