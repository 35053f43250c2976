import Foundation

/// The OpenAPI 3 description of the API, served at `/api/v1/openapi.json`. Built as a value here
/// (no generator); `OpenAPIDocumentTests` holds its paths equal to the routes the server registers.
enum OpenAPIDocument {
    static let data: Data = try! JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])

    /// Every (method, path) the document describes, paths in OpenAPI form (`/api/v1/runs/{id}`).
    static var operations: [(method: String, path: String)] {
        let paths = document["paths"] as! [String: [String: Any]]
        return paths.flatMap { path, ops in ops.keys.map { (method: $0.uppercased(), path: path) } }
    }

    private static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    private static func json(_ schema: [String: Any], _ description: String) -> [String: Any] {
        ["description": description, "content": ["application/json": ["schema": schema]]]
    }
    // The dictionaries below are never mutated after initialisation.
    nonisolated(unsafe) private static let error: [String: Any] = json(ref("Error"), "An error, with a message naming what was wrong")
    nonisolated(unsafe) private static let runId: [String: Any] = ["name": "id", "in": "path", "required": true, "schema": ["type": "integer"]]
    private static func query(_ name: String, _ type: String, _ description: String) -> [String: Any] {
        ["name": name, "in": "query", "required": false, "schema": ["type": type], "description": description]
    }

    nonisolated(unsafe) static let document: [String: Any] = [
        "openapi": "3.0.3",
        "info": [
            "title": "churn serve",
            "version": "1",
            "description": "Upload customer files for churn scoring, follow the runs, read scored customers, predict in bulk.",
        ],
        "paths": ([
            "/healthz": ["get": ["summary": "Liveness", "responses": ["200": ["description": "ok", "content": ["text/plain": ["schema": ["type": "string"]]]]]]],
            "/metrics": ["get": ["summary": "Prometheus metrics (text format 0.0.4)",
                                 "responses": ["200": ["description": "The exposition", "content": ["text/plain": ["schema": ["type": "string"]]]]]]],
            "/api/v1/openapi.json": ["get": ["summary": "This document", "responses": ["200": json(["type": "object"], "OpenAPI 3")]]],
            "/api/v1/runs": [
                "post": [
                    "summary": "Upload a CSV or XLSX file and start scoring it",
                    "description": "The body is the file (text/csv or the XLSX media type; name it with ?name=) or multipart/form-data with a field named file. It is streamed to disk; past --max-upload the answer is 413.",
                    "parameters": [query("rank_by", "string", "combined, risk or revenue"), query("top", "integer", "how many riskiest customers the summary lists"),
                                   query("sheet", "string", "worksheet of an XLSX file"), query("name", "string", "the file name of a raw body")],
                    "requestBody": ["required": true, "content": [
                        "text/csv": ["schema": ["type": "string", "format": "binary"]],
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ["schema": ["type": "string", "format": "binary"]],
                        "multipart/form-data": ["schema": ["type": "object", "properties": ["file": ["type": "string", "format": "binary"]], "required": ["file"]]],
                    ]],
                    "responses": ["202": json(["type": "object", "properties": ["id": ["type": "integer"], "status": ["type": "string"]]], "Scoring started"),
                                  "400": error, "413": error, "415": error],
                ],
                "get": ["summary": "The latest runs, newest first", "parameters": [query("limit", "integer", "1 to 500, default 50")],
                        "responses": ["200": json(["type": "object", "properties": ["runs": ["type": "array", "items": ref("Run")]]], "Runs")]],
            ],
            "/api/v1/runs/{id}": [
                "get": ["summary": "One run: status, progress, error and summary", "parameters": [runId],
                        "responses": ["200": json(ref("Run"), "The run"), "404": error]],
                "delete": ["summary": "Cancel a running run", "parameters": [runId],
                           "responses": ["202": json(["type": "object"], "Cancelling"), "404": error, "409": error]],
            ],
            "/api/v1/runs/{id}/refresh": ["post": [
                "summary": "Score the run's input again with the server's current model; a new run (compare its newly-High list)",
                "parameters": [runId, query("rank_by", "string", "another ranking (default: the run's)"),
                               query("top", "integer", "another top N (default: the run's)"),
                               query("sheet", "string", "worksheet of an XLSX input (default: the first)")],
                "responses": ["202": json(["type": "object", "properties": ["id": ["type": "integer"], "status": ["type": "string"],
                                                                            "refreshes": ["type": "integer"]]], "Scoring started"),
                              "404": error, "409": error]]],
            "/api/v1/runs/{id}/results.csv": ["get": [
                "summary": "The results file, byte-identical to churn score's for the same input", "parameters": [runId],
                "responses": ["200": ["description": "CSV", "content": ["text/csv": ["schema": ["type": "string"]]]], "404": error]]],
            "/api/v1/runs/{id}/summary.json": ["get": [
                "summary": "The summary, as churn score --summary-json writes it", "parameters": [runId],
                "responses": ["200": json(["type": "object"], "Summary"), "404": error]]],
            "/api/v1/runs/{id}/report.html": ["get": [
                "summary": "The self-contained HTML report of the run", "parameters": [runId],
                "responses": ["200": ["description": "HTML", "content": ["text/html": ["schema": ["type": "string"]]]], "404": error]]],
            "/api/v1/runs/{id}/events": ["get": [
                "summary": "Live progress as server-sent events: progress (a Run without summary) while running, then done",
                "parameters": [runId],
                "responses": ["200": ["description": "An event stream", "content": ["text/event-stream": ["schema": ["type": "string"]]]], "404": error]]],
            "/api/v1/runs/{id}/customers": ["get": [
                "summary": "The run's scored customers, one page at a time",
                "parameters": [runId, query("risk", "string", "comma-separated levels: low, medium, high"),
                               query("sort", "string", "input (file order), risk (riskiest first), -risk (safest first)"),
                               query("q", "string", "customer id contains"),
                               query("health_min", "integer", "health at least this, 0 to 100"),
                               query("health_max", "integer", "health at most this, 0 to 100"),
                               query("intervention", "string", "exactly this intervention text"),
                               query(CustomerTable.categoryPrefix + "{feature}", "string",
                                     "one parameter per categorical feature, named cat. and the input column (cat.Contract=Month-to-month): "
                                     + "a level of that feature (categoryFeatures lists them), (blank) or (other). 400 for a run "
                                     + "without category data (its model has no categorical features, or it was recorded before history schema 3)"),
                               query("limit", "integer", "1 to 500, default 50"),
                               query("cursor", "string", "nextCursor of the previous page")],
                "responses": ["200": json(["type": "object", "properties": [
                    "runId": ["type": "integer"], "customers": ["type": "array", "items": ref("Customer")],
                    "total": ["type": "integer"], "nextCursor": ["type": "string", "nullable": true],
                    "categoryFeatures": ["type": "array", "description": "the run's categorical features; empty without category data",
                                         "items": ref("CategoryFeature")]]], "A page"),
                              "400": error, "404": error, "409": error]]],
            "/api/v1/customers/{id}": ["get": [
                "summary": "A customer's latest score, history across runs and drafted offers",
                "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]],
                "responses": ["200": json(["type": "object", "properties": [
                    "id": ["type": "string"], "latest": ref("Customer"), "history": ["type": "array", "items": ref("Customer")],
                    "offers": ["type": "array", "items": ref("Offer")]]], "The customer"), "404": error]]],
            "/api/v1/customers/{id}/offers": ["post": [
                "summary": "Make a retention offer for the customer's latest run: send (queue it in the outbox) or save as a draft",
                "parameters": [["name": "id", "in": "path", "required": true, "schema": ["type": "string"]]],
                "requestBody": ["required": true, "content": ["application/json": ["schema": [
                    "type": "object", "properties": ["subject": ["type": "string"], "body": ["type": "string"], "send": ["type": "boolean"]], "required": ["subject", "body"]]]]],
                "responses": ["201": json(ref("Offer"), "Queued or saved"), "200": json(ref("Offer"), "Already in the outbox (duplicate: true); nothing new"),
                              "400": error, "404": error]]],
            "/api/v1/outbox": ["get": [
                "summary": "The retention-offer outbox, newest first",
                "parameters": [["name": "status", "in": "query", "required": false,
                                "schema": ["type": "string", "enum": ["draft", "queued", "sending", "sent", "failed", "suppressed"]]]],
                "responses": ["200": json(["type": "array", "items": ref("Offer")], "The offers"), "400": error]]],
            "/api/v1/cluster": ["get": [
                "summary": "The worker pool",
                "responses": ["200": json(["type": "object", "properties": ["mode": ["type": "string"], "workers": ["type": "array", "items": ["type": "object"]]]], "Pool")]]],
            "/api/v1/predict": ["post": [
                "summary": "Score customer records synchronously (at most 10,000 a call)",
                "requestBody": ["required": true, "content": ["application/json": ["schema": [
                    "type": "array", "maxItems": 10000, "items": ["type": "object", "additionalProperties": ["oneOf": [["type": "string"], ["type": "number"]], "nullable": true]]]]]],
                "responses": ["200": json(["type": "array", "items": ref("Prediction")], "One prediction per record, in order"),
                              "400": error, "413": error]]],
        ] as [String: Any]).merging(ModelsOpenAPI.paths) { core, _ in core },
        "components": ["schemas": [
            "Error": ["type": "object", "properties": ["error": ["type": "object", "properties": ["message": ["type": "string"]]]]],
            "Run": ["type": "object", "properties": [
                "id": ["type": "integer"], "status": ["type": "string", "enum": ["running", "succeeded", "failed", "cancelled"]],
                "input": ["type": "string"], "inputBytes": ["type": "integer"], "startedAt": ["type": "string", "format": "date-time"],
                "finishedAt": ["type": "string", "format": "date-time", "nullable": true], "error": ["type": "string", "nullable": true],
                "progress": ["type": "object", "properties": ["rowsScored": ["type": "integer"], "bytesRead": ["type": "integer"],
                                                             "fraction": ["type": "number"], "rowsPerSecond": ["type": "number"], "workers": ["type": "integer"]]],
                "summary": ["type": "object", "nullable": true, "description": "The object of churn score --summary-json"],
                "changes": ["allOf": [ref("RunChanges")], "nullable": true,
                            "description": "Against the previous succeeded run of the same input (GET /api/v1/runs/{id} only)"]]],
            "RunChanges": ["type": "object", "properties": [
                "previousRunId": ["type": "integer"], "matched": ["type": "integer"], "added": ["type": "integer"],
                "newlyHigh": ["type": "integer"], "improved": ["type": "integer"], "meanImprovement": ["type": "number"],
                "worsened": ["type": "integer"], "meanWorsening": ["type": "number"], "meanChange": ["type": "number"],
                "topMovers": ["type": "array", "items": ["type": "object", "properties": [
                    "id": ["type": "string"], "previousProbability": ["type": "number"], "probability": ["type": "number"],
                    "change": ["type": "number"]]]]]],
            "Driver": ["type": "object", "properties": ["name": ["type": "string"], "impact": ["type": "number"]]],
            "CategoryFeature": ["type": "object", "properties": [
                "name": ["type": "string"], "levels": ["type": "array", "items": ["type": "string"]],
                "choices": ["type": "array", "items": ["type": "string"], "description": "levels, then (blank) and (other)"]]],
            "Customer": ["type": "object", "properties": [
                "runId": ["type": "integer"], "line": ["type": "integer"], "id": ["type": "string"], "probability": ["type": "number"],
                "riskScore": ["type": "integer"], "riskLevel": ["type": "string"], "health": ["type": "integer"],
                "drivers": ["type": "array", "items": ref("Driver")], "intervention": ["type": "string"],
                "categories": ["type": "object", "additionalProperties": ["type": "string"],
                               "description": "feature → value (a level, (blank) or (other)); empty without category data"]]],
            "Prediction": ["type": "object", "properties": [
                "probability": ["type": "number"], "riskScore": ["type": "integer"], "riskLevel": ["type": "string"], "health": ["type": "integer"],
                "drivers": ["type": "array", "items": ref("Driver")], "intervention": ["type": "string"]]],
            "Offer": ["type": "object", "properties": [
                "id": ["type": "integer"], "customerId": ["type": "string"], "runId": ["type": "integer"], "template": ["type": "string"],
                "recipient": ["type": "string"], "subject": ["type": "string"], "messageId": ["type": "string"],
                "status": ["type": "string", "enum": ["draft", "queued", "sending", "sent", "failed", "suppressed"]],
                "reason": ["type": "string"], "attempts": ["type": "integer"], "createdAt": ["type": "string"],
                "updatedAt": ["type": "string"], "sentAt": ["type": "string"], "duplicate": ["type": "boolean"]]],
        ] as [String: Any]],
    ]
}
