import ChurnCore
import ChurnEngine
import ChurnStore
import Foundation
import Hummingbird
import NIOCore

/// The REST API under `/api/v1`, plus `/healthz` and `/metrics`. Every route here is in the
/// OpenAPI document (`OpenAPIDocument`), and a test holds the two equal.
struct APIRoutes {
    let dashboard: Dashboard

    func register(on router: Router<DashboardContext>) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ in
            let jobs = dashboard.jobs
            let text = dashboard.metrics.render(counts: jobs.counts(), running: jobs.liveRuns().filter { $0.status == .running },
                                                pool: jobs.pool())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let api = router.group("api/v1")
        api.get("openapi.json") { _, _ in Self.json(OpenAPIDocument.data) }
        api.post("runs") { request, context in try await startRun(request, context) }
        api.get("runs") { request, _ in
            let limit = request.uri.queryParameters.get("limit", as: Int.self).map { min(max($0, 1), 500) } ?? 50
            return try Self.json(RunJSON.data(["runs": try dashboard.runs(limit: limit).map(RunJSON.listItem)]))
        }
        api.get("runs/{id}") { _, context in
            let view = try run(context)
            return try Self.json(RunJSON.data(RunJSON.object(view, changes: try dashboard.changes(view))))
        }
        api.delete("runs/{id}") { _, context in
            let run = try run(context)
            guard run.status == .running else {
                throw HTTPError(.conflict, message: "run \(run.id) is not running (\(run.status.rawValue))")
            }
            guard dashboard.jobs.cancel(run.id) else {
                throw HTTPError(.conflict, message: "run \(run.id) was not started by this server")
            }
            return Response(status: .accepted, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(data: try RunJSON.data(["id": run.id, "status": "cancelling"]))))
        }
        api.post("runs/{id}/refresh") { request, context in
            let run = try run(context)
            guard let record = try dashboard.store.run(id: run.id), FileManager.default.fileExists(atPath: record.inputPath) else {
                throw HTTPError(.conflict, message: "the input of run \(run.id) is no longer on this server; upload it again")
            }
            // The same ranking and top N as the run, unless the query asks for others (re-ranking).
            var options = RunOptions(rankBy: RankBy(rawValue: record.rankBy) ?? .combined)
            if let data = run.summaryJSON, let summary = try? JSONDecoder().decode(RunSummary.self, from: data) { options.top = summary.top.count }
            do { try Self.apply(Self.parameters(request), to: &options) } catch { throw HTTPError(.badRequest, message: "\(error)") }
            let upload = UploadedFile(path: record.inputPath, name: record.inputName, bytes: record.inputBytes, keep: true)
            let id = try await dashboard.jobs.start(upload, options: options)
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[.location] = "/api/v1/runs/\(id)"
            return Response(status: .accepted, headers: headers,
                            body: .init(byteBuffer: ByteBuffer(data: try RunJSON.data(["id": id, "status": "running", "refreshes": run.id]))))
        }
        api.get("runs/{id}/results.csv") { _, context in
            let run = try run(context)
            guard run.status == .succeeded, let path = run.resultsPath else {
                throw HTTPError(.notFound, message: "run \(run.id) has no results file on this server (\(run.status.rawValue))")
            }
            return try await file(path, type: "text/csv; charset=utf-8", download: "churn-results-\(run.id).csv", context)
        }
        api.get("runs/{id}/summary.json") { _, context in
            let run = try run(context)
            guard let summary = run.summaryJSON else { throw HTTPError(.notFound, message: "run \(run.id) has no summary (\(run.status.rawValue))") }
            return Self.json(summary)
        }
        api.get("runs/{id}/report.html") { _, context in
            let run = try run(context)
            guard let path = run.reportPath else { throw HTTPError(.notFound, message: "run \(run.id) has no report on this server") }
            return try await file(path, type: "text/html; charset=utf-8", download: nil, context)
        }
        api.get("runs/{id}/events") { _, context in try events(try run(context)) }
        api.get("runs/{id}/customers") { request, context in
            let run = try run(context)
            guard run.status == .succeeded else { throw HTTPError(.conflict, message: "run \(run.id) is \(run.status.rawValue): no customers yet") }
            let query: CustomerTable.Query
            do { query = try CustomerTable.parse(Self.parameters(request)) } catch { throw HTTPError(.badRequest, message: "\(error)") }
            let page: CustomerTable.Page
            do { page = try CustomerTable.page(dashboard.store, runId: run.id, query) } catch let error as QueryError {
                throw HTTPError(.badRequest, message: "\(error)")
            }
            return try Self.json(RunJSON.data([
                "runId": run.id,
                "customers": page.rows.map(CustomerTable.json),
                "total": page.total ?? NSNull(),
                "nextCursor": page.nextCursor ?? NSNull(),
                "categoryFeatures": page.categories.map(CustomerTable.json),
            ] as [String: Any]))
        }
        api.get("customers/{id}") { _, context in
            let id = try DashboardContext.customerId(context)
            let history = try dashboard.store.history(customerId: id)
            guard let latest = history.first else { throw HTTPError(.notFound, message: "no scored customer with id \(id)") }
            return try Self.json(RunJSON.data([
                "id": id,
                "latest": CustomerTable.json(latest),
                "history": history.map(CustomerTable.json),
                "offers": try dashboard.offerDesk.outbox().list(customerId: id).map(OutboxPage.json),
            ] as [String: Any]))
        }
        api.post("customers/{id}/offers") { request, context in
            let id = try DashboardContext.customerId(context)
            let body = try await request.body.collect(upTo: 1 << 20)
            return try OfferRequest.handle(Data(buffer: body), customerId: id, desk: dashboard.offerDesk)
        }
        api.get("cluster") { _, _ in
            let pool = dashboard.jobs.pool()
            return try Self.json(JSONEncoder().encode(pool))
        }
        api.post("predict") { request, context in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return Self.json(try BulkPredict.predict(Data(buffer: body), model: dashboard.compiled,
                                                     maxRecords: dashboard.configuration.maxPredictRecords))
        }
    }

    private func run(_ context: DashboardContext) throws -> RunView {
        let idText = try context.parameters.require("id")
        guard let id = Int64(idText) else { throw HTTPError(.badRequest, message: "run id '\(idText)' is not a number") }
        guard let run = try dashboard.run(id) else { throw HTTPError(.notFound, message: "no run \(id)") }
        return run
    }

    private func startRun(_ request: Request, _ context: DashboardContext) async throws -> Response {
        let params = Self.parameters(request)
        let receiver = UploadReceiver(directory: dashboard.configuration.uploadsDirectory, limit: dashboard.configuration.maxUploadBytes)
        let received = try await receiver.receive(request, suggestedName: params["name"] ?? request.headers[.init("X-File-Name")!])
        let fields = received.fields.merging(params) { $1 }
        var options = RunOptions()
        do {
            try Self.apply(fields, to: &options)
        } catch {
            try? FileManager.default.removeItem(atPath: (received.file.path as NSString).deletingLastPathComponent)
            throw HTTPError(.badRequest, message: "\(error)")
        }
        let id: Int64
        do {
            id = try await dashboard.jobs.start(received.file, options: options)
        } catch {
            try? FileManager.default.removeItem(atPath: (received.file.path as NSString).deletingLastPathComponent)
            throw error
        }
        dashboard.metrics.uploaded(bytes: received.file.bytes)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.location] = "/api/v1/runs/\(id)"
        return Response(status: .accepted, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(data: try RunJSON.data(["id": id, "status": "running"]))))
    }

    /// Server-sent events: `progress` with the run object as it changes, then one `done`.
    private func events(_ run: RunView) throws -> Response {
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        headers[.init("X-Accel-Buffering")!] = "no"
        guard run.status == .running, let updates = dashboard.jobs.updates(run.id) else {
            let text = Self.event("done", try RunJSON.data(RunJSON.listItem(run)))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let body = ResponseBody { writer in
            var last: LiveRun?
            for await update in updates {
                last = update
                if update.status == .running {
                    try await writer.write(ByteBuffer(string: Self.event("progress", try RunJSON.data(RunJSON.listItem(RunView(update))))))
                }
            }
            let final = try dashboard.run(run.id) ?? last.map(RunView.init) ?? run
            try await writer.write(ByteBuffer(string: Self.event("done", try RunJSON.data(RunJSON.listItem(final)))))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    private func file(_ path: String, type: String, download: String?, _ context: DashboardContext) async throws -> Response {
        var headers: HTTPFields = [.contentType: type]
        if let download { headers[.contentDisposition] = "attachment; filename=\"\(download)\"" }
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue
        if let size { headers[.contentLength] = String(size) }
        let body = try await FileIO().loadFile(path: path, context: context)
        return Response(status: .ok, headers: headers, body: body)
    }

    /// `rank_by`, `top` and `sheet` from a query or form into `options`; a bad value names itself.
    static func apply(_ fields: [String: String], to options: inout RunOptions) throws {
        if let rank = fields["rank_by"], !rank.isEmpty {
            guard let r = RankBy(rawValue: rank) else { throw QueryError("rank_by: '\(rank)' is not combined, risk or revenue") }
            options.rankBy = r
        }
        if let top = fields["top"], !top.isEmpty {
            guard let n = Int(top), (0...10_000).contains(n) else { throw QueryError("top: '\(top)' is not a number from 0 to 10000") }
            options.top = n
        }
        if let sheet = fields["sheet"], !sheet.isEmpty { options.sheet = sheet }
    }

    static func event(_ name: String, _ data: Data) -> String {
        "event: \(name)\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
    }

    static func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(data: data)))
    }

    /// The query string as a dictionary (the last value of a repeated key wins).
    static func parameters(_ request: Request) -> [String: String] {
        // Decoded as a browser's GET form encodes them (application/x-www-form-urlencoded): '+' is a
        // space, then percent escapes; Hummingbird's queryParameters leaves '+' as it is.
        var out: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }
}
