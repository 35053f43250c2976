import ChurnReport
import Foundation

/// `/`: the upload (drag-and-drop or file picker, XLSX sheet choice, upload and scoring progress)
/// and the latest runs.
enum HomePage {
    static func render(latest: [RunView], maxUpload: Int64) -> String {
        var s = """
            <section class="card" id="upload">
            <h2>Score a customer file</h2>
            <p class="hint">CSV or XLSX, up to \(ReportFormat.bytes(maxUpload)). The file is scored by the server's worker pool; \
            you can leave this page and find the run under Runs.</p>
            <form id="upload-form" action="/api/v1/runs" method="post" enctype="multipart/form-data">
            <label class="drop" id="drop"><input type="file" id="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required>
            <span id="drop-text">Drop a CSV or XLSX file here, or click to choose one</span></label>
            <div class="options">
            <label>Worksheet (XLSX) <input type="text" id="sheet" name="sheet" placeholder="the first"></label>
            <label>Rank by <select id="rank_by" name="rank_by"><option value="combined">risk and health</option>\
            <option value="risk">probability</option><option value="revenue">revenue at risk</option></select></label>
            <label>Top <input type="number" id="top" name="top" value="10" min="0" max="10000"></label>
            <button type="submit" id="upload-button">Upload and score</button>
            </div>
            </form>
            <div id="progress" class="progress" hidden>
            <div class="bar-line"><span id="progress-phase">Uploading</span> <span id="progress-text"></span></div>
            <progress id="progress-bar" max="1" value="0"></progress>
            <div class="live"><span>Rows <b id="live-rows">0</b></span><span>Rows/s <b id="live-rate">–</b></span><span>Workers <b id="live-workers">–</b></span></div>
            <p id="progress-error" class="error" hidden></p>
            </div>
            </section>

            """
        s += "<section class=\"card\"><h2>Latest runs</h2>\n" + RunsPage.table(latest) + "<p><a href=\"/runs\">All runs</a></p></section>\n"
        return s
    }
}
